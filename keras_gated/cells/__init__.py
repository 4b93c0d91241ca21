"""The recurrent cells (`keras_gated.cells.PeepholeLSTMCell`, ...)."""

from keras_gated.cells.ln_gru_cell import LNGRUCell
from keras_gated.cells.ln_lstm_cell import LNLSTMCell
from keras_gated.cells.peephole_lstm_cell import PeepholeLSTMCell
from keras_gated.cells.sru_cell import SRUCell

__all__ = ["LNGRUCell", "LNLSTMCell", "PeepholeLSTMCell", "SRUCell"]
