import keras
from keras import ops

from keras_gated import _checks


@keras.saving.register_keras_serializable(package="keras_gated")
class PeepholeLSTMCell(keras.layers.LSTMCell):
    """LSTM cell with peephole connections (Gers & Schmidhuber, 2000).

    A port of TensorFlow Addons' `tfa.rnn.PeepholeLSTMCell` (Addons 0.23,
    the same cell as Keras 2.8's `tf.keras.experimental.PeepholeLSTMCell`)
    to Keras 3: the same equations, constructor arguments and weights, so
    that code and trained weights port unchanged. Like Addons' cell it is a
    `keras.layers.LSTMCell` with three more weight vectors, through which
    the gates see the cell state. Use it inside `keras.layers.RNN` (or
    `Bidirectional`, or a list of cells for `StackedRNNCells`).

    With `u = units`, inputs `x_t` of `d` features, `σ` the
    `recurrent_activation` (sigmoid) and `tanh` the `activation`:

    ```
    z   = x_t W + h_{t-1} U + b
    z_i, z_f, z_g, z_o = split(z, 4)
    i   = σ(z_i + p_i ⊙ c_{t-1})
    f   = σ(z_f + p_f ⊙ c_{t-1})
    c_t = f ⊙ c_{t-1} + i ⊙ tanh(z_g)
    o   = σ(z_o + p_o ⊙ c_t)          # the new cell state, as in Addons
    h_t = o ⊙ tanh(c_t)
    state = [h_t, c_t];  output = h_t
    ```

    The input and forget gates peek at the previous cell state `c_{t-1}`,
    the output gate at the new one `c_t` (Gers, Schraudolph & Schmidhuber
    2002; Sak, Senior & Beaufays 2014). The peepholes are diagonal: `p_i`,
    `p_f`, `p_o` are vectors, multiplied element-wise.

    Weights, in this order (Addons' names, shapes and order; copy them
    with `set_weights(addons_cell.get_weights())`, no permutation):

    - `kernel` `W`, shape `(d, 4u)`, and `recurrent_kernel` `U`, shape
      `(u, 4u)`; columns in Keras' gate order `[i, f, g, o]`;
    - `bias` `b`, shape `(4u,)` (when `use_bias`), the forget block
      initialized to 1 when `unit_forget_bias`;
    - `input_gate_peephole_weights` `p_i`, `forget_gate_peephole_weights`
      `p_f` and `output_gate_peephole_weights` `p_o`, each `(u,)`,
      initialized by `kernel_initializer` and without regularizer or
      constraint, as in Addons.

    State: `[h, c]`, both `(batch, u)`. The output is `h`, the first state.

    Notes:

    - `implementation` is Keras 2's and Keras 3's `LSTMCell` argument,
      kept so that Addons' configs load: `2` (the default) computes `z`
      with one product per kernel, `1` with one per gate; both give the
      same numbers. They differ only with dropout, as in Keras: with
      `implementation=1` each gate gets its own dropout mask (four input
      masks, four recurrent ones), with `2` one input mask is shared by
      the four gates. A nonzero `recurrent_dropout` selects `1`, as in
      Keras 2 and 3.
    - Dropout (`dropout`) multiplies `x_t` before `x_t W`; recurrent
      dropout (`recurrent_dropout`) multiplies `h_{t-1}` before
      `h_{t-1} U`, never the peephole terms. The masks are drawn once per
      batch by `keras.layers.RNN` (Keras' `DropoutRNNCell` mechanism) and
      shared by all time steps; they apply only in training.
    - Differences from Addons: bad arguments raise `ValueError` (Addons
      clipped a dropout rate outside `[0, 1]` silently), `seed` seeds the
      dropout masks (Keras 3's argument), and Keras 2's
      `enable_caching_device` is gone with Keras 2.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate `z_g` and of the output
            (`tanh` above). Default: `"tanh"`.
        recurrent_activation: Activation of the gates `i, f, o` (`σ`
            above). Default: `"sigmoid"`.
        use_bias: Whether to add the bias `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel` and the three
            peephole vectors. Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        unit_forget_bias: If `True`, the forget block of the bias starts
            at 1 (and the bias initializer is used for the other blocks),
            as in `keras.layers.LSTMCell`. Default: `True`.
        kernel_regularizer: Regularizer for `kernel`.
        recurrent_regularizer: Regularizer for `recurrent_kernel`.
        bias_regularizer: Regularizer for `bias`.
        kernel_constraint: Constraint for `kernel`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
        bias_constraint: Constraint for `bias`.
        dropout: Float in `[0, 1)`, input dropout rate. Default: 0.
        recurrent_dropout: Float in `[0, 1)`, recurrent dropout rate.
            Default: 0.
        seed: Random seed for the dropout masks.
        implementation: `1` or `2`, see the notes. Default: `2`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: One time step, `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 10, 8))
    >>> rnn = keras.layers.RNN(PeepholeLSTMCell(4), return_state=True)
    >>> output, h, c = rnn(x)
    >>> tuple(output.shape), tuple(h.shape), tuple(c.shape)
    ((32, 4), (32, 4), (32, 4))

    References:
        F. A. Gers, J. Schmidhuber. "Recurrent nets that time and count",
        IJCNN 2000. https://doi.org/10.1109/IJCNN.2000.861302

        F. A. Gers, N. N. Schraudolph, J. Schmidhuber. "Learning precise
        timing with LSTM recurrent networks", JMLR 3, 2002.
        http://www.jmlr.org/papers/volume3/gers02a/gers02a.pdf

        H. Sak, A. Senior, F. Beaufays. "Long short-term memory recurrent
        neural network architectures for large scale acoustic modeling",
        Interspeech 2014 (the peephole layout Addons follows).
        https://research.google.com/pubs/archive/43905.pdf
    """

    state_names = ("h", "c")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        implementation=2,
        **kwargs,
    ):
        units = _checks.positive_int("units", units)
        dropout = _checks.rate("dropout", dropout)
        recurrent_dropout = _checks.rate("recurrent_dropout", recurrent_dropout)
        use_bias = _checks.boolean("use_bias", use_bias)
        unit_forget_bias = _checks.boolean("unit_forget_bias", unit_forget_bias)
        if isinstance(implementation, bool) or implementation not in (1, 2):
            raise ValueError(
                "Received an invalid value for argument `implementation`, "
                f"expected 1 or 2, got {implementation!r}."
            )
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            implementation=int(implementation),
            **kwargs,
        )
        # Keras' LSTMCell selects the per-gate masks with recurrent
        # dropout; say so explicitly rather than rely on it.
        if recurrent_dropout > 0:
            self.implementation = 1
        self.dropout_mask_count = 4 if self.implementation == 1 else None

    @property
    def state_layout(self):
        """The state names as a list for messages, `"[h, c]"`."""
        return "[" + ", ".join(self.state_names) + "]"

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
        self.input_spec = keras.layers.InputSpec(
            ndim=2, axes={-1: self.input_dim}
        )
        self.input_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="input_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )
        self.forget_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="forget_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )
        self.output_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="output_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )

    def call(self, inputs, states, training=False):
        _checks.states("states", states, self.state_size, self.state_layout)
        _checks.same_batch(
            "states", states, inputs.shape[0], "the batch of the inputs"
        )
        h_tm1, c_tm1 = states[0], states[1]
        if self.implementation == 1:
            z = self._per_gate_projection(inputs, h_tm1, training)
        else:
            if training and self.dropout > 0:
                inputs = inputs * self.get_dropout_mask(inputs)
            z = ops.matmul(inputs, self.kernel)
            z = z + ops.matmul(h_tm1, self.recurrent_kernel)
            if self.use_bias:
                z = z + self.bias
            z = ops.split(z, 4, axis=-1)
        z_i, z_f, z_g, z_o = z
        i = self.recurrent_activation(
            z_i + self.input_gate_peephole_weights * c_tm1
        )
        f = self.recurrent_activation(
            z_f + self.forget_gate_peephole_weights * c_tm1
        )
        c = f * c_tm1 + i * self.activation(z_g)
        o = self.recurrent_activation(
            z_o + self.output_gate_peephole_weights * c
        )
        h = o * self.activation(c)
        return h, [h, c]

    def _per_gate_projection(self, inputs, h_tm1, training):
        """`[z_i, z_f, z_g, z_o]` with one mask of each kind per gate."""
        xs = [inputs] * 4
        if training and self.dropout > 0:
            xs = [x * m for x, m in zip(xs, self.get_dropout_mask(inputs))]
        hs = [h_tm1] * 4
        if training and self.recurrent_dropout > 0:
            masks = self.get_recurrent_dropout_mask(h_tm1)
            hs = [h * m for h, m in zip(hs, masks)]
        kernels = ops.split(self.kernel, 4, axis=-1)
        recurrent_kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
        biases = ops.split(self.bias, 4) if self.use_bias else [0.0] * 4
        return [
            ops.matmul(x, k) + ops.matmul(h, r) + b
            for x, h, k, r, b in zip(xs, hs, kernels, recurrent_kernels, biases)
        ]

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}
