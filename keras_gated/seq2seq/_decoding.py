"""What `greedy_decode` and `beam_search_decode` share (private)."""

from typing import Any
from typing import NamedTuple

import keras
from keras import ops

from keras_gated import _checks

class DecodeResult(NamedTuple):
    """What the decoding functions return.

    Attributes:
        sequences: int32 token ids, `(batch, max_length)` (or `(batch,
            beam_width, max_length)` for all beams), without the start
            token. Positions after the end token hold `pad_token`.
        lengths: int32 `(batch,)` (or `(batch, beam_width)`): the number of
            tokens generated, the end token included; `max_length` for a
            sequence that never ended.
        scores: float32 `(batch,)` (or `(batch, beam_width)`): the sum of
            the log-probabilities of the tokens, divided by the length
            penalty and plus the coverage penalty when they apply (see
            `beam_search_decode` for the exact rules); `-inf` for a beam
            that holds no hypothesis.
    """

    sequences: Any
    lengths: Any
    scores: Any


def check_arguments(end_token, pad_token, max_length):
    """Validates the arguments both decoders take; returns them as ints."""
    end_token = _checks.non_negative_int("end_token", end_token)
    if pad_token is None:
        pad_token = end_token
    pad_token = _checks.non_negative_int("pad_token", pad_token)
    max_length = _checks.positive_int("max_length", max_length)
    return end_token, pad_token, max_length


def start_tokens(tokens, state):
    """Returns the start tokens as int32 `(batch,)`.

    A scalar is repeated over the batch size of the first leaf of `state`
    (1 without a state).
    """
    tokens = ops.convert_to_tensor(tokens, dtype="int32")
    leaves = keras.tree.flatten(state)
    if len(tokens.shape) == 1:
        batch_size = leaves[0].shape[0] if leaves else None
        if None not in (batch_size, tokens.shape[0]) and (
            batch_size != tokens.shape[0]
        ):
            raise ValueError(
                "Received an invalid value for argument `start_tokens`, "
                f"expected one token per sequence of the state's batch of "
                f"{batch_size}, got shape {tuple(tokens.shape)}."
            )
        return tokens
    if len(tokens.shape) != 0:
        raise ValueError(
            "Received an invalid value for argument `start_tokens`, expected "
            f"a scalar or a vector `(batch,)`, got shape {tokens.shape}."
        )
    batch_size = ops.shape(leaves[0])[0] if leaves else 1
    return ops.full((batch_size,), tokens, dtype="int32")


def carried(state):
    """The state as a loop variable: `None` is carried as `()`."""
    return () if state is None else state


def call_step(step_fn, tokens, state, end_token, pad_token):
    """Calls `step_fn`; returns `(log_probs, state, alignments or None)`.

    The log-probabilities are float32 `(batch, vocabulary)`. The end and pad
    tokens are checked against the vocabulary size when it is static.
    """
    stateless = isinstance(state, tuple) and not state
    result = step_fn(tokens, None if stateless else state)
    if not isinstance(result, (tuple, list)) or len(result) not in (2, 3):
        raise ValueError(
            "The step function must return `(logits, state)` or `(logits, "
            f"state, alignments)`, got {result!r}."
        )
    logits, state = result[0], () if stateless else result[1]
    alignments = result[2] if len(result) == 3 else None
    vocabulary_size = logits.shape[-1]
    if len(logits.shape) != 2:
        raise ValueError(
            "The step function must return logits of shape `(batch, "
            f"vocabulary_size)`, got shape {logits.shape}."
        )
    if vocabulary_size is not None:
        for name, token in (("end_token", end_token), ("pad_token", pad_token)):
            if token >= vocabulary_size:
                raise ValueError(
                    f"Received an invalid value for argument `{name}`, "
                    "expected a token id of the vocabulary, i.e. in [0, "
                    f"{vocabulary_size}), got {token!r}."
                )
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    return log_probs, state, alignments
