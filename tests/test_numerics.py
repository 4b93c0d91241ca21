"""Numerics: long sequences, zero and constant inputs, extreme magnitudes.

- T = 5 000 forward and backward (gradients of every weight), in float32
  and mixed_float16: no NaN or Inf, for every cell and layer;
- all-zero and constant inputs: layer norm's epsilon handles a zero
  variance (every LN of `h U` sees one at the first step, from the zero
  initial state);
- inputs of ±1e4: no NaN; layer norm makes the LN cells blind to the
  scale of their inputs, and the SRU's gates saturate at exactly 0 or 1;
- one step under mixed_float16 and mixed_bfloat16 against float32, for
  every cell and fused layer: within 5x of Keras' LSTMCell's error.

Runs on every backend.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.gradients import loss_and_gradients

UNITS, FEATURES = 3, 2


def _rnn(cell_class, **kwargs):
    def make(dtype=None, **flags):
        return keras.layers.RNN(
            cell_class(UNITS, dtype=dtype, **kwargs), dtype=dtype, **flags
        )

    return make


def _fused(layer_class, **kwargs):
    def make(dtype=None, **flags):
        return layer_class(UNITS, dtype=dtype, **kwargs, **flags)

    return make


# Every cell in `keras.layers.RNN`, every fused-layer variant, and the
# SRU with its input layer norm (tests/registry.py).
LAYERS = {
    **{f"RNN({e.name})": _rnn(e.cls) for e in registry.RNN_CELLS},
    **{name: _fused(make) for name, make in registry.fused_layers().items()},
    "SRU": _fused(kg.SRU, use_layer_norm=True),
}


def _decoder(dtype=None, **flags):
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(UNITS, dtype=dtype), "luong", dtype=dtype
    )
    return kg.AttentionDecoder(cell, dtype=dtype, **flags)


def _built(make, dtype=None, seed=0, **flags):
    layer = make(dtype=dtype, **flags)
    if make is _decoder:
        layer.build((None, None, FEATURES), (None, None, 4))
    else:
        layer.build((None, None, FEATURES))
    randomize(layer, seed=seed)
    return layer


def _memory(batch, seed=1):
    return (
        np.random.default_rng(seed).normal(size=(batch, 5, 4)).astype("float32")
    )


# --- Long sequences --------------------------------------------------------

LONG = 5000


def _mean_square(outputs):
    return ops.mean(ops.square(ops.cast(outputs, "float32")))


@pytest.mark.parametrize("dtype", ["float32", "mixed_float16"])
@pytest.mark.parametrize(
    "make", [*LAYERS.values(), _decoder], ids=[*LAYERS, "AttentionDecoder"]
)
def test_5000_steps_forward_and_backward_stay_finite(make, dtype):
    layer = _built(make, dtype=dtype, return_sequences=True)
    x = (
        np.random.default_rng(0)
        .normal(size=(2, LONG, FEATURES))
        .astype("float32")
    )
    inputs = (x, _memory(2)) if make is _decoder else (x,)
    loss, grads = loss_and_gradients(layer, _mean_square, *inputs)
    assert np.isfinite(loss) and loss > 0
    assert len(grads) == len(layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, grads):
        assert np.all(np.isfinite(grad)), weight.path
    # The gradient reaches the weights (it does not vanish everywhere).
    assert any(np.any(grad != 0) for grad in grads)


# --- Zero and constant inputs ----------------------------------------------


@pytest.mark.parametrize("value", [0.0, 3.0], ids=["zeros", "constant"])
@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_zero_variance_is_handled_by_epsilon(make, value):
    layer = _built(make, return_sequences=True)
    x = np.full((2, 4, FEATURES), value, "float32")
    out = np.asarray(layer(x))
    expected, _ = ref.run_rnn(
        reference_step(layer.cell),
        x.astype("float64"),
        [np.zeros((2, size)) for size in layer.cell.state_size],
    )
    np.testing.assert_allclose(out, expected, atol=1e-5)
    loss, grads = loss_and_gradients(layer, _mean_square, x)
    assert np.isfinite(loss)
    for grad in grads:
        assert np.all(np.isfinite(grad))


def test_layer_norm_of_a_constant_vector_is_beta():
    # SRU(use_layer_norm=True) normalizes x itself: a constant x has zero
    # variance, and LN(x) = beta exactly, whatever the constant.
    layer = _built(LAYERS["SRU"], return_sequences=True)
    cell = layer.cell
    beta = np.linspace(-1, 1, FEATURES).astype("float32")
    cell.input_norm_beta.assign(beta)
    w = {v.name: np.asarray(v) for v in cell.weights}
    bias = np.concatenate([np.zeros(UNITS), w["bias"]])
    expected = beta @ w["kernel"][:, : 3 * UNITS] + bias
    for value in (0.0, -7.0, 1e4):
        x = np.full((2, FEATURES), value, "float32")
        projection = np.asarray(cell.project(x))
        np.testing.assert_allclose(
            projection[:, : 3 * UNITS],
            np.broadcast_to(expected, (2, 3 * UNITS)),
            atol=1e-6,
        )


# --- Extreme magnitudes ----------------------------------------------------


def _extreme_inputs(scale=1e4, steps=6, seed=0):
    signs = np.random.default_rng(seed).choice(
        [-1.0, 1.0], size=(2, steps, FEATURES)
    )
    return (scale * signs).astype("float32")


@pytest.mark.parametrize(
    "name",
    [
        "RNN(LNLSTMCell)",
        "RNN(LNGRUCell)",
        "LNLSTM-precomputed",
        "LNLSTM-in_loop",
        "LNGRU-precomputed",
        "LNGRU-in_loop",
    ],
)
def test_layer_norm_cells_are_blind_to_the_input_scale(name):
    # The input reaches the LN cells only through LN(x W), and
    # LN(s v) = LN(v) up to epsilon / s²: ±1e4 inputs give the outputs of
    # ±1 inputs with epsilon 1e-8 times smaller. No saturation, no NaN.
    layer = _built(LAYERS[name], return_sequences=True)
    x = _extreme_inputs()
    out = np.asarray(layer(x))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, np.asarray(layer(x / 1e4 * 2e4)), atol=1e-5)
    expected, _ = ref.run_rnn(
        reference_step(layer.cell),
        x.astype("float64"),
        [np.zeros((2, size)) for size in layer.cell.state_size],
    )
    np.testing.assert_allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize("features", [FEATURES, UNITS], ids=["P", "identity"])
def test_sru_gates_saturate_at_exactly_0_and_1(activation, features):
    cell = kg.SRUCell(UNITS, activation=activation)
    cell.build((None, features))
    randomize(cell)
    x = _extreme_inputs(steps=5)[..., :1] * np.ones((1, 1, features), "float32")
    x = x * np.random.default_rng(1).choice([-1.0, 1.0], size=x.shape).astype(
        "float32"
    )
    units = UNITS
    states = cell.get_initial_state(2)
    for t in range(x.shape[1]):
        projection = np.asarray(cell.project(x[:, t]))
        x_tilde, highway = projection[:, :units], projection[:, 3 * units :]
        c_prev = np.asarray(states[1])
        output, states = cell(x[:, t], states)
        h, c = np.asarray(states[0]), np.asarray(states[1])
        assert np.all(np.isfinite(h)) and np.all(np.isfinite(c))
        np.testing.assert_array_equal(np.asarray(output), h)
        # f ∈ {0, 1}: c_t is exactly c_{t-1} or x̃_t.
        f_is_0 = c == x_tilde
        f_is_1 = c == c_prev
        assert np.all(f_is_0 | f_is_1)
        # r ∈ {0, 1}: h_t is exactly g(c_t) or the highway x̂_t.
        g = np.tanh(c) if activation == "tanh" else c
        assert np.all(np.isclose(h, g, rtol=1e-6, atol=0) | (h == highway))
    # And the same numbers in the reference's float64.
    rnn = keras.layers.RNN(cell, return_sequences=True)
    expected, _ = ref.run_rnn(
        reference_step(cell), x.astype("float64"), [np.zeros((2, units))] * 2
    )
    np.testing.assert_allclose(rnn(x), expected, rtol=1e-5, atol=1e-5 * 1e4)


# --- Mixed precision: one step against float32 -------------------------------
#
# One step from the same float32 weights, inputs and states, under each
# mixed policy, against the float32 twin. The tolerance is 5x the error of
# Keras' own `LSTMCell` on the same check, measured here in the test (issue
# 11). At the time of writing (TF 2.21, Intel Xeon with AVX-512): Keras'
# LSTMCell 6.8e-4 (float16) and 4.6e-3 (bfloat16); ours up to 2.3e-3 (SRU,
# float16) and 1.8e-2 (SRU, bfloat16). Over many steps an LN-LSTM run
# drifts much further from float32: that is its dynamics at
# initialization, not a precision bug (LNLSTMCell's docstring, note 0003).

MP_BATCH, MP_FEATURES, MP_UNITS = 16, 32, 64
MP_CELLS = {
    "LNLSTMCell": lambda d: kg.LNLSTMCell(MP_UNITS, dtype=d),
    "LNLSTMCell-carry_normalized_cell": lambda d: kg.LNLSTMCell(
        MP_UNITS, carry_normalized_cell=True, dtype=d
    ),
    "LNGRUCell": lambda d: kg.LNGRUCell(MP_UNITS, dtype=d),
    "SRUCell": lambda d: kg.SRUCell(MP_UNITS, dtype=d),
    "SRUCell-layer_norm": lambda d: kg.SRUCell(
        MP_UNITS, use_layer_norm=True, dtype=d
    ),
    "PeepholeLSTMCell": lambda d: kg.PeepholeLSTMCell(MP_UNITS, dtype=d),
}
MP_LAYERS = {
    "LNLSTM": lambda d: kg.LNLSTM(MP_UNITS, dtype=d),
    "LNLSTM-precomputed": lambda d: kg.LNLSTM(
        MP_UNITS, precompute_projection=True, dtype=d
    ),
    "LNGRU": lambda d: kg.LNGRU(MP_UNITS, dtype=d),
    "SRU": lambda d: kg.SRU(MP_UNITS, dtype=d),
    "SRU-parallel_scan": lambda d: kg.SRU(
        MP_UNITS, use_recurrent_kernel=False, parallel_scan=True, dtype=d
    ),
}


def _mp_data(state_size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(MP_BATCH, MP_FEATURES)).astype("float32")
    sizes = (
        state_size if isinstance(state_size, (list, tuple)) else [state_size]
    )
    states = [
        np.tanh(rng.normal(size=(MP_BATCH, size))).astype("float32")
        for size in sizes
    ]
    return x, states


def _one_step_error(make, policy, fused=False):
    """Max |output - float32 output| of one step under `policy`."""
    keras.utils.set_random_seed(1)
    layers = [make("float32"), make(policy)]
    for layer in layers:
        layer.build(
            (MP_BATCH, 1, MP_FEATURES) if fused else (MP_BATCH, MP_FEATURES)
        )
    layers[1].set_weights(layers[0].get_weights())
    cell = layers[0].cell if fused else layers[0]
    x, states = _mp_data(cell.state_size)
    outputs = []
    for layer in layers:
        dtype = layer.compute_dtype
        x_low = ops.cast(x, dtype)
        states_low = [ops.cast(s, dtype) for s in states]
        if fused:
            out = layer(ops.expand_dims(x_low, 1), initial_state=states_low)
        else:
            out, _ = layer(x_low, states_low)
        outputs.append(np.asarray(ops.cast(out, "float32")))
    return float(np.max(np.abs(outputs[1] - outputs[0])))


@pytest.fixture(scope="module")
def keras_lstm_cell_error():
    """Keras' LSTMCell's one-step error, per policy: the yardstick."""
    return {
        policy: _one_step_error(
            lambda d: keras.layers.LSTMCell(MP_UNITS, dtype=d), policy
        )
        for policy in ("mixed_float16", "mixed_bfloat16")
    }


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", [*MP_CELLS, *MP_LAYERS])
def test_one_mixed_precision_step_is_as_accurate_as_keras_lstm(
    name, policy, keras_lstm_cell_error
):
    fused = name in MP_LAYERS
    make = MP_LAYERS[name] if fused else MP_CELLS[name]
    error = _one_step_error(make, policy, fused=fused)
    tolerance = 5 * keras_lstm_cell_error[policy]
    assert 0 < keras_lstm_cell_error[policy] < 0.05  # A real yardstick.
    assert error <= tolerance, (
        f"{name} under {policy}: one-step error {error:.2e}, more than 5x "
        f"Keras' LSTMCell's {keras_lstm_cell_error[policy]:.2e}"
    )
