"""keras_gated: layer-normalized and fast gated recurrent layers for Keras 3."""

from importlib import metadata as _metadata

from keras_gated.cells.ln_gru_cell import LNGRUCell
from keras_gated.cells.ln_lstm_cell import LNLSTMCell
from keras_gated.cells.sru_cell import SRUCell
from keras_gated.layers.ln_gru import LNGRU
from keras_gated.layers.ln_lstm import LNLSTM
from keras_gated.layers.sru import SRU
from keras_gated.multidim.md_lstm_2d import MDLSTM2D
from keras_gated.multidim.multi_directional import MultiDirectional
from keras_gated.multidim.separable_lstm_2d import SeparableLSTM2D
from keras_gated.seq2seq.attention_decoder import AttentionDecoder
from keras_gated.seq2seq.attention_decoder_cell import AttentionDecoderCell
from keras_gated.seq2seq.bahdanau_attention import BahdanauAttention
from keras_gated.seq2seq.beam_search_decode import beam_search_decode
from keras_gated.seq2seq.greedy_decode import greedy_decode
from keras_gated.seq2seq.luong_attention import LuongAttention

try:
    __version__ = _metadata.version("keras_gated")
except _metadata.PackageNotFoundError:  # Imported from a source checkout.
    __version__ = "0+unknown"

__all__ = [
    "AttentionDecoder",
    "AttentionDecoderCell",
    "BahdanauAttention",
    "LNGRU",
    "LNGRUCell",
    "LNLSTM",
    "LNLSTMCell",
    "LuongAttention",
    "MDLSTM2D",
    "MultiDirectional",
    "SRU",
    "SRUCell",
    "SeparableLSTM2D",
    "__version__",
    "beam_search_decode",
    "greedy_decode",
]
