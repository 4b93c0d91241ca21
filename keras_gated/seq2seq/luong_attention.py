import keras
from keras import ops

from keras_gated import _checks
from keras_gated.seq2seq._attention_mechanism import AttentionMechanism


@keras.saving.register_keras_serializable(package="keras_gated")
class LuongAttention(AttentionMechanism):
    """Multiplicative ("general") attention of Luong et al. (2015).

    The score function of a `keras_gated.AttentionDecoderCell` (pass it as
    `attention=LuongAttention()` or `attention="luong"`). With a query `q`
    (the decoder cell's output `h_t`, `(batch, query_dim)`) and a memory
    `m` (`(batch, source_len, memory_dim)`, e.g. encoder outputs):

    ```
    k_i = W m_i                        # keys: once per sequence
    e_i = g · qᵀ k_i                   # g = 1 unless use_scale
    α   = softmax(e) over the unmasked positions;  α_i = 0 where masked
    c   = Σ_i α_i m_i
    ```

    The keys depend on the memory alone: `AttentionDecoder` computes them
    once with `project_keys` before the time loop, not at every step.

    Weights:

    - `memory_kernel` `W`, shape `(memory_dim, query_dim)`;
    - `scale` `g`, a scalar initialized to 1 (when `use_scale`).

    Notes:

    - With `W` the identity (so `memory_dim == query_dim`) the score is the
      plain dot product `qᵀ m_i` of `keras.layers.Attention`, and `c` is
      that layer's output for a single query.
    - TensorFlow Addons called `use_scale` `scale`, and computed the keys
      with a `memory_layer`; its `units` argument is `query_dim` here,
      taken from the query when the layer is built.
    - A row whose mask is all False has all-zero alignments and a zero
      context vector (never NaN).

    Args:
        use_scale: Whether to multiply the scores by a learned scalar `g`.
            Default: `False`.
        kernel_initializer: Initializer for `memory_kernel`.
            Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for `memory_kernel`.
        kernel_constraint: Constraint for `memory_kernel`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        query: `(batch, query_dim)`.
        memory: `(batch, source_len, memory_dim)`; it is also the values
            that the context vector averages.
        keys: Optional `project_keys(memory)`, precomputed.
        memory_mask: Optional boolean `(batch, source_len)`, False at
            padding positions.

    Returns:
        `(context, alignments)`, of shapes `(batch, memory_dim)` and
        `(batch, source_len)`.

    Example:

    >>> attention = LuongAttention()
    >>> query = keras.random.normal((2, 4))
    >>> memory = keras.random.normal((2, 7, 3))
    >>> context, alignments = attention(query, memory)
    >>> tuple(context.shape), tuple(alignments.shape)
    ((2, 3), (2, 7))

    Reference:
        M.-T. Luong, H. Pham, C. D. Manning. "Effective Approaches to
        Attention-based Neural Machine Translation", EMNLP 2015, section 3.1
        (the "general" score). https://arxiv.org/abs/1508.04025
    """

    def __init__(
        self,
        use_scale=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        use_scale = _checks.boolean("use_scale", use_scale)
        super().__init__(
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
            **kwargs,
        )
        self.use_scale = use_scale

    def build(self, query_shape, memory_shape):
        super().build(query_shape, memory_shape)
        self.memory_kernel = self._add_kernel(
            "memory_kernel", (self.memory_dim, self.query_dim)
        )
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(), name="scale", initializer="ones"
            )
        else:
            self.scale = None

    def project_keys(self, memory):
        """Returns the keys `W m_i`, `(batch, source_len, query_dim)`."""
        return ops.matmul(memory, self.memory_kernel)

    def score(self, query, keys):
        """Returns the scores `e`, `(batch, source_len)`."""
        scores = ops.squeeze(ops.matmul(keys, ops.expand_dims(query, -1)), -1)
        if self.scale is not None:
            scores = scores * self.scale
        return scores

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale}
