"""The fused layers equal `keras.layers.RNN(cell)` and keep its contract.

Parametrized over `LNLSTM`, `LNGRU` and `SRU`; `test_sru.py` adds the
parallel scan.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import keras_gated as kg
from tests import registry
from tests.cell_cases import randomize
from tests.gradients import assert_float64_gradients_match_finite_differences

BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5

all_layers = pytest.mark.parametrize(
    "layer_class",
    [entry.fused for entry in registry.fusable_cells()],
    ids=lambda c: c.__name__,
)
# Both implementations, whatever "auto" picks on the test machine.
both_paths = pytest.mark.parametrize(
    "precompute", [True, False], ids=["precomputed", "in_loop"]
)


def _inputs(seed=0, batch=BATCH, steps=STEPS):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, steps, FEATURES)).astype("float32")


def _layer_and_reference(layer_class, **kwargs):
    """A built fused layer with random weights, and `RNN` on its cell."""
    layer = layer_class(UNITS, **kwargs)
    layer.build((None, None, FEATURES))
    randomize(layer.cell)
    rnn_kwargs = {
        k: v
        for k, v in layer.get_config().items()
        if k
        in (
            "return_sequences",
            "return_state",
            "go_backwards",
            "zero_output_for_mask",
            "unroll",
        )
    }
    return layer, keras.layers.RNN(layer.cell, **rnn_kwargs)


def _assert_all_close(actual, expected, atol=1e-5):
    actual, expected = keras.tree.flatten(actual), keras.tree.flatten(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, atol=atol)


MASK = np.array(
    [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 1]], dtype=bool
)


@all_layers
@both_paths
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    "masked",
    [
        False,
        # Keras' JAX loop repeats the initial state at masked steps before
        # the first valid one; our layers repeat zeros on every backend.
        pytest.param(True, marks=pytest.mark.tensorflow_only),
    ],
    ids=["no_mask", "mask"],
)
def test_layer_equals_rnn_of_its_cell(
    layer_class, precompute, return_sequences, go_backwards, masked
):
    layer, reference = _layer_and_reference(
        layer_class,
        precompute_projection=precompute,
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
    )
    x = _inputs()
    rng = np.random.default_rng(3)
    initial = [
        rng.normal(size=(BATCH, s)).astype("float32")
        for s in layer.cell.state_size
    ]
    mask = MASK if masked else None
    _assert_all_close(
        layer(x, initial_state=initial, mask=mask),
        reference(x, initial_state=initial, mask=mask),
    )


@all_layers
@both_paths
def test_zero_output_for_mask_and_unroll_equal_rnn_of_its_cell(
    layer_class, precompute
):
    for kwargs in ({"zero_output_for_mask": True}, {"unroll": True}):
        layer, reference = _layer_and_reference(
            layer_class,
            return_sequences=True,
            precompute_projection=precompute,
            **kwargs,
        )
        x = _inputs()
        _assert_all_close(layer(x, mask=MASK), reference(x, mask=MASK))


@all_layers
@both_paths
def test_dropout_in_training_equals_rnn_of_its_cell(layer_class, precompute):
    layer, reference = _layer_and_reference(
        layer_class,
        precompute_projection=precompute,
        return_sequences=True,
        dropout=0.3,
        recurrent_dropout=0.3,
        seed=4,
    )
    seed_state = ops.convert_to_numpy(layer.cell.seed_generator.state)
    x = _inputs()
    out = layer(x, training=True)
    layer.cell.seed_generator.state.assign(seed_state)
    expected = reference(x, training=True)
    # Same masks, drawn before the loop from the same seed state.
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert not np.allclose(out, layer(x))


@all_layers
def test_stateful_in_two_halves_equals_one_pass(layer_class):
    x = _inputs()
    layer, _ = _layer_and_reference(layer_class)
    expected = layer(x)
    stateful = layer_class(UNITS, stateful=True)
    stateful.build((BATCH, None, FEATURES))
    stateful.set_weights(layer.get_weights())
    stateful(x[:, :2])
    np.testing.assert_allclose(stateful(x[:, 2:]), expected, atol=1e-6)
    stateful.reset_state()
    np.testing.assert_allclose(stateful(x), expected, atol=1e-6)


@all_layers
def test_bidirectional(layer_class):
    layer = keras.layers.Bidirectional(
        layer_class(UNITS, return_sequences=True)
    )
    x = _inputs()
    out = layer(x)
    assert out.shape == (BATCH, STEPS, 2 * UNITS)
    np.testing.assert_allclose(
        out[..., :UNITS], layer.forward_layer(x), atol=1e-6
    )
    np.testing.assert_allclose(
        out[..., UNITS:],
        np.asarray(layer.backward_layer(x))[:, ::-1],
        atol=1e-6,
    )


@all_layers
@both_paths
@pytest.mark.parametrize(
    "dtype",
    [
        pytest.param("float64", marks=pytest.mark.float64),
        "mixed_float16",
        "mixed_bfloat16",
    ],
)
def test_dtypes(layer_class, precompute, dtype):
    layer, reference = _layer_and_reference(layer_class, return_sequences=True)
    x = _inputs()
    expected = reference(x)
    other = layer_class(
        UNITS,
        return_sequences=True,
        dtype=dtype,
        precompute_projection=precompute,
    )
    other.build((None, None, FEATURES))
    other.set_weights(layer.get_weights())
    out = other(x)
    compute = "float64" if dtype == "float64" else dtype.split("_")[1]
    assert keras.backend.standardize_dtype(out.dtype) == compute
    assert all(
        w.dtype == ("float64" if dtype == "float64" else "float32")
        for w in other.weights
    )
    atol = 1e-5 if dtype == "float64" else 0.05
    np.testing.assert_allclose(ops.cast(out, "float32"), expected, atol=atol)


@pytest.mark.tensorflow_only
@all_layers
@both_paths
def test_float64_gradients_match_finite_differences(layer_class, precompute):
    layer = layer_class(
        3,
        return_sequences=True,
        dtype="float64",
        precompute_projection=precompute,
    )
    layer.build((None, None, 2))
    randomize(layer.cell)
    assert_float64_gradients_match_finite_differences(layer)


# --- Configuration, saving, export ----------------------------------------


@all_layers
def test_config_is_flat_and_round_trips(layer_class):
    layer = layer_class(
        UNITS, return_sequences=True, dropout=0.25, norm_epsilon=1e-4, name="x"
    )
    config = layer.get_config()
    assert "cell" not in config
    assert config["units"] == UNITS
    assert config["return_sequences"] is True
    assert config["dropout"] == 0.25 and config["norm_epsilon"] == 1e-4
    assert config["precompute_projection"] == "auto"
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    assert clone.cell.get_config() == layer.cell.get_config()


def _model(layer_class, **kwargs):
    inputs = keras.Input((None, FEATURES))
    hidden = layer_class(UNITS, **kwargs)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


@all_layers
def test_keras_file_round_trip_is_bit_identical(layer_class, tmp_path):
    model = _model(layer_class)
    x = _inputs()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[1]) is layer_class
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.tensorflow_only
@all_layers
def test_saved_model_export_serves_the_same_numbers(layer_class, tmp_path):
    model = _model(layer_class)
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for batch, steps in [(2, 3), (5, 7)]:
        x = _inputs(batch=batch, steps=steps)
        np.testing.assert_allclose(serving.serve(x), model(x), atol=1e-6)


@all_layers
def test_fit_with_dropout_gives_finite_decreasing_loss(layer_class):
    # Runs on every backend: the masks are drawn before the loop.
    model = _model(layer_class, dropout=0.1, recurrent_dropout=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = _inputs(batch=16)
    y = x.sum(axis=(1, 2))[:, None] / 10
    losses = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


# --- Errors ----------------------------------------------------------------


@all_layers
def test_wrong_input_rank_is_a_clear_error(layer_class):
    with pytest.raises(
        ValueError, match=r"ndim=3.*ndim=2|\(batch_size, timesteps"
    ):
        layer_class(4)(np.zeros((2, 3), "float32"))


@all_layers
def test_wrong_feature_size_after_build_is_a_clear_error(layer_class):
    layer = layer_class(4)
    layer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="expected axis -1.*value 5.*7"):
        layer(np.zeros((2, 3, 7), "float32"))


@all_layers
def test_stateful_needs_a_static_batch_size(layer_class):
    layer = layer_class(4, stateful=True)
    with pytest.raises(ValueError, match="batch size must be static"):
        layer(keras.Input((3, 5)))


@all_layers
def test_bad_cell_arguments_are_reported_by_the_layer(layer_class):
    with pytest.raises(ValueError, match="`units`.*0"):
        layer_class(0)
    with pytest.raises(ValueError, match="`dropout`.*1.5"):
        layer_class(4, dropout=1.5)
    with pytest.raises(ValueError, match="`precompute_projection`.*'yes'"):
        layer_class(4, precompute_projection="yes")


@all_layers
def test_auto_precomputes_on_accelerators_only(layer_class, monkeypatch):
    from keras_gated.layers import _fused_rnn

    calls = []

    def counting_project(inputs, training=False):
        calls.append(len(inputs.shape))
        return project(inputs, training=training)

    # The SRU's fused loop always precomputes (its own test file): here
    # the SRU runs Keras' loop.
    options = {"fused_loop": False} if layer_class is kg.SRU else {}
    layer = layer_class(UNITS, **options)
    layer.build((None, None, FEATURES))
    project = layer.cell.project
    layer.cell.project = counting_project
    x = _inputs()
    for accelerator, rank in [(True, 3), (False, 2)]:
        monkeypatch.setattr(
            _fused_rnn, "on_accelerator", lambda a=accelerator: a
        )
        calls.clear()
        layer(x)
        assert set(calls) == {rank}


@all_layers
@both_paths
@pytest.mark.parametrize(
    "batch_size", [None, BATCH], ids=["any_batch", "static_batch"]
)
def test_unknown_sequence_length_in_a_graph(
    layer_class, precompute, batch_size
):
    layer, reference = _layer_and_reference(
        layer_class, return_sequences=True, precompute_projection=precompute
    )
    inputs = keras.Input((None, FEATURES), batch_size=batch_size)
    model = keras.Model(inputs, layer(inputs))
    for steps in (2, 9):  # fewer and more steps than the batch size
        x = _inputs(steps=steps)
        np.testing.assert_allclose(
            model.predict(x, verbose=0), reference(x), atol=1e-5
        )


# --- Keras' conventions ------------------------------------------------------


@all_layers
def test_every_cell_argument_is_an_attribute_of_the_layer(layer_class):
    """As `keras.layers.LSTM(4, dropout=0.1).dropout` is 0.1."""
    import inspect

    layer = layer_class(UNITS, dropout=0.25, recurrent_dropout=0.0, seed=3)
    names = [
        name
        for name in inspect.signature(layer_class.cell_class).parameters
        if name != "kwargs"
    ]
    assert {"units", "dropout", "activation", "kernel_initializer"} <= set(
        names
    )
    for name in names:
        assert getattr(layer, name) is getattr(layer.cell, name), name
    assert layer.dropout == 0.25 and layer.seed == 3


@all_layers
def test_weight_paths_have_one_cell_segment(layer_class):
    """`lnlstm/lnlstm_cell/kernel` and `rnn/lnlstm_cell/kernel` alike."""
    import re

    fused = layer_class(UNITS)
    fused.build((None, None, FEATURES))
    rnn = keras.layers.RNN(layer_class.cell_class(UNITS))
    rnn.build((None, None, FEATURES))

    def cell_segments(layer):
        # Keras makes names unique with `_1`, `_2` suffixes.
        return {
            re.sub(r"_\d+$", "", w.path.split("/")[-2]) for w in layer.weights
        }

    assert cell_segments(fused) == cell_segments(rnn)
    assert len(cell_segments(fused)) == 1


def test_fused_layers_read_no_private_attribute_of_their_cell():
    """The protocol (`FusableCell`) is all a fused layer may rely on."""
    import ast
    import pathlib

    folder = pathlib.Path(kg.__file__).parent / "layers"
    offending = []
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and "cell" in ast.unparse(node.value)
            ):
                offending.append(
                    f"{path.name}:{node.lineno} {ast.unparse(node)}"
                )
    assert not offending, offending
