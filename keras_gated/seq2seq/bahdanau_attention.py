import math

import keras
from keras import ops

from keras_gated import _checks
from keras_gated.seq2seq._attention_mechanism import AttentionMechanism


@keras.saving.register_keras_serializable(package="keras_gated")
class BahdanauAttention(AttentionMechanism):
    """Additive attention of Bahdanau et al. (2015).

    The score function of a `keras_gated.AttentionDecoderCell` (pass it as
    `attention=BahdanauAttention()` or `attention="bahdanau"`). With a
    query `q` (the decoder cell's output `h_t`, `(batch, query_dim)`), a
    memory `m` (`(batch, source_len, memory_dim)`, e.g. encoder outputs)
    and `n = units`:

    ```
    k_i = W₂ m_i                                # keys: once per sequence
    e_i = vᵀ tanh(W₁ q + k_i)                   # normalize=False
    e_i = (g v / ‖v‖)ᵀ tanh(W₁ q + k_i + b)     # normalize=True
    α   = softmax(e) over the unmasked positions;  α_i = 0 where masked
    c   = Σ_i α_i m_i
    ```

    The keys depend on the memory alone: `AttentionDecoder` computes them
    once with `project_keys` before the time loop, not at every step.

    Weights:

    - `query_kernel` `W₁`, shape `(query_dim, n)`, and `memory_kernel`
      `W₂`, shape `(memory_dim, n)`;
    - `attention_v` `v`, shape `(n,)`;
    - with `normalize=True`, `attention_g` `g`, a scalar initialized to
      `sqrt(1 / n)`, and `attention_b` `b`, shape `(n,)`, initialized to 0
      (weight normalization of `v`, Salimans & Kingma 2016, as TensorFlow
      Addons' `BahdanauAttention(normalize=True)`).

    Notes:

    - With `W₁ = W₂ = I` (so `query_dim == memory_dim == n`) and `v = 1`,
      the score is `Σ_j tanh(q_j + m_ij)`, the score of
      `keras.layers.AdditiveAttention` (whose `scale` is our `v`).
    - The query is the cell's *current* output `h_t` (as in TensorFlow
      Addons' `AttentionWrapper`), not `h_{t-1}` as in the paper; the
      paper's order is recovered by `input_feeding`, which feeds the
      previous attention vector to the cell.
    - A row whose mask is all False has all-zero alignments and a zero
      context vector (never NaN).

    Args:
        units: Positive integer `n`, the size of the hidden layer of the
            score; `None` for the query size. Default: `None`.
        normalize: Whether to weight-normalize `v` (adds `g` and `b`).
            Default: `False`.
        kernel_initializer: Initializer for `query_kernel`, `memory_kernel`
            and `attention_v`. Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for the same three weights.
        kernel_constraint: Constraint for the same three weights.
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

    >>> attention = BahdanauAttention(units=5, normalize=True)
    >>> query = keras.random.normal((2, 4))
    >>> memory = keras.random.normal((2, 7, 3))
    >>> mask = keras.ops.arange(7)[None, :] < keras.ops.array([[7], [2]])
    >>> context, alignments = attention(query, memory, memory_mask=mask)
    >>> tuple(context.shape), tuple(alignments.shape)
    ((2, 3), (2, 7))
    >>> float(keras.ops.sum(alignments[1, 2:]))
    0.0

    Reference:
        D. Bahdanau, K. Cho, Y. Bengio. "Neural Machine Translation by
        Jointly Learning to Align and Translate", ICLR 2015, appendix A.1.2.
        https://arxiv.org/abs/1409.0473
    """

    def __init__(
        self,
        units=None,
        normalize=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        if units is not None:
            units = _checks.positive_int("units", units)
        normalize = _checks.boolean("normalize", normalize)
        super().__init__(
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
            **kwargs,
        )
        self.units = units
        self.normalize = normalize

    def build(self, query_shape, memory_shape):
        super().build(query_shape, memory_shape)
        depth = self.units or self.query_dim
        self.query_kernel = self._add_kernel(
            "query_kernel", (self.query_dim, depth)
        )
        self.memory_kernel = self._add_kernel(
            "memory_kernel", (self.memory_dim, depth)
        )
        self.attention_v = self._add_kernel("attention_v", (depth,))
        if self.normalize:
            self.attention_g = self.add_weight(
                shape=(),
                name="attention_g",
                initializer=keras.initializers.Constant(math.sqrt(1 / depth)),
            )
            self.attention_b = self.add_weight(
                shape=(depth,), name="attention_b", initializer="zeros"
            )

    def project_keys(self, memory):
        """Returns the keys `W₂ m_i`, `(batch, source_len, units)`."""
        return ops.matmul(memory, self.memory_kernel)

    def score(self, query, keys):
        """Returns the scores `e`, `(batch, source_len)`."""
        hidden = keys + ops.expand_dims(ops.matmul(query, self.query_kernel), 1)
        v = self.attention_v
        if self.normalize:
            hidden = hidden + self.attention_b
            v = self.attention_g * v * ops.rsqrt(ops.sum(ops.square(v)))
        return ops.sum(ops.tanh(hidden) * v, axis=-1)

    def get_config(self):
        config = {"units": self.units, "normalize": self.normalize}
        return {**super().get_config(), **config}
