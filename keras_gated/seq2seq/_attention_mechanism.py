"""What `LuongAttention` and `BahdanauAttention` share (private)."""

import keras
from keras import ops

from keras_gated import _checks


def masked_softmax(scores, memory_mask=None):
    """Softmax over the last axis that gives masked positions exactly zero.

    Masked scores are replaced by a large negative number before the
    softmax, so they take no probability mass from the others, and the
    result is then set to exactly 0 where the mask is False. A row whose
    mask is all False therefore comes out all zeros (never NaN): its
    context vector is zero.

    The softmax runs in float32 at least (float64 stays float64) and is cast
    back to the dtype of `scores`.
    """
    dtype = keras.backend.standardize_dtype(scores.dtype)
    compute_dtype = "float64" if dtype == "float64" else "float32"
    scores = ops.cast(scores, compute_dtype)
    if memory_mask is None:
        return ops.cast(ops.softmax(scores, axis=-1), dtype)
    memory_mask = ops.cast(memory_mask, "bool")
    scores = ops.where(memory_mask, scores, ops.full_like(scores, -1e9))
    weights = ops.softmax(scores, axis=-1)
    weights = ops.where(memory_mask, weights, ops.zeros_like(weights))
    return ops.cast(weights, dtype)


class AttentionMechanism(keras.layers.Layer):
    """Base of `LuongAttention` and `BahdanauAttention`.

    A mechanism maps a query `q` (the decoder cell's output at one step,
    `(batch, query_dim)`) and the memory `m` (`(batch, source_len,
    memory_dim)`) to alignments `α` and a context vector `c`:

    ```
    k = project_keys(m)                # once per sequence, before the loop
    e_i = score(q, k_i)                # (batch, source_len)
    α = softmax(e)  over unmasked i;   α_i = 0 exactly where masked
    c = Σ_i α_i m_i                    # (batch, memory_dim)
    ```

    Subclasses create their weights in `build(query_shape, memory_shape)`
    after calling `super().build`, and implement `project_keys` (the part
    that depends on the memory alone) and `score`.
    """

    def __init__(
        self,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)

    def build(self, query_shape, memory_shape):
        query_shape = tuple(query_shape)
        memory_shape = tuple(memory_shape)
        if len(query_shape) != 2 or query_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects a query of shape "
                "`(batch_size, query_dim)` with a known `query_dim`. "
                f"Received: query_shape={query_shape}"
            )
        check_memory_shape(memory_shape)
        self.query_dim = query_shape[-1]
        self.memory_dim = memory_shape[-1]

    def _add_kernel(self, name, shape):
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def __call__(self, *args, **kwargs):
        # Before Keras converts the arguments: on JAX a string array
        # would otherwise fail in that conversion, naming no argument.
        _checks.no_strings("memory_mask", kwargs.get("memory_mask"))
        return super().__call__(*args, **kwargs)

    def call(self, query, memory, keys=None, memory_mask=None):
        check_memory_shape(memory.shape, getattr(self, "memory_dim", None))
        memory_mask = check_memory_mask(memory_mask, memory)
        _checks.same_batch(
            "query", query, memory.shape[0], "the batch of the memory"
        )
        if keys is None:
            keys = self.project_keys(memory)
        alignments = masked_softmax(self.score(query, keys), memory_mask)
        context = ops.matmul(ops.expand_dims(alignments, 1), memory)
        return ops.squeeze(context, 1), alignments

    def project_keys(self, memory):
        raise NotImplementedError

    def score(self, query, keys):
        raise NotImplementedError

    def compute_output_shape(self, query_shape, memory_shape):
        batch, source_len, memory_dim = memory_shape
        return (batch, memory_dim), (batch, source_len)

    def get_config(self):
        config = {
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
        }
        return {**super().get_config(), **config}


def check_memory_shape(memory_shape, memory_dim=None):
    """Raises unless `memory_shape` is `(batch, source_len, memory_dim)`.

    With `memory_dim` given (the size the weights were built for), the last
    axis must also have that size.
    """
    memory_shape = tuple(memory_shape)
    if len(memory_shape) != 3 or memory_shape[-1] is None:
        raise ValueError(
            "The attention memory must have shape `(batch_size, source_len, "
            "memory_dim)` with a known `memory_dim` (flatten an image feature "
            "map `(batch, height, width, channels)` to `(batch, height * "
            f"width, channels)`). Received: memory.shape={memory_shape}"
        )
    if memory_dim is not None and memory_shape[-1] != memory_dim:
        raise ValueError(
            f"The attention was built for a memory with {memory_dim} "
            f"features, but received memory.shape={memory_shape} with "
            f"{memory_shape[-1]}."
        )


def check_memory_mask(memory_mask, memory):
    """Returns `memory_mask`, None or `(batch, source_len)`, or raises.

    A nested Python list of bools is accepted (converted to an array).
    """
    if memory_mask is not None:
        memory_mask = _checks.mask(
            "memory_mask",
            memory_mask,
            tuple(memory.shape[:2]),
            "the `(batch_size, source_len)` of the memory",
        )
    return memory_mask
