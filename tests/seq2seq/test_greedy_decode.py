import numpy as np
import pytest
from keras import ops

import keras_gated as kg
from tests.seq2seq.cases import compiled
from tests.seq2seq.fake_models import END
from tests.seq2seq.fake_models import KERAS_TRAP
from tests.seq2seq.fake_models import START
from tests.seq2seq.fake_models import PrefixModel
from tests.seq2seq.fake_models import bigram_step
from tests.seq2seq.fake_models import spell


def test_spells_the_most_likely_letter_at_each_step():
    result = kg.greedy_decode(bigram_step(KERAS_TRAP), START, END, max_length=8)
    assert spell(result.sequences[0]) == "xbzy"
    assert np.asarray(result.lengths).tolist() == [5]
    np.testing.assert_allclose(
        result.scores, [np.log(0.6 * 0.1 * 0.7 * 0.7 * 1.0)], atol=1e-5
    )
    # After the end token: the pad token, by default the end token.
    assert np.asarray(result.sequences)[0, 4:].tolist() == [END] * 4


def test_follows_the_argmax_of_a_prefix_dependent_model():
    model = PrefixModel(vocabulary_size=6, batch_size=3, seed=1)
    result = kg.greedy_decode(
        model.step_fn,
        [0, 1, 2],
        end_token=5,
        max_length=7,
        state=model.initial_state(),
        pad_token=0,
    )
    for b, start in enumerate([0, 1, 2]):
        prefix, score = [start], 0.0
        while len(prefix) <= 7 and (len(prefix) == 1 or prefix[-1] != 5):
            log_probs = model.log_probs(b, prefix)
            prefix.append(int(np.argmax(log_probs)))
            score += log_probs[prefix[-1]]
        tokens = prefix[1:]
        assert np.asarray(result.sequences)[b].tolist() == tokens + [0] * (
            7 - len(tokens)
        )
        assert int(result.lengths[b]) == len(tokens)
        np.testing.assert_allclose(result.scores[b], score, atol=1e-4)


# TensorFlow only: it counts Python calls of the step function: TensorFlow's
# eager loop calls it once per step, JAX traces it once.
@pytest.mark.tensorflow_only
def test_stops_as_soon_as_every_sequence_has_ended():
    calls = []
    step = bigram_step({"^": {"a": 1.0}, "a": {".": 1.0}})

    def counting(tokens, state):
        calls.append(1)
        return step(tokens, state)

    result = kg.greedy_decode(counting, START, END, max_length=50)
    assert len(calls) == 2
    assert result.sequences.shape == (1, 50)
    assert spell(result.sequences[0]) == "a"


def test_a_sequence_that_never_ends_has_length_max_length():
    step = bigram_step({"^": {"a": 1.0}, "a": {"a": 1.0}})
    result = kg.greedy_decode(step, START, END, max_length=4)
    assert spell(result.sequences[0]) == "aaaa"
    assert np.asarray(result.lengths).tolist() == [4]


def test_a_scalar_start_token_takes_the_batch_size_of_the_state():
    model = PrefixModel(vocabulary_size=5, batch_size=4)
    result = kg.greedy_decode(
        model.step_fn, 0, 4, 3, state=model.initial_state()
    )
    assert result.sequences.shape == (4, 3)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_compiled_decoding_gives_the_eager_result(jit_compile):
    model = PrefixModel(vocabulary_size=6, batch_size=3, seed=2)

    def decode(start_tokens):
        return kg.greedy_decode(
            model.step_fn, start_tokens, 5, 6, state=model.initial_state()
        )

    start = ops.convert_to_tensor([0, 1, 2], "int32")
    eager = decode(start)
    result = compiled(decode, jit_compile)(start)
    np.testing.assert_array_equal(result.sequences, eager.sequences)
    np.testing.assert_array_equal(result.lengths, eager.lengths)
    np.testing.assert_allclose(result.scores, eager.scores, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"max_length": 0}, "max_length"),
        ({"max_length": 2.0}, "max_length"),
        ({"end_token": -1}, "end_token"),
        ({"end_token": END + 2}, "end_token"),
        ({"pad_token": 100}, "pad_token"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    arguments = {"start_tokens": START, "end_token": END, "max_length": 3}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`.*{kwargs[argument]!r}"):
        kg.greedy_decode(bigram_step(KERAS_TRAP), **arguments)


def test_a_bad_step_function_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(logits, state\)"):
        kg.greedy_decode(lambda tokens, state: tokens, START, END, 3)
    with pytest.raises(ValueError, match=r"\(batch, vocabulary_size\)"):
        kg.greedy_decode(
            lambda tokens, state: (ops.zeros((1, 2, 3)), state), 0, 1, 3
        )
    with pytest.raises(ValueError, match="`start_tokens`"):
        kg.greedy_decode(bigram_step(KERAS_TRAP), [[START]], END, 3)
