"""keras_gated: layer-normalized and fast gated recurrent layers for Keras 3."""

from importlib import metadata as _metadata

from keras_gated.cells.ln_gru_cell import LNGRUCell
from keras_gated.cells.ln_lstm_cell import LNLSTMCell
from keras_gated.cells.sru_cell import SRUCell
from keras_gated.layers.ln_gru import LNGRU
from keras_gated.layers.ln_lstm import LNLSTM
from keras_gated.layers.sru import SRU

try:
    __version__ = _metadata.version("keras_gated")
except _metadata.PackageNotFoundError:  # Imported from a source checkout.
    __version__ = "0+unknown"

__all__ = [
    "LNGRU",
    "LNGRUCell",
    "LNLSTM",
    "LNLSTMCell",
    "SRU",
    "SRUCell",
    "__version__",
]
