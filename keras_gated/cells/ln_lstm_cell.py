import keras
from keras import ops

from keras_gated import _checks
from keras_gated._layer_norm import layer_norm
from keras_gated._layer_norm import layer_norm_of_projection
from keras_gated.cells._gated_cell import GatedCell


@keras.saving.register_keras_serializable(package="keras_gated")
class LNLSTMCell(GatedCell):
    """Layer-normalized LSTM cell (Ba, Kiros & Hinton, 2016).

    A drop-in replacement for `keras.layers.LSTMCell`: use it inside
    `keras.layers.RNN` (or `Bidirectional`, or a list of cells for
    `StackedRNNCells`), or use the fused layer `keras_gated.LNLSTM`, which
    runs the same equations faster.

    With `u = units`, inputs `x_t` of `d` features, `σ` the
    `recurrent_activation` (sigmoid) and `tanh` the `activation`:

    ```
    z   = LN(x_t W; γx, βx) + LN(h_{t-1} U; γh, βh) + b   # each LN over 4u
    i, f, g, o = split(z, 4)
    c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
    h_t = σ(o) ⊙ tanh(LN(c_t; γc, βc))
    state = [h_t, c_t];  output = h_t
    ```

    where `LN(v; γ, β) = (v − mean(v)) / sqrt(var(v) + ε) ⊙ γ + β`, the
    mean and variance taken over the features of `v`, in float32 at least.

    Weights:

    - `kernel` `W`, shape `(d, 4u)`, and `recurrent_kernel` `U`, shape
      `(u, 4u)`; columns in Keras' gate order `[i, f, g, o]`;
    - `bias` `b`, shape `(4u,)` (when `use_bias`), the forget block
      initialized to 1 when `unit_forget_bias`;
    - `kernel_norm_gamma`/`_beta` `(4u,)`, `recurrent_norm_gamma`/`_beta`
      `(4u,)` and `state_norm_gamma`/`_beta` `(u,)`: the three layer norms,
      kept in float32 under mixed precision.

    State: `[h, c]`, both `(batch, u)`. The output is `h`, the first state.

    Notes:

    - TensorFlow Addons' `LayerNormLSTMCell` carried the *normalized* cell
      state `LN(c_t)` to the next step instead of `c_t`. Pass
      `carry_normalized_cell=True` to reproduce its numbers; the weights
      then map one to one (Addons' `kernel_norm`, `recurrent_norm` and
      `state_norm` sub-layers are our `kernel_norm_*`, `recurrent_norm_*`
      and `state_norm_*`). The default carries the raw `c_t`, as in the
      paper, so the cell state keeps its magnitude across steps.
    - Dropout (`dropout`) multiplies `x_t` before `x_t W`; recurrent dropout
      (`recurrent_dropout`) multiplies `h_{t-1}` before `h_{t-1} U`. One
      mask of each kind is drawn per batch by `keras.layers.RNN` and shared
      by all time steps and all four gates; they apply only in training.
    - **Sensitivity at initialization.** Over long sequences an LN-LSTM at
      its default initialization amplifies small differences of its
      inputs, where Keras' LSTM, `LNGRUCell` and `SRUCell` damp them: in
      float64, nudging the first of 200 inputs by 1e-7 changed the output
      at step 200 by 3e-7 to 3.6e-4 (3x to 3,600x, depending on the seed
      and the input size, in both `carry_normalized_cell` modes; issue 11
      measured 9,000x on its own setup), against below 1e-15 for the other
      three (`benchmarks/ln_lstm_sensitivity.py`, 64 units, 32 and 64
      features, 3 and 5 seeds). So a `mixed_float16` run drifts far from
      its float32 twin over many steps although each step is as accurate
      as Keras' `LSTMCell`'s (`tests/test_numerics.py`): this is the
      model's dynamics, not a precision bug. Compare float16 and float32
      runs step by step, or after training, not over long sequences at
      initialization. We know of no initialization proven to make an
      LN-LSTM less expansive; Gilboa et al. (2019, "Dynamical Isometry
      and a Mean Field Theory of LSTMs and GRUs",
      https://arxiv.org/abs/1901.08987) derive critical initializations
      for LSTMs and GRUs without layer norm, not checked here for this
      cell.

    Args:
        units: Integer of at least 2, dimensionality of the output space.
            One unit is refused: `LN(c_t)` over a single value is always
            `β`, so `h_t` would never see the cell state.
        activation: Activation of the candidate `g` and of the output
            (`tanh` above). Default: `"tanh"`.
        recurrent_activation: Activation of the gates `i, f, o` (`σ`
            above). Default: `"sigmoid"`.
        use_bias: Whether to add the bias `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        unit_forget_bias: If `True`, add 1 to the forget-gate bias at
            initialization, as `keras.layers.LSTMCell` does. Default: `True`.
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
        norm_gamma_initializer: Initializer for the layer-norm gains `γ`.
            Default: `"ones"`.
        norm_beta_initializer: Initializer for the layer-norm shifts `β`.
            Default: `"zeros"`.
        norm_epsilon: Positive float `ε` added to the variance.
            Default: `1e-3`, as in TensorFlow Addons.
        carry_normalized_cell: If `True`, carry `LN(c_t)` instead of `c_t`
            (TensorFlow Addons' `LayerNormLSTMCell`). Default: `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: One time step, `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 10, 8))
    >>> rnn = keras.layers.RNN(LNLSTMCell(4), return_state=True)
    >>> output, h, c = rnn(x)
    >>> tuple(output.shape), tuple(h.shape), tuple(c.shape)
    ((32, 4), (32, 4), (32, 4))

    Reference:
        J. L. Ba, J. R. Kiros, G. E. Hinton. "Layer Normalization", 2016,
        section "Layer normalized recurrent neural networks".
        https://arxiv.org/abs/1607.06450
    """

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
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        carry_normalized_cell=False,
        **kwargs,
    ):
        unit_forget_bias = _checks.boolean("unit_forget_bias", unit_forget_bias)
        carry_normalized_cell = _checks.boolean(
            "carry_normalized_cell", carry_normalized_cell
        )
        super().__init__(
            units=units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            norm_gamma_initializer=norm_gamma_initializer,
            norm_beta_initializer=norm_beta_initializer,
            norm_epsilon=norm_epsilon,
            **kwargs,
        )
        if self.units == 1:
            raise ValueError(
                "Received an invalid value for argument `units`, expected an "
                "integer of at least 2 for `LNLSTMCell`, got 1. Layer norm "
                "over one value always returns its offset `β`, so "
                "`LN(c_t) = β` and `h_t = σ(o_t) ⊙ tanh(β)` would never see "
                "the cell state: the layer would have no memory."
            )
        self.unit_forget_bias = unit_forget_bias
        self.carry_normalized_cell = carry_normalized_cell
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        units = self.units
        self.kernel = self.add_weight(
            shape=(self.input_dim, 4 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            if self.unit_forget_bias:

                def bias_initializer(shape, dtype=None):
                    bias = self.bias_initializer(shape, dtype=dtype)
                    return bias + ops.concatenate(
                        [
                            ops.zeros((units,), dtype=dtype),
                            ops.ones((units,), dtype=dtype),
                            ops.zeros((2 * units,), dtype=dtype),
                        ]
                    )

            else:
                bias_initializer = self.bias_initializer
            self.bias = self.add_weight(
                shape=(4 * units,),
                name="bias",
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.kernel_norm_gamma, self.kernel_norm_beta = self._norm_weights(
            "kernel_norm", 4 * units
        )
        self.recurrent_norm_gamma, self.recurrent_norm_beta = (
            self._norm_weights("recurrent_norm", 4 * units)
        )
        self.state_norm_gamma, self.state_norm_beta = self._norm_weights(
            "state_norm", units
        )

    def project(self, inputs, training=False):
        """Returns `LN(x W; γx, βx) + b`, for one step or a whole sequence."""
        shift = self.kernel_norm_beta
        if self.use_bias:
            # LN(x W) + b with one pass less: b joins the norm's shift.
            shift = shift + ops.cast(self.bias, shift.dtype)
        return layer_norm_of_projection(
            self._input_dropout(inputs, training),
            self.kernel,
            self.kernel_norm_gamma,
            shift,
            self.norm_epsilon,
        )

    def step(self, projection, states, training=False):
        """One time step from `project`'s output for that step."""
        h_tm1, c_tm1 = states[0], states[1]
        recurrent = ops.matmul(
            self._recurrent_dropout(h_tm1, training), self.recurrent_kernel
        )
        z = projection + layer_norm(
            recurrent,
            self.recurrent_norm_gamma,
            self.recurrent_norm_beta,
            self.norm_epsilon,
        )
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = self.recurrent_activation(f) * c_tm1 + self.recurrent_activation(
            i
        ) * self.activation(g)
        c_normalized = layer_norm(
            c, self.state_norm_gamma, self.state_norm_beta, self.norm_epsilon
        )
        h = self.recurrent_activation(o) * self.activation(c_normalized)
        carried = c_normalized if self.carry_normalized_cell else c
        return h, [h, carried]

    def get_config(self):
        config = {
            "unit_forget_bias": self.unit_forget_bias,
            "carry_normalized_cell": self.carry_normalized_cell,
        }
        return {**super().get_config(), **config}
