import keras

from keras_gated.cells.ln_lstm_cell import LNLSTMCell
from keras_gated.layers._fused_rnn import FusedRNN


@keras.saving.register_keras_serializable(package="keras_gated")
class LNLSTM(FusedRNN):
    """Layer-normalized LSTM layer, fused (Ba, Kiros & Hinton, 2016).

    The same equations, weights and results as
    `keras.layers.RNN(keras_gated.LNLSTMCell(units, ...))`, computed the way
    the hardware favours. On GPUs and TPUs (`precompute_projection="auto"`)
    the input-side work `LN(x_t W; γx, βx) + b` of every time step is done
    before the time loop, as one `[batch * time, features] × [features, 4u]`
    matrix product and one layer norm (computed from the narrow side, see
    `docs/design/0005`), and the loop runs only the recurrent part
    (`h_{t-1} U`, its layer norm, the gates and `LN(c_t)`):

    ```
    z   = LN(x_t W; γx, βx) + LN(h_{t-1} U; γh, βh) + b
    i, f, g, o = split(z, 4)
    c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
    h_t = σ(o) ⊙ tanh(LN(c_t; γc, βc))
    ```

    On CPUs the input-side work stays in the loop, where the backends
    overlap it with the recurrent chain of earlier steps: that measured
    faster on CPUs, and slower on GPUs (`benchmarks/README.md`).

    Use it as you would `keras.layers.LSTM`: it takes the cell's arguments
    and `keras.layers.RNN`'s, and its `get_config` is flat. Use the cell
    inside `keras.layers.RNN` when you need to step it yourself or to stack
    it with other cells in one `StackedRNNCells`; both save and load each
    other's weights.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias,
            kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint,
            dropout, recurrent_dropout, seed, norm_gamma_initializer,
            norm_beta_initializer, norm_epsilon, carry_normalized_cell:
            As in `keras_gated.LNLSTMCell`.
        precompute_projection: Whether to compute the input-side work of
            all time steps before the loop, in one batched matrix product:
            `True`, `False`, or `"auto"` (on GPUs and TPUs, where it is
            faster; on CPUs the backends overlap it with the recurrence
            inside the loop, which measured faster). The numbers are the
            same either way. Default: `"auto"`.
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

    >>> x = keras.random.normal((32, 10, 8))
    >>> output, h, c = LNLSTM(4, return_state=True)(x)
    >>> tuple(output.shape), tuple(c.shape)
    ((32, 4), (32, 4))

    Reference:
        J. L. Ba, J. R. Kiros, G. E. Hinton. "Layer Normalization", 2016.
        https://arxiv.org/abs/1607.06450
    """

    cell_class = LNLSTMCell

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
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        precompute_projection="auto",
        **kwargs,
    ):
        cell = LNLSTMCell(
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
            norm_gamma_initializer=norm_gamma_initializer,
            norm_beta_initializer=norm_beta_initializer,
            norm_epsilon=norm_epsilon,
            carry_normalized_cell=carry_normalized_cell,
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
