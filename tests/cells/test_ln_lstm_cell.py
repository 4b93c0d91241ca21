import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.cells.fixed_weights import run_with_fixed_weights


def test_fixed_weights_give_the_pinned_numbers():
    sequence, (h, c) = run_with_fixed_weights(kg.LNLSTMCell(3))
    np.testing.assert_allclose(
        sequence,
        [
            [
                [-0.1102131, -0.1106818, -0.1724499],
                [-0.1586660, -0.1000449, -0.2176669],
                [-0.1650768, -0.0977636, -0.2516123],
            ],
            [
                [-0.0248671, -0.1159533, -0.1090325],
                [0.0025431, -0.1215331, -0.0987380],
                [0.0514070, -0.1347482, -0.0984625],
            ],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(h, sequence[:, -1])
    np.testing.assert_allclose(
        c,
        [
            [-0.3738338, -0.1529735, -0.1941938],
            [-0.2540495, -0.2595497, -0.3256196],
        ],
        atol=1e-6,
    )


def test_carry_normalized_cell_pins_the_addons_numbers():
    sequence, (h, c) = run_with_fixed_weights(
        kg.LNLSTMCell(3, carry_normalized_cell=True)
    )
    np.testing.assert_allclose(
        sequence[:, -1],
        [
            [-0.1652149, -0.0944706, -0.2405768],
            [0.1540511, -0.1636020, -0.1325893],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        c,
        [
            [-0.5722328, -0.3013188, -0.5967144],
            [0.4425380, -0.4351105, -0.3507271],
        ],
        atol=1e-6,
    )


def test_the_carried_state_is_the_normalized_cell_state():
    cell = kg.LNLSTMCell(4, carry_normalized_cell=True, norm_epsilon=1e-7)
    cell.build((None, 3))
    randomize(cell)
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    _, (_, carried) = cell(x, cell.get_initial_state(2))
    w = {v.name: np.asarray(v) for v in cell.weights}
    # Undo gamma and beta: zero mean, unit variance over the units.
    normalized = (np.asarray(carried) - w["state_norm_beta"]) / w[
        "state_norm_gamma"
    ]
    np.testing.assert_allclose(normalized.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(normalized.var(-1), 1, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [{"carry_normalized_cell": True}, {"use_bias": False}],
    ids=["carry_normalized_cell", "no_bias"],
)
def test_options_match_the_reference(kwargs):
    cell = kg.LNLSTMCell(5, **kwargs)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn.build((None, None, 4))
    randomize(cell)
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    expected, _ = ref.run_rnn(
        reference_step(cell), x.astype("float64"), [np.zeros((3, 5))] * 2
    )
    np.testing.assert_allclose(rnn(x), expected, atol=1e-5)


def test_weight_layout():
    cell = kg.LNLSTMCell(3)
    cell.build((None, 5))
    assert {w.name: tuple(w.shape) for w in cell.weights} == {
        "kernel": (5, 12),
        "recurrent_kernel": (3, 12),
        "bias": (12,),
        "kernel_norm_gamma": (12,),
        "kernel_norm_beta": (12,),
        "recurrent_norm_gamma": (12,),
        "recurrent_norm_beta": (12,),
        "state_norm_gamma": (3,),
        "state_norm_beta": (3,),
    }
    assert cell.state_size == [3, 3]
    assert cell.output_size == 3


def test_gate_order_is_i_f_g_o():
    # A large forget-gate pre-activation must keep the cell state, as in
    # Keras' [i, f, c, o] layout: only the second block may do that.
    cell = kg.LNLSTMCell(2, use_bias=False, kernel_initializer="zeros")
    cell.build((None, 1))
    cell.recurrent_kernel.assign(np.zeros((2, 8)))
    gamma = np.zeros(8, "float32")
    beta = np.array([-20, -20, 20, 20, 0, 0, -20, -20], "float32")
    cell.kernel_norm_gamma.assign(gamma)
    cell.kernel_norm_beta.assign(beta)
    c_previous = np.array([[0.7, -0.3]], "float32")
    _, (h, c) = cell(np.ones((1, 1), "float32"), [np.zeros((1, 2)), c_previous])
    # i = sigmoid(-20) ~ 0, f = sigmoid(20) ~ 1: c is kept.
    np.testing.assert_allclose(c, c_previous, atol=1e-6)
    # o = sigmoid(-20) ~ 0: h ~ 0.
    np.testing.assert_allclose(h, 0, atol=1e-6)


@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_unit_forget_bias(unit_forget_bias):
    cell = kg.LNLSTMCell(2, unit_forget_bias=unit_forget_bias)
    cell.build((None, 3))
    forget = 1.0 if unit_forget_bias else 0.0
    np.testing.assert_array_equal(cell.bias, [0, 0, forget, forget, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "argument", ["unit_forget_bias", "carry_normalized_cell"]
)
def test_boolean_options_are_validated(argument):
    with pytest.raises(ValueError, match=f"`{argument}`.*'yes'"):
        kg.LNLSTMCell(2, **{argument: "yes"})
