"""The Keras arguments the three keras_gated cells share (private)."""

import keras
from keras import ops

from keras_gated import _checks
from keras_gated._compat import DropoutRNNCell
from keras_gated._layer_norm import add_layer_norm_weights
from keras_gated.cells._fusable_cell import FusableCell


class GatedCell(DropoutRNNCell, FusableCell):
    """Base of `LNLSTMCell`, `LNGRUCell` and `SRUCell`: Keras' arguments.

    The constructor arguments, their checks and `get_config` that the three
    cells share with `keras.layers.LSTMCell` (plus the layer-norm
    initializers and epsilon), the dropout masks of `DropoutRNNCell`, and
    the check of the input shape in `build`. The project/step protocol is
    `FusableCell`'s; the layer-norm pieces live in `keras_gated._layer_norm`.

    Subclasses set `state_size` (and `state_names` if not `("h", "c")`),
    create their weights in `build` after calling `super().build`, and
    implement `project`, `step` and `get_config`.
    """

    def __init__(
        self,
        units,
        activation,
        recurrent_activation,
        use_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        kernel_regularizer,
        recurrent_regularizer,
        bias_regularizer,
        kernel_constraint,
        recurrent_constraint,
        bias_constraint,
        dropout,
        recurrent_dropout,
        seed,
        norm_gamma_initializer,
        norm_beta_initializer,
        norm_epsilon,
        **kwargs,
    ):
        units = _checks.positive_int("units", units)
        dropout = _checks.rate("dropout", dropout)
        recurrent_dropout = _checks.rate("recurrent_dropout", recurrent_dropout)
        use_bias = _checks.boolean("use_bias", use_bias)
        norm_epsilon = _checks.positive_float("norm_epsilon", norm_epsilon)
        super().__init__(**kwargs)
        self.units = units
        self.output_size = units
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias

        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)

        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)

        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

        self.norm_gamma_initializer = keras.initializers.get(
            norm_gamma_initializer
        )
        self.norm_beta_initializer = keras.initializers.get(
            norm_beta_initializer
        )
        self.norm_epsilon = norm_epsilon

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects one time step of shape "
                "`(batch_size, features)` with a known number of features, "
                "i.e. `keras.layers.RNN` inputs of shape `(batch_size, "
                f"timesteps, features)`. Received: a step of shape "
                f"input_shape={input_shape}"
            )
        super().build(input_shape)
        self.input_dim = input_shape[-1]
        # `project` also takes whole sequences, hence `min_ndim`.
        self.input_spec = keras.layers.InputSpec(
            min_ndim=2, axes={-1: self.input_dim}
        )

    def _norm_weights(self, name, size):
        """One layer norm's gain and shift, with the cell's initializers."""
        return add_layer_norm_weights(
            self,
            name,
            size,
            self.norm_gamma_initializer,
            self.norm_beta_initializer,
        )

    def _input_dropout(self, inputs, training):
        """Applies the input dropout mask, to one step or a whole sequence.

        The mask is the `(batch, features)` one `keras.layers.RNN` prepared
        before the loop (`DropoutRNNCell`); every step of a sequence shares
        it.
        """
        if not (training and self.dropout > 0):
            return inputs
        # `ops.multiply`, not `*`: `project` may be given a NumPy array,
        # which PyTorch tensors do not multiply with.
        if len(inputs.shape) == 2:
            return ops.multiply(inputs, self.get_dropout_mask(inputs))
        mask = self.get_dropout_mask(inputs[:, 0])
        return ops.multiply(inputs, ops.expand_dims(mask, 1))

    def _recurrent_dropout(self, state, training):
        """Applies the recurrent dropout mask to `state`."""
        if not (training and self.recurrent_dropout > 0):
            return state
        return state * self.get_recurrent_dropout_mask(state)

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "recurrent_initializer": keras.initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "recurrent_regularizer": keras.regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
            "recurrent_constraint": keras.constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": keras.constraints.serialize(
                self.bias_constraint
            ),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "norm_gamma_initializer": keras.initializers.serialize(
                self.norm_gamma_initializer
            ),
            "norm_beta_initializer": keras.initializers.serialize(
                self.norm_beta_initializer
            ),
            "norm_epsilon": self.norm_epsilon,
        }
        return {**super().get_config(), **config}
