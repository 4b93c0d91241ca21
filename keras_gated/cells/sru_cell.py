import math

import keras
from keras import ops

from keras_gated import _checks
from keras_gated._layer_norm import layer_norm
from keras_gated._ops import sequence_matmul
from keras_gated.cells._gated_cell import GatedCell


@keras.saving.register_keras_serializable(package="keras_gated")
class SRUCell(GatedCell):
    """Simple Recurrent Unit cell (Lei et al., 2018).

    The SRU's only matrix product depends on the input alone; the recurrence
    is element-wise. Inside `keras.layers.RNN` the cell works like any other,
    but its speed only shows in the fused layer `keras_gated.SRU`, which
    computes `x W` for all time steps at once (and, with
    `use_recurrent_kernel=False`, can run the recurrence as a parallel scan).

    With `u = units`, `σ` the `recurrent_activation` (sigmoid) and `g` the
    `activation` (identity by default, as in the paper):

    ```
    f_t = σ(x_t W_f + v_f ⊙ c_{t-1} + b_f)
    r_t = σ(x_t W_r + v_r ⊙ c_{t-1} + b_r)
    c_t = f_t ⊙ c_{t-1} + (1 − f_t) ⊙ (x_t W_x̃)
    h_t = r_t ⊙ g(c_t) + (1 − r_t) ⊙ x̂_t
    state = [h_t, c_t];  output = h_t
    ```

    where the highway input `x̂_t` is `x_t` itself when the input has `u`
    features, and `x_t P` otherwise. With `use_layer_norm=True`, every `x_t W`
    above (and `x_t P`) is computed from `LN(x_t; γ, β)` instead of `x_t`,
    as in the `sru` package; an identity highway still carries the raw
    `x_t`.

    Weights:

    - `kernel`, shape `(d, 3u)` with column blocks `[W_x̃, W_f, W_r]`, or
      `(d, 4u)` with blocks `[W_x̃, W_f, W_r, P]` when `d != u`;
    - `recurrent_kernel`, shape `(2u,)` = `[v_f, v_r]`, element-wise
      (absent when `use_recurrent_kernel=False`, i.e. `v_f = v_r = 0`);
    - `bias`, shape `(2u,)` = `[b_f, b_r]` (when `use_bias`);
    - `input_norm_gamma`/`_beta`, `(d,)`, when `use_layer_norm=True`.

    State: `[h, c]`, both `(batch, u)`. The output is `h`, the first state
    (note the order: `keras.layers.RNN` on JAX repeats `states[0]` at masked
    steps, so it must be the output).

    Default initialization follows the recipe of the authors' reference
    implementation (the `sru` package, `SRUCell.reset_parameters`):

    - `kernel_initializer=None`: uniform in `±sqrt(3 / d)` (variance `1/d`,
      i.e. `"lecun_uniform"`), then the gate blocks `W_f` and `W_r` scaled
      by `sqrt(0.5)`;
    - `recurrent_initializer=None`: `v_f, v_r` uniform in `±sqrt(3)` scaled
      by `sqrt(0.5)` (variance `0.5`);
    - `bias_initializer="zeros"` (the package's default `highway_bias=0`).

    Any Keras initializer passed instead is used as given, for the whole
    weight.

    Notes:

    - The `sru` package multiplies the highway term by a constant
      `sqrt(1 + 2 exp(highway_bias))` (its `rescale=True`) and shrinks
      `kernel` by 10 when `use_layer_norm=True`. Neither is in the paper's
      equations, so neither is done here.
    - Dropout (`dropout`) multiplies `x_t` before `x_t W` (the identity
      highway keeps the raw `x_t`); recurrent dropout (`recurrent_dropout`)
      multiplies `c_{t-1}` in the terms `v_f ⊙ c_{t-1}` and `v_r ⊙ c_{t-1}`,
      so it needs `use_recurrent_kernel=True`. One mask of each kind is
      drawn per batch by `keras.layers.RNN` and shared by all time steps;
      they apply only in training.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: `g` above. Default: `"linear"` (identity, the 2018
            paper); `"tanh"` is the common alternative.
        recurrent_activation: Activation of the gates `f, r` (`σ` above).
            Default: `"sigmoid"`.
        use_bias: Whether to add the bias `[b_f, b_r]`. Default: `True`.
        use_recurrent_kernel: Whether the gates see `c_{t-1}` through
            `v_f, v_r`. Without them the recurrence is linear in `c`, and
            `keras_gated.SRU(parallel_scan=True)` can run it in about
            `3 sqrt(T)` sequential steps. Default: `True`.
        kernel_initializer: Initializer for `kernel`; `None` for the `sru`
            recipe above. Default: `None`.
        recurrent_initializer: Initializer for `recurrent_kernel`; `None`
            for the `sru` recipe above. Default: `None`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer for `kernel`.
        recurrent_regularizer: Regularizer for `recurrent_kernel`.
        bias_regularizer: Regularizer for `bias`.
        kernel_constraint: Constraint for `kernel`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
        bias_constraint: Constraint for `bias`.
        dropout: Float in `[0, 1)`, input dropout rate. Default: 0.
        recurrent_dropout: Float in `[0, 1)`, dropout rate on `c_{t-1}` in
            the gates. Default: 0.
        seed: Random seed for the dropout masks.
        use_layer_norm: Whether to layer-normalize `x_t` before the
            projection. Refused (at build) on 1-feature inputs, where the
            norm of the single feature is always `β`. Default: `False`.
            (Called `layer_norm` in keras_gated 0.1; that name still
            works, with a `DeprecationWarning`, and configs saved with it
            still load.)
        norm_gamma_initializer: Initializer for the layer-norm gain `γ`.
            Default: `"ones"`.
        norm_beta_initializer: Initializer for the layer-norm shift `β`.
            Default: `"zeros"`.
        norm_epsilon: Positive float `ε` added to the variance.
            Default: `1e-3`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: One time step, `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 10, 8))
    >>> layer = keras.layers.Bidirectional(
    ...     keras.layers.RNN(SRUCell(4), return_sequences=True))
    >>> tuple(layer(x).shape)
    (32, 10, 8)

    Reference:
        T. Lei, Y. Zhang, S. I. Wang, H. Dai, Y. Artzi. "Simple Recurrent
        Units for Highly Parallelizable Recurrence", EMNLP 2018.
        https://arxiv.org/abs/1709.02755
    """

    def __init__(
        self,
        units,
        activation="linear",
        recurrent_activation="sigmoid",
        use_bias=True,
        use_recurrent_kernel=True,
        kernel_initializer=None,
        recurrent_initializer=None,
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
        use_layer_norm=False,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        **kwargs,
    ):
        use_recurrent_kernel = _checks.boolean(
            "use_recurrent_kernel", use_recurrent_kernel
        )
        use_layer_norm = _checks.renamed_argument(
            kwargs, "layer_norm", "use_layer_norm", use_layer_norm, False
        )
        use_layer_norm = _checks.boolean("use_layer_norm", use_layer_norm)
        if recurrent_dropout and not use_recurrent_kernel:
            raise ValueError(
                "Received recurrent_dropout="
                f"{recurrent_dropout!r} with use_recurrent_kernel=False: "
                "SRU's recurrent dropout acts on `c_{t-1}` in the terms "
                "`v_f * c_{t-1}` and `v_r * c_{t-1}`, which do not exist "
                "without the recurrent kernel. Use recurrent_dropout=0."
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
        self.use_recurrent_kernel = use_recurrent_kernel
        self.use_layer_norm = use_layer_norm
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_layer_norm and self.input_dim == 1:
            raise ValueError(
                "Received `use_layer_norm=True` with inputs of 1 feature "
                f"(input shape {tuple(input_shape)}). Layer norm over one "
                "value always returns its offset `β`, so the cell's output "
                "would not depend on its input at all (its gradient with "
                "respect to the input would be exactly 0). Use "
                "`use_layer_norm=False` for 1-feature inputs."
            )
        units = self.units
        self.has_highway_projection = self.input_dim != units
        blocks = 4 if self.has_highway_projection else 3
        if self.use_layer_norm:
            self.input_norm_gamma, self.input_norm_beta = self._norm_weights(
                "input_norm", self.input_dim
            )
        self.kernel = self.add_weight(
            shape=(self.input_dim, blocks * units),
            name="kernel",
            initializer=self.kernel_initializer or self._sru_kernel_init,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_recurrent_kernel:
            self.recurrent_kernel = self.add_weight(
                shape=(2 * units,),
                name="recurrent_kernel",
                initializer=(
                    self.recurrent_initializer
                    or keras.initializers.RandomUniform(
                        -math.sqrt(1.5), math.sqrt(1.5), seed=self.seed
                    )
                ),
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
        else:
            self.recurrent_kernel = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(2 * units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _sru_kernel_init(self, shape, dtype=None):
        """`lecun_uniform`, with the gate blocks scaled by `sqrt(0.5)`."""
        kernel = keras.initializers.LecunUniform(seed=self.seed)(
            shape, dtype=dtype
        )
        units = self.units
        scale = [1.0] * units + [math.sqrt(0.5)] * (2 * units)
        scale += [1.0] * (shape[-1] - 3 * units)
        return kernel * ops.convert_to_tensor(scale, dtype=kernel.dtype)

    def project(self, inputs, training=False):
        """Returns `[x W_x̃, x W_f + b_f, x W_r + b_r, x̂]` along the last axis.

        For one step `(batch, features)` or a whole sequence
        `(batch, time, features)`; the result has `4 * units` features.
        """
        highway = inputs
        if self.use_layer_norm:
            inputs = layer_norm(
                inputs,
                self.input_norm_gamma,
                self.input_norm_beta,
                self.norm_epsilon,
            )
        bias = None
        if self.use_bias:
            # [0, b_f, b_r] over the first 3u columns, 0 over P's.
            width = self.kernel.shape[-1]
            bias = ops.pad(self.bias, [[self.units, width - 3 * self.units]])
        projection = sequence_matmul(
            self._input_dropout(inputs, training), self.kernel, bias
        )
        if self.has_highway_projection:
            return projection
        return ops.concatenate([projection, highway], axis=-1)

    # The SRU's equations, one home each: the cell's `step` and the fused
    # layer's parallel scan (`keras_gated.SRU`) are both built from them.

    def split_projection(self, projection):
        """Splits `project`'s output into `x̃_t`, the gate inputs and `x̂_t`.

        The gate inputs are `[x_t W_f + b_f, x_t W_r + b_r]`, `2 * units`
        wide; `x̃_t` and `x̂_t` are `units` wide.
        """
        units = self.units
        return ops.split(projection, [units, 3 * units], axis=-1)

    def gates(self, gate_inputs, c_tm1=None, training=False):
        """Returns `f_t, r_t` from the gate inputs (and `c_{t-1}`).

        `c_tm1` is `None` without the recurrent kernel (`v_f = v_r = 0`),
        when the gates depend on the input alone.
        """
        if c_tm1 is not None:
            # [v_f, v_r] ⊙ [c, c]: both gates in one operation.
            c_gates = self._recurrent_dropout(c_tm1, training)
            gate_inputs = gate_inputs + self.recurrent_kernel * (
                ops.concatenate([c_gates, c_gates], axis=-1)
            )
        return ops.split(self.recurrent_activation(gate_inputs), 2, axis=-1)

    @staticmethod
    def transition(f, x_tilde):
        """The cell-state update as an affine map of `c_{t-1}`.

        Returns `(a, b)` with `c_t = a ⊙ c_{t-1} + b`: `a = f_t` and
        `b = (1 − f_t) ⊙ x̃_t`. (Not `x̃ + f (c − x̃)`, one operation less:
        when `|x̃| >> |c|` that rounds `c` to the precision of `x̃`, even
        when `f` is exactly 1.)
        """
        return f, (1 - f) * x_tilde

    def highway_output(self, r, c, highway):
        """`h_t = r_t ⊙ g(c_t) + (1 − r_t) ⊙ x̂_t`."""
        return r * self.activation(c) + (1 - r) * highway

    def step(self, projection, states, training=False):
        """One time step from `project`'s output for that step."""
        c_tm1 = states[1]
        x_tilde, gate_inputs, highway = self.split_projection(projection)
        f, r = self.gates(
            gate_inputs,
            c_tm1 if self.use_recurrent_kernel else None,
            training=training,
        )
        a, b = self.transition(f, x_tilde)
        c = a * c_tm1 + b
        h = self.highway_output(r, c, highway)
        return h, [h, c]

    def get_config(self):
        config = {
            "use_recurrent_kernel": self.use_recurrent_kernel,
            "use_layer_norm": self.use_layer_norm,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        # keras_gated 0.1 saved `use_layer_norm` as `layer_norm`; such files
        # load without a warning (docs/design/0008).
        return cls(
            **_checks.renamed_config_key(config, "layer_norm", "use_layer_norm")
        )
