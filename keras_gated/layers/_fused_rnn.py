"""The fused-layer machinery shared by LNLSTM, LNGRU and SRU (private)."""

import keras
from keras import tree

from keras_gated._compat import rnn

# Arguments of `keras.layers.RNN` that the fused layers take and serialize.
RNN_ARGUMENTS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "unroll",
    "zero_output_for_mask",
)


class FusedRNN(keras.layers.RNN):
    """A `keras.layers.RNN` that hoists the cell's input projection.

    `keras.layers.RNN(cell)` calls the whole cell at every time step, so
    `x_t W` (and, for the LN cells, its layer norm) is computed step by step.
    This layer calls `cell.project` once on the whole `[batch, time,
    features]` sequence, one large matrix product, and runs only
    `cell.step` inside Keras' own time loop. Masking, `go_backwards`,
    `stateful`, `unroll`, `zero_output_for_mask`, dropout and
    `Bidirectional` behave exactly as in `keras.layers.RNN`, because the loop
    is the same.

    Subclasses construct their cell from flat arguments; `get_config` is
    flat too (the cell's arguments plus the RNN's), like `keras.layers.LSTM`.
    """

    def __init__(self, cell, **kwargs):
        super().__init__(cell, **kwargs)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    @staticmethod
    def _cell_kwargs(layer_kwargs, name):
        """The base-layer arguments the cell shares with its layer.

        As in `keras.layers.LSTM`: the cell takes the layer's dtype policy
        and trainability, and a fixed name so weight paths are stable.
        """
        return {
            "dtype": layer_kwargs.get("dtype"),
            "trainable": layer_kwargs.get("trainable", True),
            "name": name,
        }

    @property
    def units(self):
        return self.cell.units

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) != 3 or sequences_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                "`(batch_size, timesteps, features)` with a known number of "
                f"features. Received: input_shape={sequences_shape}"
            )
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = keras.layers.InputSpec(
            ndim=3, axes={-1: sequences_shape[-1]}
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            mask = mask[0]
        projection = self.cell.project(sequences, training=training)

        def step(projection_t, states):
            return self.cell.step(projection_t, states, training=training)

        return rnn(
            step,
            projection,
            initial_state,
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
