"""TF1's inner cells (keras_gated/grid/_tf1_cells.py), against Keras' own.

TF1's `GRUCell` is Keras' `GRUCell(reset_after=False)` and TF1's
`LSTMCell` without peepholes is Keras' `LSTMCell` with `forget_bias` moved
into the bias: with the weights mapped by the layouts of the docstring,
the numbers agree. Each cell also matches the NumPy reference.
"""

import keras
import numpy as np
import pytest

from keras_gated.grid import _tf1_cells
from tests.cell_cases import randomize
from tests.grid import grid_reference

BATCH, FEATURES, UNITS = 3, 4, 5


def _step_inputs(seed=0, memory=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    states = [
        rng.normal(size=(BATCH, UNITS)).astype("float32")
        for _ in range(2 if memory else 1)
    ]
    return x, states


def _built(cell):
    cell.build((None, FEATURES))
    randomize(cell, seed=1)
    return cell


def test_gru_is_keras_gru_reset_before():
    tf1 = _built(_tf1_cells._TF1GRUCell(UNITS))
    w = {v.name: np.asarray(v) for v in tf1.weights}
    g, c = w["gates_kernel"], w["candidate_kernel"]
    r_cols, u_cols = slice(0, UNITS), slice(UNITS, 2 * UNITS)
    keras_cell = keras.layers.GRUCell(UNITS, reset_after=False)
    keras_cell.build((None, FEATURES))
    # Keras' gates are [z, r, h]; TF1's update gate u is Keras' z.
    kernel = np.concatenate(
        [g[:FEATURES, u_cols], g[:FEATURES, r_cols], c[:FEATURES]], -1
    )
    recurrent = np.concatenate(
        [g[FEATURES:, u_cols], g[FEATURES:, r_cols], c[FEATURES:]], -1
    )
    b = w["gates_bias"]
    bias = np.concatenate([b[u_cols], b[r_cols], w["candidate_bias"]])
    keras_cell.set_weights([kernel, recurrent, bias])
    x, states = _step_inputs()
    np.testing.assert_allclose(
        tf1(x, states)[0], keras_cell(x, states)[0], atol=1e-6
    )


@pytest.mark.parametrize("forget_bias", [0.0, 1.0, 2.5])
def test_lstm_is_keras_lstm_with_the_forget_bias_in_the_bias(forget_bias):
    tf1 = _built(_tf1_cells._TF1LSTMCell(UNITS, forget_bias=forget_bias))
    k = np.asarray(tf1.kernel)
    i, j, f, o = np.split(k, 4, axis=-1)
    bi, bj, bf, bo = np.split(np.asarray(tf1.bias), 4)
    reordered = np.concatenate([i, f, j, o], -1)  # Keras' [i, f, c, o]
    keras_cell = keras.layers.LSTMCell(UNITS)
    keras_cell.build((None, FEATURES))
    keras_cell.set_weights(
        [
            reordered[:FEATURES],
            reordered[FEATURES:],
            np.concatenate([bi, bf + forget_bias, bj, bo]),
        ]
    )
    x, states = _step_inputs(memory=True)
    h_tf1, (_, c_tf1) = tf1(x, states)
    h_keras, (_, c_keras) = keras_cell(x, states)
    np.testing.assert_allclose(h_tf1, h_keras, atol=1e-6)
    np.testing.assert_allclose(c_tf1, c_keras, atol=1e-6)


@pytest.mark.parametrize(
    "cell",
    [
        _tf1_cells._TF1BasicRNNCell(UNITS),
        _tf1_cells._TF1LSTMCell(UNITS, forget_bias=0.5),
        _tf1_cells._TF1LSTMCell(UNITS, use_peepholes=True),
        _tf1_cells._TF1GRUCell(UNITS),
    ],
    ids=["basic_rnn", "lstm", "lstm-peepholes", "gru"],
)
def test_matches_numpy_reference_and_config_round_trip(cell):
    cell = _built(cell)
    x, states = _step_inputs(memory=len(cell.state_size) == 2)
    output, new_states = cell(x, states)
    want, want_states = grid_reference.inner_step(cell)(
        x.astype("float64"), states
    )
    np.testing.assert_allclose(output, want, atol=1e-5)
    for state, expected in zip(new_states, want_states, strict=True):
        np.testing.assert_allclose(state, expected, atol=1e-5)
    config = cell.get_config()
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(cell)
    )
    assert type(restored) is type(cell) and restored.get_config() == config


def test_zero_features_of_input():
    cell = _tf1_cells._TF1LSTMCell(UNITS)
    cell.build((None, 0))
    assert tuple(cell.kernel.shape) == (UNITS, 4 * UNITS)
    _, states = _step_inputs(memory=True)
    h, _ = cell(np.zeros((BATCH, 0), "float32"), states)
    assert h.shape == (BATCH, UNITS)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: _tf1_cells._TF1LSTMCell(0), r"`units`.*got 0"),
        (
            lambda: _tf1_cells._TF1LSTMCell(3, forget_bias="1"),
            r"`forget_bias`.*got '1'",
        ),
        (
            lambda: _tf1_cells._TF1LSTMCell(3, use_peepholes=1),
            r"`use_peepholes`.*got 1",
        ),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
