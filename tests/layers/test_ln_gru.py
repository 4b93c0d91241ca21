import keras
import numpy as np

import keras_gated as kg
from tests.cell_cases import randomize


def test_weights_transfer_from_rnn_of_the_cell():
    rnn = keras.layers.RNN(kg.LNGRUCell(3), return_sequences=True)
    rnn.build((None, None, 2))
    randomize(rnn.cell)
    layer = kg.LNGRU(3, return_sequences=True)
    layer.build((None, None, 2))
    layer.set_weights(rnn.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 4, 2)).astype("float32")
    np.testing.assert_allclose(layer(x), rnn(x), atol=1e-6)
    assert [w.name for w in layer.weights] == [w.name for w in rnn.weights]


def test_units_property():
    assert kg.LNGRU(7).units == 7
