"""The fused-layer machinery shared by LNLSTM, LNGRU and SRU (private)."""

import inspect
import re

import keras
from keras import ops
from keras import tree

from keras_gated import _checks
from keras_gated._compat import rnn
from keras_gated._masking import tensorflow_masked_outputs


def on_accelerator():
    """Whether the backend computes on a GPU or TPU by default."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(
            tf.config.list_logical_devices("GPU")
            or tf.config.list_logical_devices("TPU")
        )
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def keras_default_name(layer_class):
    """The name Keras gives a layer of `layer_class` by default.

    Keras' own rule (`LNLSTMCell` -> `lnlstm_cell`), before the `_1`, `_2`
    suffixes it adds to make names unique.
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", layer_class.__name__)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _cell_attribute(name):
    def get(self):
        return getattr(self.cell, name)

    get.__name__ = name
    get.__doc__ = f"The cell's `{name}` (read-only)."
    return property(get)


class FusedRNN(keras.layers.RNN):
    """A `keras.layers.RNN` that can hoist the cell's input projection.

    `keras.layers.RNN(cell)` calls the whole cell at every time step, so
    `x_t W` (and, for the LN cells, its layer norm) is computed step by step.
    With `precompute_projection`, this layer calls `cell.project` once on the
    whole `[batch, time, features]` sequence, one large matrix product, and
    runs only `cell.step` inside Keras' own time loop. Masking,
    `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`, dropout
    and `Bidirectional` behave exactly as in `keras.layers.RNN` with Keras'
    TensorFlow `while_loop`, because the loop is the same; on every backend
    and with `unroll` too, because the outputs of masked steps are then
    brought to that loop's semantics, which Keras' JAX loop and its
    unrolled loops do not all follow (docs/design/0006).

    `precompute_projection="auto"` hoists on GPUs and TPUs only. On CPUs the
    backends overlap each step's input projection with the recurrent chain
    of the steps before it (TensorFlow runs loop iterations in parallel, XLA
    schedules the scan body), so keeping it in the loop measured faster
    there (docs/design/0005).

    Subclasses construct their cell from flat arguments; `get_config` is
    flat too (the cell's arguments plus the RNN's), like `keras.layers.LSTM`.
    """

    def __init__(self, cell, precompute_projection="auto", **kwargs):
        if precompute_projection not in ("auto", True, False):
            raise ValueError(
                "Received an invalid value for argument "
                "`precompute_projection`, expected one of 'auto', True, "
                f"False, got {precompute_projection!r}."
            )
        for name in (
            "return_sequences",
            "return_state",
            "go_backwards",
            "stateful",
            "unroll",
            "zero_output_for_mask",
        ):
            if name in kwargs:
                _checks.boolean(name, kwargs[name])
        super().__init__(cell, **kwargs)
        self.precompute_projection = precompute_projection
        self.input_spec = keras.layers.InputSpec(ndim=3)

    # The class of the cell; set by each subclass. Every argument of its
    # constructor is an attribute of the layer, read from the cell, as
    # `keras.layers.LSTM(4, dropout=0.1).dropout` is.
    cell_class = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.cell_class is None:
            return
        for name in inspect.signature(cls.cell_class).parameters:
            if name != "kwargs" and name not in vars(cls):
                setattr(cls, name, _cell_attribute(name))

    @classmethod
    def _cell_kwargs(cls, layer_kwargs):
        """The base-layer arguments the cell shares with its layer.

        As in `keras.layers.LSTM`: the cell takes the layer's dtype policy
        and trainability, and the name Keras gives a cell of its class, so
        that weight paths have the same cell segment whether the cell was
        built by this layer or passed to `keras.layers.RNN`
        (`lnlstm/lnlstm_cell/kernel` and `rnn/lnlstm_cell/kernel`).
        """
        return {
            "dtype": layer_kwargs.get("dtype"),
            "trainable": layer_kwargs.get("trainable", True),
            "name": keras_default_name(cls.cell_class),
        }

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

    def call(self, sequences, initial_state=None, mask=None, training=False):
        # Shape errors are caught here, with the argument's name, rather
        # than deep inside the backend's loop.
        if initial_state is not None:
            _checks.states(
                "initial_state",
                initial_state,
                self.cell.state_size,
                self.cell.state_layout,
            )
            _checks.same_batch(
                "initial_state",
                initial_state,
                sequences.shape[0],
                "the batch of the inputs",
            )
        if mask is not None:
            mask = _checks.mask(
                "mask",
                mask,
                tuple(sequences.shape[:2]),
                "the `(batch_size, timesteps)` of the inputs",
            )
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            mask = mask[0]
        cell = self.cell
        hoist = self.precompute_projection
        if hoist == "auto":
            hoist = on_accelerator()
        if hoist:
            inputs = cell.project(sequences, training=training)

            def step(projection_t, states):
                return cell.step(projection_t, states, training=training)

        else:
            inputs = sequences

            def step(inputs_t, states):
                projection_t = cell.project(inputs_t, training=training)
                return cell.step(projection_t, states, training=training)

        if self.go_backwards:
            # We reverse the sequence ourselves, as Keras' loops would: the
            # outputs are in processing order either way, and Keras'
            # unrolled PyTorch loop cannot reverse a mask (Keras 3.15).
            inputs = ops.flip(inputs, axis=1)
            if mask is not None:
                mask = ops.flip(mask, axis=1)
        # Keras' loops disagree on masked outputs across backends; ours
        # are TensorFlow's `while_loop`'s everywhere (`_masking`).
        last_output, outputs, states = rnn(
            step,
            inputs,
            initial_state,
            go_backwards=False,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            zero_output_for_mask=False,
            return_all_outputs=self.return_sequences,
        )
        if mask is not None:
            last_output, all_outputs = tensorflow_masked_outputs(
                last_output,
                outputs if self.return_sequences else None,
                mask,
                False,  # `mask` is in processing order already.
                self.zero_output_for_mask,
            )
            if self.return_sequences:
                outputs = all_outputs
        return last_output, outputs, states

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config["precompute_projection"] = self.precompute_projection
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
