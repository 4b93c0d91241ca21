import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import randomize
from tests.seq2seq.cases import reference_attention


def _data(seed=0, batch=3, source_len=6, dim=5):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(batch, dim)).astype("float32")
    memory = rng.normal(size=(batch, source_len, dim)).astype("float32")
    return query, memory


@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_identity_projection_equals_keras_attention(use_scale, masked):
    query, memory = _data()
    mask = length_mask([6, 3, 1], 6) if masked else None
    attention = kg.LuongAttention(use_scale=use_scale)
    attention.build(query.shape, memory.shape)
    attention.memory_kernel.assign(np.eye(5))
    reference = keras.layers.Attention(use_scale=use_scale)
    if use_scale:
        attention.scale.assign(1.7)
        reference.build([(3, 1, 5), (3, 6, 5)])
        reference.scale.assign(1.7)
    context, alignments = attention(query, memory, memory_mask=mask)
    expected, expected_alignments = reference(
        [query[:, None], memory],
        mask=None if mask is None else [None, mask],
        return_attention_scores=True,
    )
    np.testing.assert_allclose(context, expected[:, 0], atol=1e-6)
    np.testing.assert_allclose(alignments, expected_alignments[:, 0], atol=1e-6)


def test_score_is_the_query_times_the_projected_memory():
    query, memory = _data(dim=4)
    memory = memory[..., :3]  # memory_dim 3, query_dim 4.
    attention = kg.LuongAttention(use_scale=True)
    attention.build(query.shape, memory.shape)
    randomize(attention)
    w = np.asarray(attention.memory_kernel, "float64")
    g = float(np.asarray(attention.scale))
    scores = g * np.einsum("bd,btd->bt", query, memory @ w)
    expected_context, expected = reference_attention(scores, memory)
    context, alignments = attention(query, memory)
    np.testing.assert_allclose(alignments, expected, atol=1e-6)
    np.testing.assert_allclose(context, expected_context, atol=1e-6)


def test_weight_layout():
    attention = kg.LuongAttention(use_scale=True)
    attention.build((None, 4), (None, None, 3))
    assert {w.name: tuple(w.shape) for w in attention.weights} == {
        "memory_kernel": (3, 4),
        "scale": (),
    }
    np.testing.assert_array_equal(attention.scale, 1.0)
    assert [w.name for w in kg.LuongAttention().weights] == []


def test_use_scale_is_validated():
    with pytest.raises(ValueError, match="`use_scale`.*'yes'"):
        kg.LuongAttention(use_scale="yes")
