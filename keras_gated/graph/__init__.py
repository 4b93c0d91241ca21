"""Recurrences over trees and graphs: Tree-LSTMs and the Graph LSTM."""
