import math

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import randomize
from tests.seq2seq.cases import reference_attention


def _data(seed=0, batch=3, source_len=6, query_dim=5, memory_dim=5):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(batch, query_dim)).astype("float32")
    memory = rng.normal(size=(batch, source_len, memory_dim)).astype("float32")
    return query, memory


@pytest.mark.parametrize("masked", [False, True])
def test_identity_projections_and_unit_v_equal_keras_additive_attention(masked):
    query, memory = _data()
    mask = length_mask([6, 2, 4], 6) if masked else None
    attention = kg.BahdanauAttention()
    attention.build(query.shape, memory.shape)
    attention.query_kernel.assign(np.eye(5))
    attention.memory_kernel.assign(np.eye(5))
    attention.attention_v.assign(np.ones(5))
    # Keras' optional `scale` vector is our `v`; without it, v = 1.
    reference = keras.layers.AdditiveAttention(use_scale=False)
    context, alignments = attention(query, memory, memory_mask=mask)
    expected, expected_alignments = reference(
        [query[:, None], memory],
        mask=None if mask is None else [None, mask],
        return_attention_scores=True,
    )
    np.testing.assert_allclose(context, expected[:, 0], atol=1e-6)
    np.testing.assert_allclose(alignments, expected_alignments[:, 0], atol=1e-6)


@pytest.mark.parametrize("normalize", [False, True])
def test_score_matches_the_equations(normalize):
    query, memory = _data(query_dim=4, memory_dim=3)
    attention = kg.BahdanauAttention(units=6, normalize=normalize)
    attention.build(query.shape, memory.shape)
    randomize(attention)
    w = {v.name: np.asarray(v, "float64") for v in attention.weights}
    hidden = memory @ w["memory_kernel"] + (query @ w["query_kernel"])[:, None]
    v = w["attention_v"]
    if normalize:
        hidden = hidden + w["attention_b"]
        v = w["attention_g"] * v / np.linalg.norm(v)
    expected_context, expected = reference_attention(
        np.tanh(hidden) @ v, memory
    )
    context, alignments = attention(query, memory)
    np.testing.assert_allclose(alignments, expected, atol=1e-6)
    np.testing.assert_allclose(context, expected_context, atol=1e-6)


def test_weight_layout_and_normalization_init():
    attention = kg.BahdanauAttention(units=6, normalize=True)
    attention.build((None, 4), (None, None, 3))
    assert {w.name: tuple(w.shape) for w in attention.weights} == {
        "query_kernel": (4, 6),
        "memory_kernel": (3, 6),
        "attention_v": (6,),
        "attention_g": (),
        "attention_b": (6,),
    }
    np.testing.assert_allclose(attention.attention_g, math.sqrt(1 / 6))
    np.testing.assert_array_equal(attention.attention_b, 0.0)


def test_units_default_to_the_query_size():
    attention = kg.BahdanauAttention()
    attention.build((None, 4), (None, None, 3))
    assert tuple(attention.query_kernel.shape) == (4, 4)
    assert attention.get_config()["units"] is None


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"units": 0}, "units"), ({"normalize": 1}, "normalize")],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`.*{kwargs[argument]!r}"):
        kg.BahdanauAttention(**kwargs)
