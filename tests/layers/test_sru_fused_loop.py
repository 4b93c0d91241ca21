"""The SRU's fused time loop: only the speed differs from autodiff's loop."""

import itertools

import keras
import numpy as np
import pytest

import keras_gated as kg
from keras_gated.layers import _sru_fused_loop
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step

FEATURES, UNITS, BATCH, STEPS = 3, 4, 2, 5


def _pair(dtype="float32", features=FEATURES, batch=None, **kwargs):
    """The SRU with and without the fused loop, sharing weights."""
    fused = kg.SRU(UNITS, fused_loop=True, dtype=dtype, **kwargs)
    fused.build((batch, STEPS, features))
    randomize(fused.cell)
    plain = kg.SRU(UNITS, fused_loop=False, dtype=dtype, **kwargs)
    plain.build((batch, STEPS, features))
    plain.set_weights(fused.get_weights())
    return fused, plain


def _data(dtype, features=FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, STEPS, features)).astype(dtype)
    initial = [rng.normal(size=(BATCH, UNITS)).astype(dtype) for _ in "hc"]
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1]], bool)
    return x, initial, mask


def _weighted_sum(outputs, dtype):
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    outputs = list(outputs)
    total = 0.0
    for k, output in enumerate(outputs):
        w = np.random.default_rng(k).normal(size=output.shape).astype(dtype)
        total = total + keras.ops.sum(output * w)
    return total, outputs


def _gradients(layer, x, initial, mask, training):
    """Outputs, and gradients of a weighted sum of every output.

    Taken with respect to the trainable weights and (when given) the
    initial states, compiled (`tf.function` / `jax.jit`).
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        weights = layer.trainable_variables

        @tf.function
        def run(states):
            with tf.GradientTape() as tape:
                if states is not None:
                    tape.watch(states)
                outputs = layer(
                    x, initial_state=states, mask=mask, training=training
                )
                total, outputs = _weighted_sum(outputs, x.dtype)
            sources = list(weights) + ([] if states is None else states)
            return outputs, tape.gradient(total, sources)

        states = None if initial is None else [tf.constant(s) for s in initial]
        outputs, grads = run(states)
    else:
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]

        def total(trainable, states):
            outputs, _ = layer.stateless_call(
                trainable,
                non_trainable,
                x,
                initial_state=states,
                mask=mask,
                training=training,
            )
            return _weighted_sum(outputs, x.dtype)

        (_, outputs), grads = jax.jit(
            jax.value_and_grad(total, argnums=(0, 1), has_aux=True)
        )(trainable, initial)
        grads = list(grads[0]) + list(grads[1] or [])
    return (
        [keras.ops.convert_to_numpy(o) for o in outputs],
        [keras.ops.convert_to_numpy(g) for g in grads],
    )


COMBINATIONS = list(itertools.product([False, True], repeat=5))


@pytest.mark.float64
@pytest.mark.parametrize(
    "masked, go_backwards, return_state, with_initial, dropout",
    COMBINATIONS,
    ids=[
        "-".join(
            name
            for name, on in zip(
                ["mask", "backwards", "state", "initial", "dropout"], c
            )
            if on
        )
        or "plain"
        for c in COMBINATIONS
    ],
)
def test_custom_gradient_equals_autodiff(
    masked, go_backwards, return_state, with_initial, dropout
):
    rates = {"dropout": 0.3, "recurrent_dropout": 0.4} if dropout else {}
    fused, plain = _pair(
        "float64",
        return_sequences=True,
        return_state=return_state,
        go_backwards=go_backwards,
        seed=3,
        **rates,
    )
    x, initial, mask = _data("float64")
    initial = initial if with_initial else None
    mask = mask if masked else None
    got = _gradients(fused, x, initial, mask, training=bool(dropout))
    want = _gradients(plain, x, initial, mask, training=bool(dropout))
    for a, b in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


@pytest.mark.parametrize("everything", [False, True])
def test_custom_gradient_equals_autodiff_in_float32(everything):
    # Also where float64 is unavailable (JAX without x64).
    fused, plain = _pair(
        return_sequences=True,
        return_state=True,
        go_backwards=everything,
        seed=3,
        dropout=0.3 if everything else 0.0,
        recurrent_dropout=0.4 if everything else 0.0,
    )
    x, initial, mask = _data("float32")
    if not everything:
        initial, mask = None, None
    got = _gradients(fused, x, initial, mask, training=everything)
    want = _gradients(plain, x, initial, mask, training=everything)
    for a, b in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.float64
@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("options", ["default", "no_v", "identity_ln"])
def test_equations_options_equal_autodiff(
    activation, zero_output_for_mask, options
):
    kwargs = {
        "default": {},
        "no_v": {"use_recurrent_kernel": False, "use_bias": False},
        "identity_ln": {"use_layer_norm": True},
    }[options]
    features = UNITS if options == "identity_ln" else FEATURES
    fused, plain = _pair(
        "float64",
        features=features,
        activation=activation,
        zero_output_for_mask=zero_output_for_mask,
        return_sequences=False,
        return_state=True,
        **kwargs,
    )
    x, initial, mask = _data("float64", features)
    got = _gradients(fused, x, initial, mask, training=False)
    want = _gradients(plain, x, initial, mask, training=False)
    atol = 1e-9
    if keras.backend.backend() == "jax" and (
        activation == "tanh" or options == "identity_ln"
    ):
        # Keras 3.15's `ops.tanh` on JAX returns float32 for float64
        # inputs (about 2e-8 off), and part of the layer norm, which both
        # paths share, rounds like float32 there (1e-7); the fused loop
        # itself matches NumPy's float64 to 1e-15 (the TF cases, 1e-9).
        atol = 1e-6 if options == "identity_ln" else 1e-7
    for a, b in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


@pytest.mark.float64
def test_finite_differences():
    fused, _ = _pair("float64", return_sequences=True)
    x, initial, mask = _data("float64")
    _, grads = _gradients(fused, x, initial, mask, training=False)
    weights = fused.trainable_variables
    eps = 1e-6
    for weight, grad in zip(weights, grads):
        value = keras.ops.convert_to_numpy(weight).copy()
        for index in list(np.ndindex(value.shape))[:6]:

            def total(shift, index=index, value=value, weight=weight):
                shifted = value.copy()
                shifted[index] += shift
                weight.assign(shifted)
                outputs = fused(x, initial_state=initial, mask=mask)
                w = np.random.default_rng(0).normal(size=outputs.shape)
                return float(keras.ops.sum(outputs * w))

            numeric = (total(eps) - total(-eps)) / (2 * eps)
            weight.assign(value)
            np.testing.assert_allclose(grad[index], numeric, atol=1e-6)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_the_numpy_reference(go_backwards):
    fused, _ = _pair(return_sequences=True, go_backwards=go_backwards)
    x, _, _ = _data("float32")
    step = reference_step(fused.cell)
    want = ref.run_rnn(
        step,
        x.astype(np.float64),
        [np.zeros((BATCH, UNITS))] * 2,
        go_backwards=go_backwards,
    )[0]
    np.testing.assert_allclose(fused(x), want, atol=1e-5)


def test_forward_without_gradient_saves_nothing():
    # Inference runs the forward loop that keeps no cell states; training
    # the one that does. Both give the same outputs.
    fused, _ = _pair(return_sequences=True)
    x, initial, _ = _data("float32")
    a = fused(x, initial_state=initial, training=False)
    b = fused(x, initial_state=initial, training=True)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_mixed_precision_computes_in_float32():
    fused, plain = _pair("mixed_float16", return_sequences=True)
    x, _, _ = _data("float32")
    out = fused(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out).astype("float32"),
        keras.ops.convert_to_numpy(plain(x)).astype("float32"),
        atol=1e-2,
    )


def test_stateful_carries_the_states():
    fused, plain = _pair(stateful=True, return_sequences=True, batch=BATCH)
    x, _, _ = _data("float32")
    for _ in range(2):
        np.testing.assert_allclose(fused(x), plain(x), atol=1e-5)


def _fit(jit_compile):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((STEPS, FEATURES))
    layer = kg.SRU(UNITS, fused_loop=True, return_sequences=True, dropout=0.1)
    model = keras.Model(inputs, layer(inputs))
    model.compile("sgd", "mse", jit_compile=jit_compile)
    x, _, _ = _data("float32")
    y = np.zeros((BATCH, STEPS, UNITS), "float32")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=2, verbose=0)
    return before, model.get_weights(), history.history["loss"]


def test_trains_under_jit_compile():
    before, after, losses = _fit(
        jit_compile=keras.backend.backend() in ("tensorflow", "jax")
    )
    assert all(np.isfinite(losses))
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_round_trips_through_a_keras_file(tmp_path):
    inputs = keras.Input((STEPS, FEATURES))
    layer = kg.SRU(UNITS, fused_loop=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    randomize(layer.cell)
    path = tmp_path / "sru.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[-1].fused_loop is True
    x, _, _ = _data("float32")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="SavedModel is TF's"
)
def test_round_trips_through_a_saved_model(tmp_path):
    import tensorflow as tf

    inputs = keras.Input((STEPS, FEATURES))
    layer = kg.SRU(UNITS, fused_loop=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    randomize(layer.cell)
    model.export(str(tmp_path / "saved"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    x, _, _ = _data("float32")
    np.testing.assert_allclose(loaded.serve(x), model(x), atol=1e-6)


def test_auto_falls_back_where_the_loop_does_not_apply():
    assert kg.SRU(2, activation="relu")._uses_fused_loop() is False
    assert kg.SRU(2, unroll=True)._uses_fused_loop() is False
    scan = kg.SRU(2, use_recurrent_kernel=False, parallel_scan=True)
    assert scan._uses_fused_loop() is False
    assert kg.SRU(2, fused_loop=False)._uses_fused_loop() is False
    on = keras.backend.backend() == "tensorflow"
    assert kg.SRU(2)._uses_fused_loop() is on


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fused_loop": "yes"}, "fused_loop"),
        ({"fused_loop": True, "activation": "relu"}, "activation"),
        ({"fused_loop": True, "unroll": True}, "unroll"),
        ({"fused_loop": True, "recurrent_activation": "tanh"}, "recurrent"),
        (
            {
                "fused_loop": True,
                "use_recurrent_kernel": False,
                "parallel_scan": True,
            },
            "parallel_scan",
        ),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kg.SRU(2, **kwargs)


def test_supported_names_the_refused_activation():
    cell = kg.SRUCell(2, activation="relu")
    assert "relu" in _sru_fused_loop.supported(cell)
    assert _sru_fused_loop.supported(kg.SRUCell(2)) is None
    assert _sru_fused_loop.activation_name(keras.activations.tanh) == "tanh"
