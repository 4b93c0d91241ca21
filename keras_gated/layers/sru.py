import keras
from keras import ops
from keras import tree

from keras_gated import _checks
from keras_gated.cells.sru_cell import SRUCell
from keras_gated.layers import _sru_fused_loop
from keras_gated.layers._fused_rnn import FusedRNN
from keras_gated.layers._linear_scan import linear_recurrence


@keras.saving.register_keras_serializable(package="keras_gated")
class SRU(FusedRNN):
    """Simple Recurrent Unit layer, fused, optionally parallel in time.

    The same equations, weights and results as
    `keras.layers.RNN(keras_gated.SRUCell(units, ...))`, computed the way the
    SRU was designed to be run on GPUs and TPUs: its only matrix product,
    `x_t W` for all the blocks `[x̃, f, r, (P)]`, is done for every time step
    before the loop, as one `[batch * time, features] × [features, 3u or 4u]`
    product, and the loop is element-wise (`precompute_projection="auto"`;
    on CPUs the product stays in the loop, where it overlaps the recurrence
    and measured faster):

    ```
    f_t = σ(x_t W_f + v_f ⊙ c_{t-1} + b_f)
    r_t = σ(x_t W_r + v_r ⊙ c_{t-1} + b_r)
    c_t = f_t ⊙ c_{t-1} + (1 − f_t) ⊙ (x_t W_x̃)
    h_t = r_t ⊙ g(c_t) + (1 − r_t) ⊙ x̂_t
    ```

    **Parallel scan.** With `use_recurrent_kernel=False` (`v_f = v_r = 0`),
    the gates depend on the input alone and `c_t = f_t ⊙ c_{t-1} + (1 − f_t)
    ⊙ x̃_t` is an affine map of `c_{t-1}`. Affine maps compose
    associatively, so with `parallel_scan=True` the layer computes every
    `c_t` with a blocked scan, in about `3 sqrt(T)` sequential steps
    instead of `T`, then every `h_t` at once. Masked steps are the
    identity map (`f = 1`, nothing added), and their outputs repeat the
    previous output (or are zero with `zero_output_for_mask`), exactly as
    in the loop. With `unroll=True` (and a static number of steps) the scan
    has no loop op at all, which LiteRT's builtin ops need
    (docs/export.md).

    Which to use: the loop (`parallel_scan=False`) is the SRU of the paper,
    with `v_f, v_r`; the scan trades those two vectors for far less
    sequential work, which pays off on long sequences (see
    `benchmarks/README.md` for measured ratios).

    Args:
        units: Positive integer, dimensionality of the output space.
        activation, recurrent_activation, use_bias, use_recurrent_kernel,
            kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint,
            dropout, recurrent_dropout, seed, use_layer_norm,
            norm_gamma_initializer, norm_beta_initializer, norm_epsilon:
            As in `keras_gated.SRUCell`.
        parallel_scan: Whether to run the recurrence as a parallel scan.
            Needs `use_recurrent_kernel=False`. Default: `False`.
        precompute_projection: Whether to compute the input-side work of
            all time steps before the loop, in one batched matrix product:
            `True`, `False`, or `"auto"` (on GPUs and TPUs, where it is
            faster; on CPUs the backends overlap it with the recurrence
            inside the loop, which measured faster). The numbers are the
            same either way; the parallel scan always precomputes.
            Default: `"auto"`.
        fused_loop: Whether the sequential loop runs as one compiled
            kernel per direction with its own backward pass: `True`,
            `False`, or `"auto"` (on TensorFlow, when the configuration
            allows it; on JAX it is offered with `True`: on CPU it measured
            as fast as Keras' scan in training, slower forward). The
            input projection is then always
            computed before the loop, in one matrix product, and so is its
            weight gradient; the loop over time is element-wise, each step
            one fused XLA kernel (TensorFlow: `tf.function(jit_compile=True)`
            loops joined by a custom gradient; JAX: `jax.custom_vjp`).
            Needs `activation` `"linear"` or `"tanh"`, `recurrent_activation`
            `"sigmoid"`, `unroll=False` and `parallel_scan=False`; "auto"
            falls back to Keras' loop otherwise, and on PyTorch, where the
            loop is differentiated by autodiff. Half-precision inputs run
            the loop in float32. The same results as `fused_loop=False` (to
            rounding); `keras.layers.RNN(SRUCell)` is the reference.
            Default: `"auto"`.
        return_sequences: Whether to return the whole output sequence or
            only the last output. Default: `False`.
        return_state: Whether to return the last states `h, c` after the
            output. Default: `False`.
        go_backwards: Whether to process the sequence backwards and return
            the reversed sequence. Default: `False`.
        stateful: Whether the last states of a batch are the initial states
            of the next one. Needs a static batch size. Default: `False`.
        unroll: Whether to unroll the time loop (needs a static number of
            time steps). Default: `False`.
        zero_output_for_mask: Whether masked steps output zeros instead of
            repeating the previous output. Default: `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: `[h, c]`, each `(batch, units)`; zeros if omitted.
        mask: Boolean `(batch, timesteps)`; `False` steps are skipped.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 1000, 8))
    >>> sru = SRU(8, use_recurrent_kernel=False, parallel_scan=True,
    ...           return_sequences=True)
    >>> tuple(sru(x).shape)
    (32, 1000, 8)

    Reference:
        T. Lei, Y. Zhang, S. I. Wang, H. Dai, Y. Artzi. "Simple Recurrent
        Units for Highly Parallelizable Recurrence", EMNLP 2018.
        https://arxiv.org/abs/1709.02755
    """

    cell_class = SRUCell

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
        parallel_scan=False,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        precompute_projection="auto",
        fused_loop="auto",
        **kwargs,
    ):
        use_layer_norm = _checks.renamed_argument(
            kwargs, "layer_norm", "use_layer_norm", use_layer_norm, False
        )
        parallel_scan = _checks.boolean("parallel_scan", parallel_scan)
        if parallel_scan and use_recurrent_kernel:
            raise ValueError(
                "Received parallel_scan=True with use_recurrent_kernel=True. "
                "The parallel scan needs a recurrence that is linear in the "
                "cell state, and `v_f * c_{t-1}`, `v_r * c_{t-1}` inside the "
                "sigmoid gates make it nonlinear. Pass "
                "use_recurrent_kernel=False (v_f = v_r = 0), or "
                "parallel_scan=False."
            )
        cell = SRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            use_recurrent_kernel=use_recurrent_kernel,
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
            use_layer_norm=use_layer_norm,
            norm_gamma_initializer=norm_gamma_initializer,
            norm_beta_initializer=norm_beta_initializer,
            norm_epsilon=norm_epsilon,
            **self._cell_kwargs(kwargs),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            precompute_projection=precompute_projection,
            **kwargs,
        )
        self.parallel_scan = parallel_scan
        if fused_loop not in ("auto", True, False):
            raise ValueError(
                "Received an invalid value for argument `fused_loop`, "
                f"expected one of 'auto', True, False, got {fused_loop!r}."
            )
        if fused_loop is True:
            refused = _sru_fused_loop.supported(self.cell)
            if parallel_scan:
                refused = "parallel_scan=True (the scan has no time loop)"
            elif unroll:
                refused = "unroll=True (the fused loop is a loop op)"
            if refused:
                raise ValueError(
                    f"Received fused_loop=True with {refused}. Pass "
                    "fused_loop='auto' or False."
                )
        self.fused_loop = fused_loop

    def _uses_fused_loop(self):
        """Whether `call` runs the fused loop (`fused_loop` resolved)."""
        # "auto" is TensorFlow only: on JAX (CPU) the fused loop measured
        # as fast as Keras' scan in training but slower forward (0005).
        if self.fused_loop is not True and (
            self.fused_loop is False or keras.backend.backend() != "tensorflow"
        ):
            return False
        return not (
            self.parallel_scan
            or self.unroll
            or _sru_fused_loop.supported(self.cell)
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if self._uses_fused_loop():
            return self._fused_inner_loop(
                sequences, initial_state, mask, training=training
            )
        if not self.parallel_scan:
            return super().inner_loop(
                sequences, initial_state, mask, training=training
            )
        if tree.is_nested(mask):
            mask = mask[0]
        cell = self.cell
        h_0, c_0 = initial_state
        projection = cell.project(sequences, training=training)
        if mask is not None:
            keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        if self.go_backwards:
            projection = ops.flip(projection, axis=1)
            keep = None if mask is None else ops.flip(keep, axis=1)
        x_tilde, gate_inputs, highway = cell.split_projection(projection)
        f, r = cell.gates(gate_inputs)
        a, b = cell.transition(f, x_tilde)
        if mask is not None:
            # Masked steps are the identity map.
            a = ops.where(keep, a, ops.ones_like(a))
            b = ops.where(keep, b, ops.zeros_like(b))
        c = linear_recurrence(a, b, c_0, unroll=self.unroll)
        h = cell.highway_output(r, c, highway)
        if mask is None:
            outputs, h_last = h, h[:, -1]
        else:
            # Masked steps hold the last valid h (zero before the first, as
            # in Keras' loop): the same recurrence, on h.
            valid = ops.where(keep, h, ops.zeros_like(h))
            hold = ops.where(keep, ops.zeros_like(h), ops.ones_like(h))
            carried = linear_recurrence(
                hold, valid, ops.zeros_like(h_0), unroll=self.unroll
            )
            outputs = valid if self.zero_output_for_mask else carried
            # The state is the last valid h, or h_0 if no step is valid.
            any_valid = ops.any(keep, axis=1)
            h_last = ops.where(any_valid, carried[:, -1], h_0)
        return outputs[:, -1], outputs, [h_last, c[:, -1]]

    def _fused_inner_loop(self, sequences, initial_state, mask, training):
        if tree.is_nested(mask):
            mask = mask[0]
        cell = self.cell
        h_0, c_0 = initial_state
        recurrent_dropout_mask = None
        if training and cell.recurrent_dropout > 0:
            recurrent_dropout_mask = cell.get_recurrent_dropout_mask(c_0)
        outputs, h, c = _sru_fused_loop.sru_loop(
            cell.project(sequences, training=training),
            c_0,
            h_0,
            recurrent_kernel=(
                cell.recurrent_kernel if cell.use_recurrent_kernel else None
            ),
            mask=mask,
            recurrent_dropout_mask=recurrent_dropout_mask,
            activation=_sru_fused_loop.activation_name(cell.activation),
            go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
            save=bool(training),
        )
        last_output = outputs[:, -1] if self.return_sequences else outputs
        return last_output, outputs, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "parallel_scan": self.parallel_scan,
            "fused_loop": self.fused_loop,
        }

    @classmethod
    def from_config(cls, config):
        # keras_gated 0.1 saved `use_layer_norm` as `layer_norm` (0008).
        return cls(
            **_checks.renamed_config_key(config, "layer_norm", "use_layer_norm")
        )
