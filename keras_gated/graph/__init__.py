"""Recurrences over trees and graphs: Tree-LSTMs and the Graph LSTM."""

from keras_gated.graph.child_sum_tree_lstm import ChildSumTreeLSTM
from keras_gated.graph.graph_lstm import GraphLSTM
from keras_gated.graph.nary_tree_lstm import NaryTreeLSTM

__all__ = ["ChildSumTreeLSTM", "GraphLSTM", "NaryTreeLSTM"]
