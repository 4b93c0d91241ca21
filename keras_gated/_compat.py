"""The one module of keras_gated that reaches into Keras' private `keras.src`.

Keras 3 keeps two things we need out of its public API:

- `DropoutRNNCell`, the mixin through which `keras.layers.RNN` prepares
  dropout masks once per batch, before the time loop (required for the JAX
  backend, where nothing may be drawn inside the traced loop);
- `rnn`, the backend time loop that implements masking, `go_backwards`,
  `unroll` and `zero_output_for_mask` for `keras.layers.RNN`. The fused
  layers and the attention decoder call it with their own step functions so
  that their semantics are exactly Keras'.

Every other module imports these names from here. A test enforces that no
other module touches `keras.src`, so that a Keras release that moves them
breaks exactly one file.
"""

from keras.src.backend import rnn
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = ["DropoutRNNCell", "rnn"]
