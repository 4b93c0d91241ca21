"""Fake step functions for the decoding tests, and a plain-Python beam search.

`spelling_step` is a bigram "model" over a 26-letter alphabet (keras-hub's
sampler tests do the same); `prefix_model` is a model whose next-token
distribution depends on the whole prefix and on the example, carried in
its state, so that a beam search that mixes up beams or examples gets a
different answer from `reference_beam_search`.
"""

import string

import numpy as np
from keras import ops

LETTERS = string.ascii_lowercase
END = len(LETTERS)  # "."
START = END + 1  # "^"
VOCABULARY = LETTERS + ".^"


def spell(ids):
    """Token ids up to (excluding) the first end token, as a string."""
    text = "".join(VOCABULARY[i] for i in np.asarray(ids))
    return text.split(".")[0]


def bigram_step(probabilities):
    """A step function from `{previous: {next: probability}}` (letters).

    Unlisted continuations get probability ~0; the end token is ".".
    """
    table = np.full((len(VOCABULARY), len(VOCABULARY)), 1e-9)
    for previous, following in probabilities.items():
        for token, p in following.items():
            table[VOCABULARY.index(previous), VOCABULARY.index(token)] = p
    log_table = ops.convert_to_tensor(np.log(table), "float32")

    def step_fn(tokens, state):
        return ops.take(log_table, tokens, axis=0), state

    return step_fn


# Greedy takes "x" (0.6) and spells "xbzy." (0.6 x 0.1 x 0.7 x 0.7 x 1);
# the best sequence is "keras." (0.4 x 1 x 1 x 1 x 1 x 1).
KERAS_TRAP = {
    "^": {"k": 0.4, "x": 0.6},
    "x": {c: 0.1 for c in "bcdfghijlm"},
    **{c: {".": 0.3, "z": 0.7} for c in "bcdfghijlm"},
    "z": {".": 0.3, "y": 0.7},
    "y": {".": 1.0},
    "k": {"e": 1.0},
    "e": {"r": 1.0},
    "r": {"a": 1.0},
    "a": {"s": 1.0},
    "s": {".": 1.0},
    ".": {".": 1.0},
}

MODULUS = 97


class PrefixModel:
    """Next-token logits from a hash of the prefix plus a per-example bias."""

    def __init__(self, vocabulary_size, batch_size, seed=0, source_len=4):
        rng = np.random.default_rng(seed)
        self.table = rng.normal(scale=2.0, size=(MODULUS, vocabulary_size))
        self.bias = rng.normal(size=(batch_size, vocabulary_size))
        self.attention = rng.dirichlet(np.ones(source_len), size=MODULUS)
        self.vocabulary_size = vocabulary_size

    def initial_state(self):
        return {
            "hash": ops.zeros((len(self.bias),), "int32"),
            "bias": ops.convert_to_tensor(self.bias, "float32"),
        }

    def step_fn(self, tokens, state, with_alignments=False, masked=()):
        h = (state["hash"] * 7 + tokens + 1) % MODULUS
        logits = ops.take(ops.convert_to_tensor(self.table, "float32"), h, 0)
        new_state = {"hash": h, "bias": state["bias"]}
        logits = logits + state["bias"]
        if not with_alignments:
            return logits, new_state
        alignments = ops.take(self._attention(masked), h, axis=0)
        return logits, new_state, alignments

    def _attention(self, masked):
        attention = self.attention.copy()
        attention[:, list(masked)] = 0.0
        attention /= attention.sum(-1, keepdims=True)
        return ops.convert_to_tensor(attention, "float32")

    # The same, in NumPy float64, from the whole prefix.

    def _hash(self, prefix):
        h = 0
        for token in prefix:
            h = (h * 7 + token + 1) % MODULUS
        return h

    def log_probs(self, example, prefix):
        logits = self.table[self._hash(prefix)] + self.bias[example]
        logits = logits - logits.max()
        return logits - np.log(np.exp(logits).sum())

    def alignments(self, prefix, masked=()):
        return np.asarray(self._attention(masked))[self._hash(prefix)]


def reference_beam_search(
    log_probs,
    start,
    end,
    max_length,
    beam_width,
    alpha=0.0,
    beta=0.0,
    alignments=None,
    pad=None,
):
    """Plain-Python beam search, Addons' GNMT scores, for one example.

    `log_probs(prefix)` gives the next-token log-probabilities after
    `prefix` (start token included), `alignments(prefix)` the attention of
    that step. Returns `[(tokens, length, score)]`, best first.

    The scores follow TensorFlow Addons' `BeamSearchDecoder` (the fixture
    of `test_addons_beam_search.py` checks the decoder against Addons
    itself): at each step a candidate that extends a live beam scores
    `log P / lp(n)`, with `n` its length before an end token it emits now,
    and no coverage penalty; a beam finished at an earlier step scores
    `log P / lp(n) + β · cp`, with `n` counting its end token. Each beam
    keeps the score of the last step.
    """
    pad = end if pad is None else pad

    def lp(length):
        return (5 + length) ** alpha / 6**alpha

    def cp(coverage):
        covered = coverage[coverage > 0]
        return beta * np.sum(np.log(np.minimum(covered, 1)))

    # (prefix, log P, finished, length, coverage, score of this step)
    beams = [([start], 0.0, False, 0, None if alignments is None else 0.0, 0.0)]
    for _ in range(max_length):
        candidates = []
        for prefix, log_p, finished, length, coverage, _ in beams:
            if finished:
                score = log_p / lp(length)
                if alignments is not None:
                    score += cp(coverage)
                candidates.append(
                    (prefix + [pad], log_p, True, length, coverage, score)
                )
                continue
            step = log_probs(prefix)
            if alignments is not None:
                coverage = coverage + alignments(prefix)
            for token, token_log_p in enumerate(step):
                total = log_p + token_log_p
                scored_length = length + (token != end)
                candidates.append(
                    (
                        prefix + [token],
                        total,
                        token == end,
                        length + 1,
                        coverage,
                        total / lp(scored_length),
                    )
                )
        candidates.sort(key=lambda beam: beam[5], reverse=True)
        beams = candidates[:beam_width]
        if all(beam[2] for beam in beams):
            break
    return [
        (
            beam[0][1:] + [pad] * (max_length + 1 - len(beam[0])),
            beam[3],
            beam[5],
        )
        for beam in beams
    ]
