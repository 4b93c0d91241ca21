import keras
from keras import ops

from keras_gated._layer_norm import layer_norm
from keras_gated._layer_norm import layer_norm_of_projection
from keras_gated.cells._gated_cell import GatedCell


@keras.saving.register_keras_serializable(package="keras_gated")
class LNGRUCell(GatedCell):
    """Layer-normalized GRU cell, Keras `reset_after` convention.

    A drop-in replacement for `keras.layers.GRUCell` (with its default
    `reset_after=True`): use it inside `keras.layers.RNN`, or use the fused
    layer `keras_gated.LNGRU`, which runs the same equations faster.

    The GRU of Cho et al. (2014) with layer normalization applied to the
    input and recurrent pre-activations, as Ba, Kiros & Hinton (2016) do for
    the LSTM. With `u = units`, `σ` the `recurrent_activation` (sigmoid) and
    `tanh` the `activation`:

    ```
    xz, xr, xh = split(LN(x_t W; γx, βx), 3)
    hz, hr, hh = split(LN(h_{t-1} U; γh, βh), 3)
    bz, br, bh = split(b, 3)
    z = σ(xz + hz + bz);   r = σ(xr + hr + br)
    h̃ = tanh(xh + r ⊙ hh + bh)
    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃
    state = [h_t];  output = h_t
    ```

    where `LN(v; γ, β) = (v − mean(v)) / sqrt(var(v) + ε) ⊙ γ + β` over the
    whole `3u` vector, computed in float32 at least.

    Weights:

    - `kernel` `W`, shape `(d, 3u)`, and `recurrent_kernel` `U`, shape
      `(u, 3u)`; columns in Keras' gate order `[z, r, h]`;
    - `bias` `b`, shape `(3u,)` (when `use_bias`);
    - `kernel_norm_gamma`/`_beta` and `recurrent_norm_gamma`/`_beta`, each
      `(3u,)`, kept in float32 under mixed precision.

    State: `[h]`, `(batch, u)`. The output is `h`, the first state.

    Notes:

    - As in `keras.layers.GRUCell` with `reset_after=True`, the reset gate
      multiplies the (normalized) recurrent pre-activation `hh`, after the
      matrix product. Keras' GRU keeps a second, recurrent bias for that
      convention; here the layer norm's `βh` plays that role and `b` is a
      single `(3u,)` vector.
    - Dropout (`dropout`) multiplies `x_t` before `x_t W`; recurrent dropout
      (`recurrent_dropout`) multiplies `h_{t-1}` before `h_{t-1} U` (not in
      `z ⊙ h_{t-1}`). One mask of each kind is drawn per batch by
      `keras.layers.RNN` and shared by all time steps and gates; they apply
      only in training.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate `h̃` (`tanh` above).
            Default: `"tanh"`.
        recurrent_activation: Activation of the gates `z, r` (`σ` above).
            Default: `"sigmoid"`.
        use_bias: Whether to add the bias `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
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
            Default: `1e-3`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: One time step, `(batch, features)`.
        states: `[h]`, `(batch, units)`.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 10, 8))
    >>> rnn = keras.layers.RNN(
    ...     LNGRUCell(4), return_sequences=True, return_state=True)
    >>> sequence, h = rnn(x)
    >>> tuple(sequence.shape), tuple(h.shape)
    ((32, 10, 4), (32, 4))

    References:
        K. Cho et al. "Learning Phrase Representations using RNN
        Encoder-Decoder for Statistical Machine Translation", EMNLP 2014.
        https://arxiv.org/abs/1406.1078

        J. L. Ba, J. R. Kiros, G. E. Hinton. "Layer Normalization", 2016.
        https://arxiv.org/abs/1607.06450
    """

    state_names = ("h",)

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        **kwargs,
    ):
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
        self.state_size = [self.units]

    def build(self, input_shape):
        super().build(input_shape)
        units = self.units
        self.kernel = self.add_weight(
            shape=(self.input_dim, 3 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 3 * units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(3 * units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.kernel_norm_gamma, self.kernel_norm_beta = self._norm_weights(
            "kernel_norm", 3 * units
        )
        self.recurrent_norm_gamma, self.recurrent_norm_beta = (
            self._norm_weights("recurrent_norm", 3 * units)
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
        h_tm1 = states[0]
        recurrent = layer_norm(
            ops.matmul(
                self._recurrent_dropout(h_tm1, training), self.recurrent_kernel
            ),
            self.recurrent_norm_gamma,
            self.recurrent_norm_beta,
            self.norm_epsilon,
        )
        x_z, x_r, x_h = ops.split(projection, 3, axis=-1)
        h_z, h_r, h_h = ops.split(recurrent, 3, axis=-1)
        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        candidate = self.activation(x_h + r * h_h)
        h = z * h_tm1 + (1 - z) * candidate
        return h, [h]
