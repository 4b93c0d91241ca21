"""The machinery the three keras_gated cells share (private)."""

import keras
from keras import ops

from keras_gated import _checks
from keras_gated._compat import DropoutRNNCell
from keras_gated._layer_norm import layer_norm
from keras_gated._layer_norm import layer_norm_of_product


class GatedCell(DropoutRNNCell, keras.layers.Layer):
    """Base of `LNLSTMCell`, `LNGRUCell` and `SRUCell`.

    A cell's work is split in two, so that a layer can hoist the first half
    out of the time loop:

    - `project(inputs, training)` maps inputs, one step `[batch, features]`
      or a whole sequence `[batch, time, features]`, to everything that
      depends on the inputs alone (input dropout, `x W`, its layer norm,
      the bias);
    - `step(projection, states, training)` runs one time step of the
      recurrence from one step of that projection.

    `call` composes the two, so a cell inside `keras.layers.RNN` behaves as
    the equations say, and `keras_gated.LNLSTM` & co. call `project` once
    on the whole sequence before the loop.

    Subclasses set `state_size`, create their weights in `build` after
    calling `super().build`, and implement `project`, `step` and
    `get_config`.
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

    # The names of the states, for error messages.
    _state_layout = "[h, c]"

    def call(self, inputs, states, training=False):
        _checks.states("states", states, self.state_size, self._state_layout)
        _checks.same_batch(
            "states", states, inputs.shape[0], "the batch of the inputs"
        )
        projection = self.project(inputs, training=training)
        return self.step(projection, states, training=training)

    def project(self, inputs, training=False):
        raise NotImplementedError

    def step(self, projection, states, training=False):
        raise NotImplementedError

    def _add_norm_weights(self, name, size):
        """Creates the gain and shift of one layer norm.

        They are never autocast, so they stay float32 under mixed precision
        and layer norm is computed in float32 (see `_layer_norm`).
        """
        gamma = self.add_weight(
            shape=(size,),
            name=f"{name}_gamma",
            initializer=self.norm_gamma_initializer,
            autocast=False,
        )
        beta = self.add_weight(
            shape=(size,),
            name=f"{name}_beta",
            initializer=self.norm_beta_initializer,
            autocast=False,
        )
        return gamma, beta

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

    def _matmul(self, inputs, kernel, bias=None):
        """`inputs @ kernel (+ bias)`, for one step or a whole sequence.

        A sequence is flattened to `[batch * time, features]` so that the
        backend runs one large matrix product, and the bias is added to that
        2-D product, where TensorFlow fuses it into the MatMul.
        """
        if len(inputs.shape) == 2:
            out = ops.matmul(inputs, kernel)
            return out if bias is None else out + bias
        shape = ops.shape(inputs)
        out = ops.matmul(ops.reshape(inputs, (-1, shape[-1])), kernel)
        if bias is not None:
            out = out + bias
        return ops.reshape(out, (shape[0], shape[1], kernel.shape[-1]))

    def _normalized_projection(self, inputs, kernel, gamma, beta):
        """`LN(inputs @ kernel; gamma, beta)`, for a step or a sequence.

        A float32/float64 sequence takes the cheaper, equivalent route of
        `layer_norm_of_product`, which never streams the wide product
        through a plain layer norm.
        """
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if len(inputs.shape) == 3 and dtype in ("float32", "float64"):
            shape = ops.shape(inputs)
            flat = ops.reshape(inputs, (-1, shape[-1]))
            normalized = layer_norm_of_product(
                flat, kernel, gamma, beta, self.norm_epsilon
            )
            return ops.reshape(
                normalized, (shape[0], shape[1], kernel.shape[-1])
            )
        return layer_norm(
            self._matmul(inputs, kernel), gamma, beta, self.norm_epsilon
        )

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]

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
