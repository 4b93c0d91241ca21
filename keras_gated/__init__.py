"""keras_gated: layer-normalized and fast gated recurrent layers for Keras 3."""

from importlib import metadata as _metadata

from keras_gated.cells.ln_gru_cell import LNGRUCell
from keras_gated.cells.ln_lstm_cell import LNLSTMCell
from keras_gated.cells.peephole_lstm_cell import PeepholeLSTMCell
from keras_gated.cells.sru_cell import SRUCell
from keras_gated.graph.child_sum_tree_lstm import ChildSumTreeLSTM
from keras_gated.graph.graph_lstm import GraphLSTM
from keras_gated.graph.nary_tree_lstm import NaryTreeLSTM
from keras_gated.grid.grid1_basic_lstm_cell import Grid1BasicLSTMCell
from keras_gated.grid.grid1_basic_rnn_cell import Grid1BasicRNNCell
from keras_gated.grid.grid1_gru_cell import Grid1GRUCell
from keras_gated.grid.grid1_lstm_cell import Grid1LSTMCell
from keras_gated.grid.grid2_basic_lstm_cell import Grid2BasicLSTMCell
from keras_gated.grid.grid2_basic_rnn_cell import Grid2BasicRNNCell
from keras_gated.grid.grid2_gru_cell import Grid2GRUCell
from keras_gated.grid.grid2_lstm_cell import Grid2LSTMCell
from keras_gated.grid.grid3_lstm_cell import Grid3LSTMCell
from keras_gated.grid.grid_rnn_cell import GridRNNCell
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
from keras_gated.seq2seq.doubly_stochastic_penalty import (
    doubly_stochastic_penalty,
)
from keras_gated.seq2seq.greedy_decode import greedy_decode
from keras_gated.seq2seq.luong_attention import LuongAttention
from keras_gated.seq2seq.memory_initial_state import MemoryInitialState

try:
    __version__ = _metadata.version("keras_gated")
except _metadata.PackageNotFoundError:  # Imported from a source checkout.
    __version__ = "0+unknown"

__all__ = [
    "AttentionDecoder",
    "AttentionDecoderCell",
    "BahdanauAttention",
    "ChildSumTreeLSTM",
    "GraphLSTM",
    "Grid1BasicLSTMCell",
    "Grid1BasicRNNCell",
    "Grid1GRUCell",
    "Grid1LSTMCell",
    "Grid2BasicLSTMCell",
    "Grid2BasicRNNCell",
    "Grid2GRUCell",
    "Grid2LSTMCell",
    "Grid3LSTMCell",
    "GridRNNCell",
    "LNGRU",
    "LNGRUCell",
    "LNLSTM",
    "LNLSTMCell",
    "LuongAttention",
    "MDLSTM2D",
    "MemoryInitialState",
    "MultiDirectional",
    "NaryTreeLSTM",
    "PeepholeLSTMCell",
    "SRU",
    "SRUCell",
    "SeparableLSTM2D",
    "__version__",
    "beam_search_decode",
    "doubly_stochastic_penalty",
    "greedy_decode",
]
