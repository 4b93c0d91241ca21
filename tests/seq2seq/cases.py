"""Shared cases for the seq2seq tests: the cells to wrap, the mechanisms."""

import keras
import numpy as np
import pytest

import keras_gated as kg

INNER_CELLS = [
    kg.LNLSTMCell,
    kg.LNGRUCell,
    kg.SRUCell,
    keras.layers.LSTMCell,
    keras.layers.GRUCell,
]
MECHANISMS = [kg.LuongAttention, kg.BahdanauAttention]

all_inner_cells = pytest.mark.parametrize(
    "inner_class", INNER_CELLS, ids=lambda c: c.__name__
)
all_mechanisms = pytest.mark.parametrize(
    "mechanism_class", MECHANISMS, ids=lambda c: c.__name__
)

BATCH, TARGET_LEN, SOURCE_LEN, FEATURES, MEMORY_DIM, UNITS = 3, 5, 6, 4, 7, 8


def inputs(seed=0, batch=BATCH, steps=TARGET_LEN, features=FEATURES):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, steps, features)).astype("float32")


def memory(seed=1, batch=BATCH, length=SOURCE_LEN, dim=MEMORY_DIM):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, length, dim)).astype("float32")


def length_mask(lengths, length):
    """Boolean `(len(lengths), length)`, True before each length."""
    return np.arange(length)[None, :] < np.asarray(lengths)[:, None]


def reference_attention(scores, memory, mask=None):
    """NumPy `(context, alignments)` from scores `(batch, source_len)`.

    The softmax over the unmasked positions, zero where masked, and the
    alignment-weighted sum of the memory.
    """
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bt,btd->bd", weights, memory), weights


def randomize(layer, seed=0, scale=0.5):
    """Assigns random normal values to every weight of a built layer."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(scale=scale, size=w.shape).astype(w.dtype))


def built_decoder(
    inner_class=kg.LNLSTMCell,
    mechanism_class=kg.LuongAttention,
    seed=0,
    cell_kwargs=None,
    **decoder_kwargs,
):
    """An `AttentionDecoder` built for `inputs()` and `memory()`, random."""
    cell = kg.AttentionDecoderCell(
        inner_class(UNITS), mechanism_class(), **(cell_kwargs or {})
    )
    decoder = kg.AttentionDecoder(cell, **decoder_kwargs)
    decoder.build((None, None, FEATURES), (None, None, MEMORY_DIM))
    randomize(decoder, seed=seed)
    return decoder


def compiled(fn, jit_compile):
    """`fn` compiled by the backend: `tf.function`, or `jax.jit`."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=jit_compile)
    if backend == "jax" and jit_compile:
        import jax

        return jax.jit(fn)
    pytest.skip(
        f"no {'XLA ' if jit_compile else ''}graph compiler on {backend}"
    )
