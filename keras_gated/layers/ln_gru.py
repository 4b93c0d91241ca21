import keras

from keras_gated.cells.ln_gru_cell import LNGRUCell
from keras_gated.layers._fused_rnn import FusedRNN


@keras.saving.register_keras_serializable(package="keras_gated")
class LNGRU(FusedRNN):
    """Layer-normalized GRU layer, fused (`reset_after` convention).

    The same equations, weights and results as
    `keras.layers.RNN(keras_gated.LNGRUCell(units, ...))`, computed the way
    the hardware favours. On GPUs and TPUs (`precompute_projection="auto"`)
    the input-side work `LN(x_t W; γx, βx) + b` of every time step is done
    before the time loop, as one `[batch * time, features] × [features, 3u]`
    matrix product and one layer norm, and the loop runs only the recurrent
    part (`h_{t-1} U`, its layer norm and the gates):

    ```
    xz, xr, xh = split(LN(x_t W; γx, βx) + b, 3)       # before the loop
    hz, hr, hh = split(LN(h_{t-1} U; γh, βh), 3)        # in the loop
    z = σ(xz + hz);   r = σ(xr + hr)
    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ tanh(xh + r ⊙ hh)
    ```

    On CPUs the input-side work stays in the loop, where the backends
    overlap it with the recurrent chain of earlier steps: that measured
    faster on CPUs, and slower on GPUs (`benchmarks/README.md`).

    Use it as you would `keras.layers.GRU`: it takes the cell's arguments and
    `keras.layers.RNN`'s, and its `get_config` is flat. Use the cell inside
    `keras.layers.RNN` when you need to step it yourself or to stack it with
    other cells in one `StackedRNNCells`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, norm_gamma_initializer,
            norm_beta_initializer, norm_epsilon:
            As in `keras_gated.LNGRUCell`.
        precompute_projection: Whether to compute the input-side work of
            all time steps before the loop, in one batched matrix product:
            `True`, `False`, or `"auto"` (on GPUs and TPUs, where it is
            faster; on CPUs the backends overlap it with the recurrence
            inside the loop, which measured faster). The numbers are the
            same either way. Default: `"auto"`.
        return_sequences: Whether to return the whole output sequence or
            only the last output. Default: `False`.
        return_state: Whether to return the last state `h` after the output.
            Default: `False`.
        go_backwards: Whether to process the sequence backwards and return
            the reversed sequence. Default: `False`.
        stateful: Whether the last state of a batch is the initial state of
            the next one. Needs a static batch size. Default: `False`.
        unroll: Whether to unroll the time loop (needs a static number of
            time steps). Default: `False`.
        zero_output_for_mask: Whether masked steps output zeros instead of
            repeating the previous output. Default: `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: `[h]`, `(batch, units)`; zeros if omitted.
        mask: Boolean `(batch, timesteps)`; `False` steps are skipped.
        training: Whether dropout applies.

    Example:

    >>> x = keras.random.normal((32, 10, 8))
    >>> sequence, h = LNGRU(4, return_sequences=True, return_state=True)(x)
    >>> tuple(sequence.shape), tuple(h.shape)
    ((32, 10, 4), (32, 4))

    References:
        K. Cho et al. "Learning Phrase Representations using RNN
        Encoder-Decoder for Statistical Machine Translation", EMNLP 2014.
        https://arxiv.org/abs/1406.1078

        J. L. Ba, J. R. Kiros, G. E. Hinton. "Layer Normalization", 2016.
        https://arxiv.org/abs/1607.06450
    """

    cell_class = LNGRUCell

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
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        precompute_projection="auto",
        **kwargs,
    ):
        cell = LNGRUCell(
            units,
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
