"""The contract both attention mechanisms keep (the private base class).

Parametrized over `LuongAttention` and `BahdanauAttention`; each one's own
file tests its score function.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.seq2seq.cases import all_mechanisms
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import memory
from tests.seq2seq.cases import randomize

BATCH, QUERY_DIM, SOURCE_LEN, MEMORY_DIM = 3, 5, 6, 4


def _query(seed=2, batch=BATCH):
    return (
        np.random.default_rng(seed)
        .normal(size=(batch, QUERY_DIM))
        .astype("float32")
    )


def _built(mechanism_class, seed=0):
    mechanism = mechanism_class()
    mechanism.build((None, QUERY_DIM), (None, None, MEMORY_DIM))
    randomize(mechanism, seed=seed)
    return mechanism


def _memory(batch=BATCH, length=SOURCE_LEN):
    return memory(batch=batch, length=length, dim=MEMORY_DIM)


@all_mechanisms
def test_context_is_the_alignment_weighted_memory(mechanism_class):
    mechanism = _built(mechanism_class)
    m = _memory()
    context, alignments = mechanism(_query(), m)
    expected = np.einsum("bt,btd->bd", alignments, m)
    np.testing.assert_allclose(context, expected, atol=1e-6)
    assert context.shape == (BATCH, MEMORY_DIM)
    assert alignments.shape == (BATCH, SOURCE_LEN)


@all_mechanisms
@settings(max_examples=15, deadline=None)
@given(
    lengths=st.lists(
        st.integers(1, SOURCE_LEN), min_size=BATCH, max_size=BATCH
    ),
    seed=st.integers(0, 2**16),
)
def test_alignments_sum_to_one_and_are_exactly_zero_where_masked(
    mechanism_class, lengths, seed
):
    mechanism = _built(mechanism_class, seed=seed % 7)
    mask = length_mask(lengths, SOURCE_LEN)
    rng = np.random.default_rng(seed)
    m = rng.normal(scale=3.0, size=(BATCH, SOURCE_LEN, MEMORY_DIM))
    _, alignments = mechanism(
        _query(seed), m.astype("float32"), memory_mask=mask
    )
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(alignments.sum(-1), 1.0, atol=1e-6)
    assert np.all(alignments[~mask] == 0.0)
    assert np.all(alignments[mask] >= 0.0)


@pytest.mark.tensorflow_only
@all_mechanisms
def test_an_all_false_mask_row_gives_zeros_and_finite_gradients(
    mechanism_class,
):
    mechanism = _built(mechanism_class)
    mask = length_mask([SOURCE_LEN, 0, 2], SOURCE_LEN)
    query, m = tf.constant(_query()), tf.constant(_memory())
    with tf.GradientTape() as tape:
        tape.watch([query, m])
        context, alignments = mechanism(query, m, memory_mask=mask)
        loss = tf.reduce_sum(context**2)
    gradients = tape.gradient(loss, [query, m, *mechanism.trainable_weights])
    np.testing.assert_array_equal(alignments[1], 0.0)
    np.testing.assert_array_equal(context[1], 0.0)
    for gradient in gradients:
        assert np.all(np.isfinite(gradient))


@all_mechanisms
def test_precomputed_keys_give_the_same_result(mechanism_class):
    mechanism = _built(mechanism_class)
    m = _memory()
    keys = mechanism.project_keys(m)
    for got, want in zip(
        mechanism(_query(), m, keys=keys), mechanism(_query(), m)
    ):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.float64
@all_mechanisms
def test_float64(mechanism_class):
    mechanism = mechanism_class(dtype="float64")
    context, alignments = mechanism(
        _query().astype("float64"), _memory().astype("float64")
    )
    assert keras.backend.standardize_dtype(context.dtype) == "float64"
    assert keras.backend.standardize_dtype(alignments.dtype) == "float64"
    np.testing.assert_allclose(np.sum(alignments, -1), 1.0, rtol=0, atol=1e-12)


@all_mechanisms
def test_memory_of_rank_other_than_3_is_a_clear_error(mechanism_class):
    with pytest.raises(ValueError, match=r"\(batch_size, source_len"):
        mechanism_class()(_query(), np.zeros((BATCH, MEMORY_DIM), "float32"))


@all_mechanisms
def test_memory_feature_size_after_build_is_a_clear_error(mechanism_class):
    mechanism = _built(mechanism_class)
    with pytest.raises(
        ValueError, match=f"built for a memory with {MEMORY_DIM}"
    ):
        mechanism(_query(), memory(dim=MEMORY_DIM + 2))


@all_mechanisms
def test_config_round_trip(mechanism_class):
    mechanism = mechanism_class(
        kernel_initializer="he_normal",
        kernel_regularizer="l2",
        name="my_attention",
    )
    config = mechanism.get_config()
    assert mechanism_class.from_config(config).get_config() == config
    serialized = keras.saving.serialize_keras_object(mechanism)
    name = mechanism_class.__name__
    assert serialized["registered_name"] == f"keras_gated>{name}"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is mechanism_class
    assert restored.get_config() == config
