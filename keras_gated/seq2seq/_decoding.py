"""What `greedy_decode` and `beam_search_decode` share (private)."""

from typing import Any
from typing import NamedTuple

import keras
import numpy as np
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


def _static_shape(x):
    shape = getattr(x, "shape", None)
    return tuple(np.shape(x) if shape is None else shape)


def _dtype_name(tokens):
    dtype = getattr(tokens, "dtype", None)
    if dtype is None:
        dtype = np.asarray(tokens).dtype
    try:
        return keras.backend.standardize_dtype(dtype)
    except (ValueError, TypeError):
        return str(dtype)


def _concrete(x):
    """`x` as a NumPy array, or `None` when it is symbolic (traced)."""
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # A symbolic tensor or a tracer: nothing to check.
        return None


def check_state(state):
    """Checks that every leaf of the initial state is batch first, one batch.

    Returns the static batch size (`None` when unknown or stateless).
    """
    batch_size, first = None, None
    for i, leaf in enumerate(keras.tree.flatten(state)):
        shape = _static_shape(leaf)
        if not shape:
            raise ValueError(
                "Received an invalid value for argument `state`, expected "
                "a nest of tensors with the batch first, got a scalar "
                f"(shape {shape}) as leaf {i}."
            )
        if shape[0] is None:
            continue
        if batch_size is None:
            batch_size, first = shape[0], (i, shape)
        elif shape[0] != batch_size:
            raise ValueError(
                "Received an invalid value for argument `state`, expected "
                "every leaf to have the same batch size (first axis), got "
                f"shape {first[1]} for leaf {first[0]} and shape {shape} "
                f"for leaf {i}."
            )
    return batch_size


def start_tokens(tokens, state):
    """Returns the start tokens as int32 `(batch,)`.

    A scalar is repeated over the batch size of the state (1 without a
    state). The tokens must be integers, and non-negative when their
    values are known.
    """
    dtype = _dtype_name(tokens)
    if not (dtype.startswith("int") or dtype.startswith("uint")):
        raise ValueError(
            "Received an invalid value for argument `start_tokens`, expected "
            f"integer token ids, got {tokens!r} of dtype {dtype}."
        )
    values = _concrete(tokens)
    if values is not None and values.size and values.min() < 0:
        raise ValueError(
            "Received an invalid value for argument `start_tokens`, expected "
            f"non-negative token ids, got {values.tolist()!r}."
        )
    batch_size = check_state(state)
    tokens = ops.convert_to_tensor(tokens, dtype="int32")
    leaves = keras.tree.flatten(state)
    if len(tokens.shape) == 1:
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


def _check_returned_state(state, new_state):
    """The state `step_fn` returns must keep the structure and shapes."""
    try:
        keras.tree.assert_same_structure(state, new_state)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "The step function `step_fn` must return a state of the "
            f"structure it received; got {new_state!r} for {state!r}."
        ) from error
    pairs = zip(
        keras.tree.flatten(state), keras.tree.flatten(new_state), strict=True
    )
    for i, (old, new) in enumerate(pairs):
        old_shape, new_shape = _static_shape(old), _static_shape(new)
        if len(old_shape) != len(new_shape) or any(
            None not in (a, b) and a != b
            for a, b in zip(old_shape, new_shape, strict=True)
        ):
            raise ValueError(
                "The step function `step_fn` must return a state of the "
                f"shapes it received; leaf {i} came in with shape "
                f"{old_shape} and went out with shape {new_shape}."
            )


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
    logits, new_state = result[0], () if stateless else result[1]
    alignments = result[2] if len(result) == 3 else None
    vocabulary_size = logits.shape[-1]
    if len(logits.shape) != 2:
        raise ValueError(
            "The step function must return logits of shape `(batch, "
            f"vocabulary_size)`, got shape {logits.shape}."
        )
    rows = tokens.shape[0]
    if None not in (rows, logits.shape[0]) and rows != logits.shape[0]:
        raise ValueError(
            "The step function `step_fn` must return logits of shape "
            f"`(batch, vocabulary_size)` with one row per token, i.e. {rows} "
            f"rows, got shape {tuple(logits.shape)}."
        )
    if not stateless:
        _check_returned_state(state, new_state)
    state = new_state
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
