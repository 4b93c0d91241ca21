import keras
from keras import ops

from keras_gated import _checks
from keras_gated.seq2seq._attention_mechanism import check_memory_mask
from keras_gated.seq2seq._attention_mechanism import check_memory_shape


@keras.saving.register_keras_serializable(package="keras_gated")
class MemoryInitialState(keras.layers.Layer):
    """A decoder's initial states, computed from the mean of the memory.

    Show, Attend and Tell (Xu et al. 2015, section 3.1.2) starts the
    decoder LSTM from the image: with `m_i` the memory (the annotation
    vectors, e.g. a CNN feature map flattened to `(batch, H·W, channels)`)
    and `ā` their mean over the valid positions,

    ```
    ā   = Σ_i mask_i m_i / max(Σ_i mask_i, 1)
    s_k = σ(ā W_k + b_k)          k = 0 … num_states − 1
    ```

    with `σ` the `activation` (tanh). For an LSTM, `num_states=2` gives
    the paper's `h_0 = tanh(W_h ā + b_h)` and `c_0 = tanh(W_c ā + b_c)`;
    `num_states=1` a GRU's `h_0`. A memory row that is all masked has
    `ā = 0` (never NaN).

    Weights: `kernel`, shape `(memory_dim, num_states · units)`, and
    `bias`, shape `(num_states · units,)`; state `k` uses columns
    `[k · units, (k + 1) · units)`, i.e. `W_h` then `W_c`.

    Feed the states to a decoder as the wrapped cell's states:

    ```python
    h0, c0 = kg.MemoryInitialState(units)(features, memory_mask=mask)
    outputs = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            keras.layers.LSTMCell(units), "bahdanau",
            wiring="show_attend_tell", context_gate=True),
        return_sequences=True,
    )(words, memory=features, memory_mask=mask, initial_state=[h0, c0])
    ```

    and when decoding by hand, to `cell.get_initial_state(memory,
    [h0, c0])`. The states are in the wrapped cell's order, its first
    state (`h`, the output) first, as every keras_gated cell.

    Args:
        units: Positive integer, the size of each state.
        num_states: Positive integer, how many states to compute (2 for an
            LSTM's `[h, c]`, 1 for a GRU's `[h]`). Default: 2.
        activation: `σ` above. Default: `"tanh"`.
        use_bias: Whether to add `b_k`. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer for `kernel`.
        bias_regularizer: Regularizer for `bias`.
        kernel_constraint: Constraint for `kernel`.
        bias_constraint: Constraint for `bias`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        memory: `(batch, source_len, memory_dim)`.
        memory_mask: Optional boolean `(batch, source_len)`, False at
            padded positions, which the mean leaves out.
        mask: Filled in by Keras with the mask attached to `memory` (when
            `memory` is the only tensor argument); used when `memory_mask`
            is not given.

    Returns:
        A list of `num_states` tensors `(batch, units)`.

    Example:

    >>> memory = keras.random.normal((2, 16, 6))
    >>> h0, c0 = MemoryInitialState(8)(memory)
    >>> tuple(h0.shape), tuple(c0.shape)
    ((2, 8), (2, 8))

    Reference:
        K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov,
        R. Zemel, Y. Bengio. "Show, Attend and Tell: Neural Image Caption
        Generation with Visual Attention", ICML 2015, section 3.1.2.
        https://arxiv.org/abs/1502.03044
    """

    def __init__(
        self,
        units,
        num_states=2,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        units = _checks.positive_int("units", units)
        num_states = _checks.positive_int("num_states", num_states)
        use_bias = _checks.boolean("use_bias", use_bias)
        super().__init__(**kwargs)
        self.units = units
        self.num_states = num_states
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, memory_shape, memory_mask_shape=None, mask_shape=None):
        check_memory_shape(memory_shape)
        self.memory_dim = tuple(memory_shape)[-1]
        width = self.num_states * self.units
        self.kernel = self.add_weight(
            shape=(self.memory_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def __call__(self, *args, **kwargs):
        # Before Keras converts the arguments: on JAX a string array
        # would otherwise fail in that conversion, naming no argument.
        _checks.no_strings("memory_mask", kwargs.get("memory_mask"))
        return super().__call__(*args, **kwargs)

    def call(self, memory, memory_mask=None, mask=None):
        check_memory_shape(memory.shape, self.memory_dim)
        if memory_mask is None:
            memory_mask = mask
        memory_mask = check_memory_mask(memory_mask, memory)
        if memory_mask is None:
            mean = ops.mean(memory, axis=1)
        else:
            weights = ops.cast(ops.convert_to_tensor(memory_mask), memory.dtype)
            total = ops.sum(memory * weights[:, :, None], axis=1)
            count = ops.sum(weights, axis=1, keepdims=True)
            mean = total / ops.maximum(count, ops.ones_like(count))
        projected = ops.matmul(mean, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        states = self.activation(projected)
        return [
            states[:, k * self.units : (k + 1) * self.units]
            for k in range(self.num_states)
        ]

    def compute_output_shape(
        self, memory_shape, memory_mask_shape=None, mask_shape=None
    ):
        batch = tuple(memory_shape)[0]
        return [(batch, self.units)] * self.num_states

    def compute_mask(self, memory, memory_mask=None, mask=None):
        return [None] * self.num_states

    def get_config(self):
        config = {
            "units": self.units,
            "num_states": self.num_states,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
            "bias_constraint": keras.constraints.serialize(
                self.bias_constraint
            ),
        }
        return {**super().get_config(), **config}
