"""`doubly_stochastic_penalty`: Σ_i (1 − Σ_t α_ti)², its masks and scales."""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

import keras_gated as kg
from tests.seq2seq.cases import length_mask


def _penalty(*args, **kwargs):
    return ops.convert_to_numpy(kg.doubly_stochastic_penalty(*args, **kwargs))


def _reference(alignments, target_mask=None, memory_mask=None):
    """Per example, from the docstring, with loops."""
    batch, steps, positions = alignments.shape
    per_example = np.zeros(batch)
    for b in range(batch):
        for i in range(positions):
            if memory_mask is not None and not memory_mask[b, i]:
                continue
            coverage = sum(
                alignments[b, t, i]
                for t in range(steps)
                if target_mask is None or target_mask[b, t]
            )
            per_example[b] += (1.0 - coverage) ** 2
    return per_example


def _random_alignments(batch=3, steps=5, positions=4, seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(batch, steps, positions))
    weights = np.exp(scores)
    return (weights / weights.sum(-1, keepdims=True)).astype("float32")


@pytest.mark.parametrize("size", [1, 3, 5])
def test_zero_when_the_attention_is_a_permutation(size):
    for order in list(itertools.permutations(range(size)))[:6]:
        alignments = np.eye(size, dtype="float32")[list(order)][None]
        for reduction in ("sum_over_positions", "mean_over_positions"):
            assert _penalty(alignments, reduction=reduction) == 0.0


def test_a_hand_computed_case():
    # Two steps over three positions: coverages 0.5 + 0.2, 0.5 + 0.2, 0.6.
    alignments = np.array([[[0.5, 0.5, 0.0], [0.2, 0.2, 0.6]]], "float32")
    # (1 - 0.7)² + (1 - 0.7)² + (1 - 0.6)² = 0.09 + 0.09 + 0.16 = 0.34.
    np.testing.assert_allclose(_penalty(alignments), 0.34, rtol=1e-6)
    np.testing.assert_allclose(
        _penalty(alignments, reduction="mean_over_positions"),
        0.34 / 3,
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        _penalty(alignments, reduction="none"), [0.34], rtol=1e-6
    )


def test_matches_the_loop_reference_with_both_masks():
    alignments = _random_alignments()
    target_mask = length_mask([5, 2, 0], 5)
    memory_mask = length_mask([4, 1, 3], 4)
    expected = _reference(
        alignments.astype("float64"), target_mask, memory_mask
    )
    np.testing.assert_allclose(
        _penalty(alignments, target_mask, memory_mask, reduction="none"),
        expected,
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        _penalty(alignments, target_mask, memory_mask),
        expected.mean(),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        _penalty(
            alignments,
            target_mask,
            memory_mask,
            reduction="mean_over_positions",
        ),
        np.mean(expected / memory_mask.sum(1)),
        rtol=1e-5,
    )


def test_padded_steps_and_masked_positions_are_ignored():
    alignments = _random_alignments(batch=2, steps=3, positions=4)
    target_mask = length_mask([3, 2], 3)
    memory_mask = length_mask([4, 3], 4)
    base = _penalty(alignments, target_mask, memory_mask, reduction="none")
    changed = alignments.copy()
    changed[1, 2] = [0.0, 0.0, 0.0, 1.0]  # A padded step.
    changed[1, :, 3] = 7.0  # A masked position.
    np.testing.assert_allclose(
        _penalty(changed, target_mask, memory_mask, reduction="none"),
        base,
        rtol=1e-6,
    )
    # Without the masks, both count.
    assert not np.allclose(_penalty(changed, reduction="none"), base)


def test_an_all_masked_row_costs_nothing_and_is_not_nan():
    alignments = _random_alignments(batch=2)
    memory_mask = length_mask([4, 0], 4)
    per_example = _penalty(
        alignments, memory_mask=memory_mask, reduction="none"
    )
    assert per_example[1] == 0.0
    mean = _penalty(
        alignments, memory_mask=memory_mask, reduction="mean_over_positions"
    )
    np.testing.assert_allclose(mean, per_example[0] / 4 / 2, rtol=1e-6)


def test_the_authors_and_the_tutorials_conventions():
    alignments = _random_alignments(batch=4, steps=6, positions=5)
    # arctic-captions: alphas (time, batch, positions),
    # ((1 - alphas.sum(0)) ** 2).sum(0).mean()
    time_major = np.transpose(alignments, (1, 0, 2)).astype("float64")
    authors = ((1.0 - time_major.sum(0)) ** 2).sum(0).mean()
    # sgrvinod: alphas (batch, time, positions),
    # ((1. - alphas.sum(dim=1)) ** 2).mean()
    tutorial = ((1.0 - alignments.astype("float64").sum(1)) ** 2).mean()
    mean = _penalty(alignments, reduction="mean_over_positions")
    np.testing.assert_allclose(mean, tutorial, rtol=1e-5)
    np.testing.assert_allclose(4 * mean, authors, rtol=1e-5)


@pytest.mark.tensorflow_only
def test_the_gradient_reaches_the_attention_scores():
    import tensorflow as tf

    rng = np.random.default_rng(3)
    scores = tf.constant(rng.normal(size=(2, 3, 4)))
    memory_mask = length_mask([4, 2], 4)
    target_mask = length_mask([3, 1], 3)

    def penalty(scores):
        alignments = tf.where(
            memory_mask[:, None], scores, tf.constant(-1e9, scores.dtype)
        )
        alignments = tf.nn.softmax(alignments, axis=-1)
        return kg.doubly_stochastic_penalty(
            alignments, target_mask, memory_mask
        )

    theoretical, numerical = tf.test.compute_gradient(penalty, [scores])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-6)
    gradient = theoretical[0].reshape(2, 3, 4)
    assert np.any(gradient[0] != 0.0)
    # Padded steps and masked positions get no gradient.
    np.testing.assert_array_equal(gradient[1, 1:], 0.0)
    np.testing.assert_allclose(gradient[1, 0, 2:], 0.0, atol=1e-12)
    assert np.any(gradient[1, 0, :2] != 0.0)


def test_the_gradient_on_every_backend():
    # d/dα_ti of Σ_i (1 − Σ_t α_ti)² is −2 (1 − coverage_i).
    alignments = _random_alignments(batch=1, steps=2, positions=3)
    coverage = alignments[0].sum(0)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        a = tf.Variable(alignments)
        with tf.GradientTape() as tape:
            loss = kg.doubly_stochastic_penalty(a)
        gradient = tape.gradient(loss, a).numpy()
    elif backend == "jax":
        import jax

        gradient = np.asarray(
            jax.grad(lambda a: kg.doubly_stochastic_penalty(a))(alignments)
        )
    else:
        pytest.skip(f"no gradient helper for {backend}")
    expected = np.broadcast_to(-2.0 * (1.0 - coverage), (2, 3))
    np.testing.assert_allclose(gradient[0], expected, rtol=1e-5)


@pytest.mark.float64
def test_float64_stays_float64():
    alignments = _random_alignments().astype("float64")
    penalty = kg.doubly_stochastic_penalty(alignments)
    assert keras.backend.standardize_dtype(penalty.dtype) == "float64"
    np.testing.assert_allclose(
        ops.convert_to_numpy(penalty), _reference(alignments).mean()
    )


def test_float16_is_computed_in_float32():
    alignments = _random_alignments()
    as16 = kg.doubly_stochastic_penalty(alignments.astype("float16"))
    assert keras.backend.standardize_dtype(as16.dtype) == "float32"
    np.testing.assert_allclose(
        ops.convert_to_numpy(as16),
        _reference(alignments.astype("float16").astype("float64")).mean(),
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"reduction": "sum"}, r"`reduction`.*'sum'"),
        ({"reduction": None}, r"`reduction`.*None"),
        (
            {"alignments": np.zeros((2, 3), "float32")},
            r"`alignments`.*\(batch_size, target_len, source_len\).*\(2, 3\)",
        ),
        (
            {"alignments": np.zeros((2, 3, 4), "int32")},
            r"`alignments`.*floating.*int32",
        ),
        ({"target_mask": np.ones((2, 4), bool)}, r"`target_mask`.*\(2, 3\)"),
        ({"memory_mask": np.ones((2, 3), bool)}, r"`memory_mask`.*\(2, 4\)"),
        ({"memory_mask": np.array([["a"] * 4] * 2)}, r"`memory_mask`.*str"),
    ],
    ids=[
        "reduction",
        "reduction-none-object",
        "rank",
        "integers",
        "target-mask-shape",
        "memory-mask-shape",
        "string-mask",
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    arguments = {"alignments": np.zeros((2, 3, 4), "float32"), **kwargs}
    with pytest.raises(ValueError, match=match):
        kg.doubly_stochastic_penalty(**arguments)
