"""Recurrences over graphs: the Graph LSTM."""

from keras_gated.graph.graph_lstm import GraphLSTM

__all__ = ["GraphLSTM"]
