import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import keras_gated as kg
from keras_gated.seq2seq.beam_search_decode import _beam_step
from keras_gated.seq2seq.beam_search_decode import _gather_tree
from keras_gated.seq2seq.beam_search_decode import _initial_beams
from tests.seq2seq.cases import compiled
from tests.seq2seq.fake_models import END
from tests.seq2seq.fake_models import KERAS_TRAP
from tests.seq2seq.fake_models import START
from tests.seq2seq.fake_models import PrefixModel
from tests.seq2seq.fake_models import bigram_step
from tests.seq2seq.fake_models import reference_beam_search
from tests.seq2seq.fake_models import spell

VOCABULARY_SIZE, BATCH, END_ID = 7, 3, 6


def _decode(model, **kwargs):
    arguments = {
        "start_tokens": [0, 1, 2],
        "end_token": END_ID,
        "max_length": 6,
        "beam_width": 3,
        "state": model.initial_state(),
        "return_all_beams": True,
    }
    arguments.update(kwargs)
    return kg.beam_search_decode(model.step_fn, **arguments)


# --- Known answers ---------------------------------------------------------


def test_finds_the_word_greedy_misses():
    step = bigram_step(KERAS_TRAP)
    assert spell(kg.greedy_decode(step, START, END, 8).sequences[0]) == "xbzy"
    result = kg.beam_search_decode(step, START, END, 8, beam_width=2)
    assert spell(result.sequences[0]) == "keras"
    assert np.asarray(result.lengths).tolist() == [6]
    np.testing.assert_allclose(result.scores, [np.log(0.4)], atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_width_1_is_greedy(seed):
    # Without a length penalty only: see the next test.
    model = PrefixModel(VOCABULARY_SIZE, BATCH, seed=seed)
    greedy = kg.greedy_decode(
        model.step_fn, [0, 1, 2], END_ID, 6, state=model.initial_state()
    )
    beam = _decode(model, beam_width=1, return_all_beams=False)
    np.testing.assert_array_equal(beam.sequences, greedy.sequences)
    np.testing.assert_array_equal(beam.lengths, greedy.lengths)
    np.testing.assert_allclose(beam.scores, greedy.scores, atol=1e-5)


def test_beam_width_1_is_not_greedy_with_a_length_penalty():
    # As in Addons, a candidate that emits the end token is scored with the
    # length before it, the others with the length after them: with
    # alpha > 0 the two are divided by different penalties, so the best
    # score is not always the most likely token. Here greedy ends at once
    # (0.52), while beam_width=1 with alpha=1 compares
    # log(0.52) / (5/6) = -0.785 with log(0.48) / (6/6) = -0.734.
    step = bigram_step({"^": {".": 0.52, "a": 0.48}, "a": {".": 1.0}})
    greedy = kg.greedy_decode(step, START, END, 4)
    assert spell(greedy.sequences[0]) == ""
    beam = kg.beam_search_decode(
        step, START, END, 4, beam_width=1, length_penalty=1.0
    )
    assert spell(beam.sequences[0]) == "a"
    assert np.asarray(beam.lengths).tolist() == [2]
    # "a." is scored with the length before its end token, 1.
    np.testing.assert_allclose(beam.scores, [np.log(0.48)], atol=1e-5)
    alpha_0 = kg.beam_search_decode(step, START, END, 4, beam_width=1)
    np.testing.assert_array_equal(alpha_0.sequences, greedy.sequences)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_matches_a_plain_python_beam_search(seed, alpha):
    # The model depends on the whole prefix and on the example through its
    # state, so this also checks that the state is tiled over the beams and
    # reordered by parent beam at every step.
    model = PrefixModel(VOCABULARY_SIZE, BATCH, seed=seed)
    result = _decode(model, beam_width=3, length_penalty=alpha)
    for b, start in enumerate([0, 1, 2]):
        expected = reference_beam_search(
            lambda prefix, b=b: model.log_probs(b, prefix),
            start,
            END_ID,
            6,
            3,
            alpha=alpha,
        )
        for k, (tokens, length, score) in enumerate(expected):
            assert np.asarray(result.sequences)[b, k].tolist() == tokens
            assert int(result.lengths[b, k]) == length
            np.testing.assert_allclose(result.scores[b, k], score, atol=1e-4)


def test_one_step_by_hand():
    # Two beams over 3 tokens (token 2 ends); beam 1 has already ended.
    beams = _initial_beams(1, 2, 4, pad_token=0)
    beams.update(
        log_probs=ops.convert_to_tensor([[-1.0, -2.0]]),
        finished=ops.convert_to_tensor([[False, True]]),
        lengths=ops.convert_to_tensor([[2, 1]], "int32"),
    )
    step = np.log([[[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]]).astype("float32")
    new, parents, tokens = _beam_step(
        beams,
        ops.convert_to_tensor(step),
        None,
        2,
        end_token=2,
        pad_token=0,
        length_penalty=1.0,
        coverage_penalty=0.0,
    )
    # Candidates: beam 0 + token 0: (-1 + log .5) / (8/6) = -1.2699,
    # beam 1 (finished) + pad 0: -2 / (6/6) = -2 (frozen: length 1),
    # beam 0 + token 1: (-1 + log .3) / (8/6) = -1.6530,
    # beam 0 + token 2: (-1 + log .2) / (8/6) = -1.9571.
    assert np.asarray(parents).tolist() == [[0, 0]]
    assert np.asarray(tokens).tolist() == [[0, 1]]
    np.testing.assert_allclose(
        new["scores"],
        [[(-1 + np.log(0.5)) / (8 / 6), (-1 + np.log(0.3)) / (8 / 6)]],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        new["log_probs"], [[-1 + np.log(0.5), -1 + np.log(0.3)]], atol=1e-6
    )
    assert np.asarray(new["lengths"]).tolist() == [[3, 3]]
    assert np.asarray(new["finished"]).tolist() == [[False, False]]
    assert np.asarray(new["token_ids"])[0, :, 2].tolist() == [0, 1]
    assert np.asarray(new["parent_ids"])[0, :, 2].tolist() == [0, 0]

    # Without the length penalty the finished beam (-2) beats beam 0 with
    # token 1 (-1 + log .3 = -2.20); it continues with the pad token.
    new, parents, tokens = _beam_step(
        beams,
        ops.convert_to_tensor(step),
        None,
        2,
        end_token=2,
        pad_token=0,
        length_penalty=0.0,
        coverage_penalty=0.0,
    )
    assert np.asarray(parents).tolist() == [[0, 1]]
    assert np.asarray(tokens).tolist() == [[0, 0]]
    np.testing.assert_allclose(
        new["scores"], [[-1 + np.log(0.5), -2.0]], atol=1e-6
    )
    beams["log_probs"] = ops.convert_to_tensor([[-1.0, -1.2]])
    new, parents, tokens = _beam_step(
        beams,
        ops.convert_to_tensor(step),
        None,
        2,
        end_token=2,
        pad_token=0,
        length_penalty=0.0,
        coverage_penalty=0.0,
    )
    # -1 + log .5 = -1.69 > -1.2 (beam 1 finished, pad) > -1 + log .3.
    assert np.asarray(parents).tolist() == [[1, 0]]
    assert np.asarray(tokens).tolist() == [[0, 0]]
    np.testing.assert_allclose(
        new["scores"], [[-1.2, -1 + np.log(0.5)]], atol=1e-6
    )
    assert np.asarray(new["finished"]).tolist() == [[True, False]]
    assert np.asarray(new["lengths"]).tolist() == [[1, 3]]


def test_gather_tree_follows_the_parents_back():
    # Beam k at step t chose token_ids[t][k], extending beam parent_ids[t][k].
    token_ids = np.array([[[1, 2], [3, 4], [5, 6]]]).transpose(0, 2, 1)
    parent_ids = np.array([[[0, 0], [1, 0], [1, 1]]]).transpose(0, 2, 1)
    sequences = _gather_tree(
        ops.convert_to_tensor(token_ids, "int32"),
        ops.convert_to_tensor(parent_ids, "int32"),
    )
    # Final beam 0: 5 <- beam 1 at step 1 (4) <- beam 0 at step 0 (1).
    # Final beam 1: 6 <- beam 1 at step 1 (4) <- beam 0 at step 0 (1).
    assert np.asarray(sequences).tolist() == [[[1, 4, 5], [1, 4, 6]]]


# --- Penalties -------------------------------------------------------------


def test_the_length_penalty_favours_longer_sequences():
    # "." at once (0.6), or "ab." (0.4 x 1 x 1).
    step = bigram_step(
        {"^": {".": 0.6, "a": 0.4}, "a": {"b": 1.0}, "b": {".": 1.0}}
    )
    short = kg.beam_search_decode(step, START, END, 4, beam_width=2)
    assert spell(short.sequences[0]) == ""
    assert np.asarray(short.lengths).tolist() == [1]
    longer = kg.beam_search_decode(
        step,
        START,
        END,
        4,
        beam_width=2,
        length_penalty=5.0,
        return_all_beams=True,
    )
    assert [spell(s) for s in longer.sequences[0]] == ["ab", ""]
    assert np.asarray(longer.lengths).tolist() == [[3, 1]]
    # "ab." ended at the last step: scored with its length before the end
    # token, 2. "." ended earlier: with its length, end token included, 1.
    np.testing.assert_allclose(
        longer.scores[0],
        [np.log(0.4) / (7 / 6) ** 5, np.log(0.6) / (6 / 6) ** 5],
        atol=1e-5,
    )


def test_a_word_of_one_letter_and_an_end_is_scored_as_in_addons():
    # Addons scores "a." at the step it ends with the length before its end
    # token (1, so 6/6 with alpha=1), not 2: -0.916 rather than -0.785.
    step = bigram_step(
        {
            "^": {"a": 0.4, "b": 0.35, ".": 0.25},
            "a": {".": 1.0},
            "b": {".": 1.0},
        }
    )
    result = kg.beam_search_decode(
        step,
        START,
        END,
        4,
        beam_width=2,
        length_penalty=1.0,
        return_all_beams=True,
    )
    assert [spell(s) for s in result.sequences[0]] == ["a", "b"]
    np.testing.assert_allclose(
        result.scores[0], [np.log(0.4), np.log(0.35)], atol=1e-5
    )


@pytest.mark.parametrize("masked", [(), (1,)], ids=["unmasked", "masked"])
def test_coverage_penalty_matches_the_plain_python_search(masked):
    model = PrefixModel(VOCABULARY_SIZE, BATCH, seed=4, source_len=4)

    def step_fn(tokens, state):
        return model.step_fn(tokens, state, with_alignments=True, masked=masked)

    result = kg.beam_search_decode(
        step_fn,
        [0, 1, 2],
        END_ID,
        5,
        3,
        state=model.initial_state(),
        length_penalty=0.5,
        coverage_penalty=0.4,
        return_all_beams=True,
    )
    assert np.all(np.isfinite(np.asarray(result.scores)))
    for b, start in enumerate([0, 1, 2]):
        expected = reference_beam_search(
            lambda prefix, b=b: model.log_probs(b, prefix),
            start,
            END_ID,
            5,
            3,
            alpha=0.5,
            beta=0.4,
            alignments=lambda prefix: model.alignments(prefix, masked),
        )
        for k, (tokens, length, score) in enumerate(expected):
            assert np.asarray(result.sequences)[b, k].tolist() == tokens
            assert int(result.lengths[b, k]) == length
            np.testing.assert_allclose(result.scores[b, k], score, atol=1e-4)


def test_coverage_penalty_needs_alignments():
    model = PrefixModel(VOCABULARY_SIZE, BATCH)
    with pytest.raises(ValueError, match="coverage_penalty=0.5.*alignments"):
        _decode(model, coverage_penalty=0.5)


# --- End tokens and finished beams ----------------------------------------


def test_finished_beams_stay_finished_with_frozen_scores():
    # "b." ends early with a good score; "aaaa..." never ends.
    step = bigram_step(
        {"^": {"a": 0.5, "b": 0.5}, "a": {"a": 0.9, ".": 0.1}, "b": {".": 1.0}}
    )
    result = kg.beam_search_decode(
        step, START, END, 6, beam_width=3, pad_token=0, return_all_beams=True
    )
    texts = [spell(s) for s in result.sequences[0]]
    assert texts[0] == "b"
    assert np.asarray(result.sequences)[0, 0].tolist() == [1, END, 0, 0, 0, 0]
    np.testing.assert_allclose(result.scores[0, 0], np.log(0.5), atol=1e-6)
    assert int(result.lengths[0, 0]) == 2
    # A sequence that never ended has length max_length.
    assert "aaaaaa" in [spell(s) for s in result.sequences[0]]
    assert 6 in np.asarray(result.lengths)[0].tolist()


def test_a_beam_without_a_hypothesis_scores_minus_infinity():
    # Three tokens, four beams, one step: only three hypotheses exist. As
    # in Addons, the fourth beam reports -inf (never an internal sentinel),
    # with length 0 and only pad tokens.
    table = ops.convert_to_tensor(
        np.log([[0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.2, 0.2, 0.6]]), "float32"
    )
    result = kg.beam_search_decode(
        lambda tokens, state: (ops.take(table, tokens, axis=0), state),
        start_tokens=[0],
        end_token=2,
        max_length=1,
        beam_width=4,
        pad_token=0,
        return_all_beams=True,
    )
    scores = np.asarray(result.scores)[0]
    np.testing.assert_allclose(scores[:3], np.log([0.6, 0.3, 0.1]), atol=1e-6)
    assert scores[3] == -np.inf
    assert np.asarray(result.lengths).tolist() == [[1, 1, 1, 0]]
    assert np.asarray(result.sequences).tolist() == [[[1], [2], [0], [0]]]


def test_an_end_token_at_the_first_step():
    step = bigram_step({"^": {".": 1.0}})
    result = kg.beam_search_decode(step, START, END, 3, beam_width=2)
    assert np.asarray(result.sequences).tolist() == [[END, END, END]]
    assert np.asarray(result.lengths).tolist() == [1]
    np.testing.assert_allclose(result.scores, [0.0], atol=1e-6)


# TensorFlow only: it counts Python calls of the step function: TensorFlow's
# eager loop calls it once per step, JAX traces it once.
@pytest.mark.tensorflow_only
def test_stops_when_every_beam_has_ended():
    calls = []
    step = bigram_step(
        {"^": {"a": 0.5, "b": 0.5}, "a": {".": 1.0}, "b": {".": 1.0}}
    )

    def counting(tokens, state):
        calls.append(tokens.shape)
        return step(tokens, state)

    result = kg.beam_search_decode(counting, START, END, 30, beam_width=2)
    assert len(calls) == 2
    assert calls[0] == (2,)  # batch * beam_width rows.
    assert result.sequences.shape == (1, 30)


# --- Compilation -----------------------------------------------------------


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("coverage", [False, True])
def test_compiled_decoding_gives_the_eager_result(jit_compile, coverage):
    model = PrefixModel(VOCABULARY_SIZE, BATCH, seed=5)

    def decode(start_tokens):
        return kg.beam_search_decode(
            lambda t, s: model.step_fn(t, s, with_alignments=coverage),
            start_tokens,
            END_ID,
            6,
            3,
            state=model.initial_state(),
            length_penalty=0.6,
            coverage_penalty=0.3 if coverage else 0.0,
            return_all_beams=True,
        )

    start = ops.convert_to_tensor([0, 1, 2], "int32")
    eager = decode(start)
    result = compiled(decode, jit_compile)(start)
    np.testing.assert_array_equal(result.sequences, eager.sequences)
    np.testing.assert_array_equal(result.lengths, eager.lengths)
    np.testing.assert_allclose(result.scores, eager.scores, atol=1e-5)


@pytest.mark.tensorflow_only
def test_dynamic_batch_size_in_a_tf_function():
    model = PrefixModel(VOCABULARY_SIZE, 1, seed=6)
    table = ops.convert_to_tensor(model.table, "float32")

    def step_fn(tokens, state):
        h = (state * 7 + tokens + 1) % 97
        return ops.take(table, h, axis=0), h

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def decode(start_tokens):
        return kg.beam_search_decode(
            step_fn,
            start_tokens,
            END_ID,
            5,
            4,
            state=tf.zeros_like(start_tokens),
            return_all_beams=True,
        )

    for batch in (1, 4):
        result = decode(tf.range(batch) % VOCABULARY_SIZE)
        assert result.sequences.shape == (batch, 4, 5)


# --- Errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"beam_width": 0}, "beam_width"),
        ({"beam_width": -2}, "beam_width"),
        ({"max_length": 0}, "max_length"),
        ({"end_token": VOCABULARY_SIZE}, "end_token"),
        ({"end_token": 2.0}, "end_token"),
        ({"pad_token": VOCABULARY_SIZE + 3}, "pad_token"),
        ({"length_penalty": -0.5}, "length_penalty"),
        ({"coverage_penalty": -1.0}, "coverage_penalty"),
        ({"return_all_beams": 1}, "return_all_beams"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    model = PrefixModel(VOCABULARY_SIZE, BATCH)
    with pytest.raises(ValueError, match=f"`{argument}`.*{kwargs[argument]!r}"):
        _decode(model, **kwargs)


@pytest.mark.tensorflow_only
def test_an_out_of_vocabulary_end_token_fails_when_traced():
    model = PrefixModel(VOCABULARY_SIZE, BATCH)
    decode = tf.function(lambda: _decode(model, end_token=VOCABULARY_SIZE))
    with pytest.raises(ValueError, match=r"`end_token`.*\[0, 7\), got 7"):
        decode.get_concrete_function()
