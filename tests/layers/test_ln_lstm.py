import keras
import numpy as np

import keras_gated as kg
from tests.cell_cases import randomize


def test_carry_normalized_cell_reaches_the_cell():
    layer = kg.LNLSTM(3, carry_normalized_cell=True, unit_forget_bias=False)
    assert layer.cell.carry_normalized_cell is True
    assert layer.get_config()["carry_normalized_cell"] is True
    assert layer.get_config()["unit_forget_bias"] is False


def test_weights_transfer_from_rnn_of_the_cell():
    rnn = keras.layers.RNN(kg.LNLSTMCell(3), return_sequences=True)
    rnn.build((None, None, 2))
    randomize(rnn.cell)
    layer = kg.LNLSTM(3, return_sequences=True)
    layer.build((None, None, 2))
    layer.set_weights(rnn.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 4, 2)).astype("float32")
    np.testing.assert_allclose(layer(x), rnn(x), atol=1e-6)
    assert [w.name for w in layer.weights] == [w.name for w in rnn.weights]


def test_units_property():
    assert kg.LNLSTM(7).units == 7
