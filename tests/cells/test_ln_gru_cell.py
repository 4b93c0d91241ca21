import keras
import numpy as np

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.cells.fixed_weights import run_with_fixed_weights


def test_fixed_weights_give_the_pinned_numbers():
    sequence, (h,) = run_with_fixed_weights(kg.LNGRUCell(3))
    np.testing.assert_allclose(
        sequence,
        [
            [
                [-0.0290213, -0.0301982, -0.2808772],
                [0.0682674, 0.0840698, -0.3666546],
                [0.0957880, 0.1262420, -0.4221108],
            ],
            [
                [-0.0314256, -0.0301271, -0.2810133],
                [0.0669501, 0.0842447, -0.3666648],
                [0.0951274, 0.1264336, -0.4220471],
            ],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(h, sequence[:, -1])


def test_without_bias_matches_the_reference():
    cell = kg.LNGRUCell(5, use_bias=False)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn.build((None, None, 4))
    randomize(cell)
    assert cell.bias is None
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    expected, _ = ref.run_rnn(
        reference_step(cell), x.astype("float64"), [np.zeros((3, 5))]
    )
    np.testing.assert_allclose(rnn(x), expected, atol=1e-5)


def test_weight_layout():
    cell = kg.LNGRUCell(3)
    cell.build((None, 5))
    assert {w.name: tuple(w.shape) for w in cell.weights} == {
        "kernel": (5, 9),
        "recurrent_kernel": (3, 9),
        "bias": (9,),
        "kernel_norm_gamma": (9,),
        "kernel_norm_beta": (9,),
        "recurrent_norm_gamma": (9,),
        "recurrent_norm_beta": (9,),
    }
    assert cell.state_size == [3]
    assert cell.output_size == 3


def test_gate_order_is_z_r_h():
    # z = sigmoid(20) ~ 1 in the first block keeps h; the update is ignored.
    cell = kg.LNGRUCell(2, use_bias=False, kernel_initializer="zeros")
    cell.build((None, 1))
    cell.recurrent_kernel.assign(np.zeros((2, 6)))
    cell.kernel_norm_gamma.assign(np.zeros(6, "float32"))
    cell.kernel_norm_beta.assign(np.array([20, 20, 0, 0, 5, 5], "float32"))
    h_previous = np.array([[0.7, -0.3]], "float32")
    h, _ = cell(np.ones((1, 1), "float32"), [h_previous])
    np.testing.assert_allclose(h, h_previous, atol=1e-6)
    # z ~ 0 in the first block takes the candidate tanh(5) instead.
    cell.kernel_norm_beta.assign(np.array([-20, -20, 0, 0, 5, 5], "float32"))
    h, _ = cell(np.ones((1, 1), "float32"), [h_previous])
    np.testing.assert_allclose(h, np.tanh(5) * np.ones((1, 2)), atol=1e-6)
