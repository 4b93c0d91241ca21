"""The reduced contracts of the layers outside the RNN contract.

Every `registry.Layer` entry declares the contracts it keeps, among
"reference", "gradients", "saving" and "export"; each test below runs on
the entries that declare its contract. The RNN cells' contract is
`tests/cells/test_rnn_cell_contract.py`'s.
"""

import keras
import numpy as np
import pytest

from tests import registry


def _entries(contract):
    entries = registry.layers_keeping(contract)
    return pytest.mark.parametrize("entry", entries, ids=lambda e: e.name)


def _flat(outputs):
    return [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]


def _functional(layer, args, kwargs):
    """A functional model around `layer`, taking `args` then `kwargs`."""

    def spec(value, name):
        value = np.asarray(value)
        return keras.Input(value.shape[1:], dtype=value.dtype.name, name=name)

    arg_inputs = [spec(a, f"arg{i}") for i, a in enumerate(args)]
    kwarg_inputs = {name: spec(v, name) for name, v in kwargs.items()}
    outputs = layer(*arg_inputs, **kwarg_inputs)
    model = keras.Model([*arg_inputs, *kwarg_inputs.values()], outputs)
    return model, [*args, *kwargs.values()]


@_entries("reference")
def test_matches_the_numpy_reference(entry):
    layer, args, kwargs = entry.build(0)
    got = _flat(layer(*args, **kwargs))
    want = keras.tree.flatten(entry.reference(layer, args, kwargs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=entry.atol)


@pytest.mark.tensorflow_only
@pytest.mark.float64
@_entries("gradients")
def test_float64_gradients_match_finite_differences(entry):
    import tensorflow as tf

    layer, args, kwargs = entry.build(0, dtype="float64")
    weights = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    differentiable = [
        i for i, a in enumerate(args) if np.asarray(a).dtype == np.float64
    ]
    rng = np.random.default_rng(1)
    projections = [
        rng.normal(size=o.shape) for o in _flat(layer(*args, **kwargs))
    ]

    @tf.function
    def loss(*values):
        inputs = list(args)
        for i, value in zip(differentiable, values):
            inputs[i] = value
        out, _ = layer.stateless_call(
            values[len(differentiable) :], non_trainable, *inputs, **kwargs
        )
        return sum(
            tf.reduce_sum(o * p)
            for o, p in zip(keras.tree.flatten(out), projections)
        )

    theoretical, numerical = tf.test.compute_gradient(
        loss,
        [tf.constant(args[i]) for i in differentiable] + weights,
        delta=1e-6,
    )
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-7)


@_entries("saving")
def test_keras_file_round_trip_is_bit_identical(entry, tmp_path):
    layer, args, kwargs = entry.build(0)
    model, data = _functional(layer, args, kwargs)
    path = tmp_path / f"{entry.name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for got, want in zip(_flat(loaded(data)), _flat(model(data))):
        np.testing.assert_array_equal(got, want)


@pytest.mark.tensorflow_only
@_entries("export")
def test_saved_model_serves_the_same_numbers(entry, tmp_path):
    import tensorflow as tf

    layer, args, kwargs = entry.build(0)
    model, data = _functional(layer, args, kwargs)
    path = str(tmp_path / entry.name)
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)  # Kept: it owns the variables.
    for got, want in zip(_flat(serving.serve(data)), _flat(model(data))):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_every_entry_declares_a_known_contract():
    for entry in registry.LAYERS:
        assert entry.contract and entry.contract <= registry.LAYER_CONTRACTS
