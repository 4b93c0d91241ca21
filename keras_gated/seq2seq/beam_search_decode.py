import keras
from keras import ops

from keras_gated import _checks
from keras_gated.seq2seq import _decoding


def beam_search_decode(
    step_fn,
    start_tokens,
    end_token,
    max_length,
    beam_width,
    state=None,
    length_penalty=0.0,
    coverage_penalty=0.0,
    pad_token=None,
    return_all_beams=False,
):
    """Decodes with beam search, in `keras.ops` only (no custom op).

    `step_fn(tokens, state) -> (logits, state)` runs one step of the model:
    it maps the previous tokens, int32 `(n,)`, and the state (any nest of
    tensors with `n` rows, e.g. the memory, its mask, the attention keys
    and the decoder cell's states) to next-token logits `(n,
    vocabulary_size)` and the new state, of the same structure and shapes.
    Here `n = batch * beam_width`: every leaf of the initial `state` is
    repeated `beam_width` times along its first axis (row `b * beam_width +
    k` is beam `k` of example `b`), and reordered by parent beam after each
    step. With `coverage_penalty > 0`, `step_fn` must also return the
    attention alignments, `(n, source_len)`, as a third element:
    `(logits, state, alignments)`.

    Each step extends every live beam by every token, scores the
    candidates and keeps the `beam_width` best of each example (Wu et al.
    2016), with the rules of TensorFlow Addons' `BeamSearchDecoder`
    (0.23), which the tests check against Addons itself:

    ```
    log P(y)  = Σ_t log p(y_t | y_<t)
    lp(n)     = (5 + n) ** length_penalty / 6 ** length_penalty
    cp(y)     = coverage_penalty · Σ_i log(min(Σ_t α_ti, 1))

    a live beam extended by a token at this step:
        score = log P(y) / lp(n)       n = its length after the token,
                                       or before it for the end token
    a beam finished at an earlier step (extended by `pad_token`, free):
        score = log P(y) / lp(n) + cp(y)    n counts its end token
    ```

    `α_t` are the alignments of step `t`; a finished beam's coverage stops
    growing when it ends. In `cp` the source positions with zero total
    attention are left out (as Addons did), so masked memory positions,
    which get exactly zero weight, cost nothing. Two consequences of these
    rules, both as in Addons:

    - The end token is scored with the length before it, so a sequence is
      scored with `lp(n - 1)` at the step it ends, and with `lp(n)` from
      the next step on; live beams are ranked without the coverage
      penalty, finished ones with it. A beam's final score is the one of
      the last step of the search, so it depends on whether the search
      ran on (for other beams or other examples of the batch) after it
      ended.
    - With `length_penalty > 0`, `beam_width=1` is not greedy decoding:
      the end token and the other tokens are divided by different
      penalties, so the best-scored token need not be the most likely
      one. With `length_penalty=0` it is exactly `greedy_decode`.

    Beam `0` alone holds a hypothesis at the start; the others start
    finished at `-inf`, so the first step expands beam `0` only. When fewer
    than `beam_width` hypotheses exist (a vocabulary smaller than the
    beam), the extra beams report a score of `-inf`, length 0 and only
    `pad_token` (Addons reports `-inf` there too).

    A finished beam (one that emitted `end_token`) stays finished: its only
    continuation is `pad_token`, at no cost, so its log-probability and
    length are frozen while it competes with the live beams. The search
    stops when all beams of all examples have finished, or after
    `max_length` steps. The results always have `max_length` columns
    (Addons returns as many as the steps taken): after its end token, a
    sequence holds `pad_token`. The final sequences are recovered by
    following the parent ids back from the last step (the "gather tree",
    in `keras.ops`), so the whole search runs eagerly, under
    `tf.function`, `tf.function(jit_compile=True)`, and in a SavedModel
    (see `keras.export.ExportArchive`).

    Args:
        step_fn: The step function above.
        start_tokens: int, or int32 `(batch,)`: the first input tokens. An
            int is repeated over the batch size of `state` (1 without).
        end_token: int, the token id that ends a sequence.
        max_length: Positive int, the largest number of tokens generated.
        beam_width: Positive int, the number of beams kept per example.
            `beam_width=1` is greedy decoding when `length_penalty=0`.
        state: The initial state, batch first (not yet repeated over the
            beams). Default: `None` (`step_fn` then receives and returns
            `None`).
        length_penalty: Non-negative float, `length_penalty` above (GNMT's
            `α`; 0 is no penalty, 0.6 to 1 favours longer outputs).
            Default: 0.
        coverage_penalty: Non-negative float, GNMT's `β` above. Needs the
            alignments from `step_fn`. Default: 0.
        pad_token: int, what follows the end token. Default: `end_token`.
        return_all_beams: Whether to return every beam, best first, instead
            of the best one. Default: `False`.

    Returns:
        A `DecodeResult(sequences, lengths, scores)`: int32 token ids
        `(batch, max_length)` without the start token, the int32 lengths
        `(batch,)` and the float32 scores `(batch,)` above; with
        `return_all_beams=True`, `(batch, beam_width, max_length)`,
        `(batch, beam_width)` and `(batch, beam_width)`, sorted by score.
        The lengths count the end token; a sequence that never ended has
        length `max_length`.

    Example:

    >>> # Bigram "model" over 4 tokens; 0 starts, 3 ends.
    >>> table = keras.ops.log(keras.ops.array([
    ...     [0.0, 0.5, 0.4, 0.1],     # after 0: 1 or 2 (or end)
    ...     [0.0, 0.0, 0.0, 1.0],     # after 1: end
    ...     [0.0, 0.0, 0.0, 1.0],     # after 2: end
    ...     [0.0, 0.0, 0.0, 1.0]]) + 1e-9)
    >>> def step_fn(tokens, state):
    ...     return keras.ops.take(table, tokens, axis=0), state
    >>> result = beam_search_decode(step_fn, start_tokens=[0], end_token=3,
    ...                             max_length=4, beam_width=3,
    ...                             return_all_beams=True)
    >>> keras.ops.convert_to_numpy(result.sequences).tolist()
    [[[1, 3, 3, 3], [2, 3, 3, 3], [3, 3, 3, 3]]]
    >>> keras.ops.convert_to_numpy(result.lengths).tolist()
    [[2, 2, 1]]

    Reference:
        Y. Wu et al. "Google's Neural Machine Translation System: Bridging
        the Gap between Human and Machine Translation", 2016, section 7
        (length and coverage penalties). https://arxiv.org/abs/1609.08144
    """
    end_token, pad_token, max_length = _decoding.check_arguments(
        end_token, pad_token, max_length
    )
    beam_width = _checks.positive_int("beam_width", beam_width)
    length_penalty = _checks.non_negative_float(
        "length_penalty", length_penalty
    )
    coverage_penalty = _checks.non_negative_float(
        "coverage_penalty", coverage_penalty
    )
    return_all_beams = _checks.boolean("return_all_beams", return_all_beams)
    state = _decoding.carried(state)
    tokens = _decoding.start_tokens(start_tokens, state)
    batch_size = ops.shape(tokens)[0]

    def beam_major(x):
        """`(batch * beam, ...)` -> `(batch, beam, ...)`."""
        return ops.reshape(x, (batch_size, beam_width, *ops.shape(x)[1:]))

    # The source length of the first alignments, which the others must keep.
    source_lengths = []

    def body(t, tokens, state, beams):
        log_probs, state, alignments = _decoding.call_step(
            step_fn, tokens, state, end_token, pad_token
        )
        if coverage_penalty and alignments is None:
            raise ValueError(
                "Received coverage_penalty="
                f"{coverage_penalty!r}, but the step function returned no "
                "alignments: return `(logits, state, alignments)`."
            )
        if coverage_penalty:
            _check_alignments(alignments, tokens.shape[0], source_lengths)
            alignments = beam_major(ops.cast(alignments, "float32"))
        else:
            alignments = None
        beams, parents, tokens = _beam_step(
            beams,
            beam_major(log_probs),
            alignments,
            t,
            end_token=end_token,
            pad_token=pad_token,
            length_penalty=length_penalty,
            coverage_penalty=coverage_penalty,
        )
        state = keras.tree.map_structure(
            lambda x: _merge_beams(_gather_beams(beam_major(x), parents)),
            state,
        )
        return t + 1, _merge_beams(tokens), state, beams

    def cond(t, tokens, state, beams):
        return ops.logical_and(
            t < max_length, ops.logical_not(ops.all(beams["finished"]))
        )

    state = keras.tree.map_structure(
        lambda x: ops.repeat(x, beam_width, axis=0), state
    )
    loop_vars = (
        0,
        ops.repeat(tokens, beam_width, axis=0),
        state,
        _initial_beams(batch_size, beam_width, max_length, pad_token),
    )
    if coverage_penalty:
        # One step outside the loop gives the coverage its shape
        # `(batch, beam, source_len)`, known only from the alignments.
        loop_vars = body(*loop_vars)
    _, _, _, beams = ops.while_loop(
        cond, body, loop_vars, maximum_iterations=max_length
    )
    sequences = _gather_tree(beams["token_ids"], beams["parent_ids"])
    # A beam that holds no hypothesis (fewer than `beam_width` exist):
    # score -inf, length 0, only pad tokens.
    empty = beams["scores"] == -float("inf")
    sequences = ops.where(empty[..., None], pad_token, sequences)
    lengths = ops.where(empty, 0, beams["lengths"])
    result = _decoding.DecodeResult(sequences, lengths, beams["scores"])
    if return_all_beams:
        return result
    return _decoding.DecodeResult(*(x[:, 0] for x in result))


def _check_alignments(alignments, rows, source_lengths):
    """The alignments must be `(rows, source_len)`, one source length."""
    shape = tuple(alignments.shape)
    if len(shape) != 2 or None not in (rows, shape[0]) and shape[0] != rows:
        raise ValueError(
            "The step function `step_fn` must return alignments of shape "
            f"`(batch * beam_width, source_len)`, i.e. {rows} rows, got "
            f"shape {shape}."
        )
    if not source_lengths:
        source_lengths.append(shape[1])
    elif None not in (shape[1], source_lengths[0]) and (
        shape[1] != source_lengths[0]
    ):
        raise ValueError(
            "The step function `step_fn` must return alignments over the "
            f"same source length at every step: got shape {shape} after "
            f"{source_lengths[0]} source positions."
        )


def _initial_beams(batch_size, beam_width, max_length, pad_token):
    """The search's bookkeeping, `(batch, beam, ...)` tensors by name.

    As in Addons, only beam 0 holds a hypothesis at first: beams 1 to
    `beam_width - 1` start finished, at log-probability `-inf`, so the first
    step expands beam 0 only.
    """
    shape = (batch_size, beam_width)
    first = ops.convert_to_tensor(
        [0.0] + [-float("inf")] * (beam_width - 1), dtype="float32"
    )
    return {
        "log_probs": ops.zeros(shape, "float32") + first,
        "scores": ops.zeros(shape, "float32") + first,
        "finished": ops.zeros(shape, "bool")
        | (ops.arange(beam_width) > 0)[None, :],
        "lengths": ops.zeros(shape, "int32"),
        # `(batch, beam, 1)` until the first alignments broadcast it.
        "coverage": ops.zeros((*shape, 1), "float32"),
        "token_ids": ops.full((*shape, max_length), pad_token, "int32"),
        # Steps never taken (the search stopped early) lead back to the
        # same beam, so the gather tree walks through them.
        "parent_ids": ops.zeros((*shape, max_length), "int32")
        + ops.arange(beam_width, dtype="int32")[:, None],
    }


def _beam_step(
    beams,
    log_probs,
    alignments,
    t,
    end_token,
    pad_token,
    length_penalty,
    coverage_penalty,
):
    """One step of the search on `(batch, beam, ...)` tensors.

    Takes the bookkeeping `beams`, the step's log-probabilities `(batch,
    beam, vocabulary)` and alignments `(batch, beam, source_len)` (or
    `None`), and returns the new bookkeeping, the parent beam of each new
    beam and the new beams' tokens, both int32 `(batch, beam)`.
    """
    batch_size, beam_width, vocabulary_size = ops.shape(log_probs)
    finished = beams["finished"]
    done = ops.expand_dims(finished, -1)
    vocabulary = ops.arange(vocabulary_size)
    # A finished beam may only continue with the pad token, at no cost.
    pad_only = ops.where(vocabulary == pad_token, 0.0, -float("inf"))
    log_probs = ops.where(done, pad_only, log_probs)
    total = ops.expand_dims(beams["log_probs"], -1) + log_probs
    # Addons' lengths: a live beam grows by one token, except with the end
    # token (scored with the length before it); a finished beam keeps its
    # length (which counts its end token).
    grows = ops.logical_and(
        ops.logical_not(done), ops.expand_dims(vocabulary != end_token, 0)
    )
    candidate_lengths = ops.expand_dims(beams["lengths"], -1) + ops.cast(
        grows, "int32"
    )
    scores = total / _length_penalty(candidate_lengths, length_penalty)
    coverage = beams["coverage"]
    if alignments is not None:
        coverage = coverage + ops.where(done, 0.0, alignments)
        # Addons: only the beams finished before this step pay it.
        penalty = ops.where(
            finished, _coverage_penalty(coverage, coverage_penalty), 0.0
        )
        scores = scores + ops.expand_dims(penalty, -1)

    flat = (batch_size, beam_width * vocabulary_size)
    top_scores, top = ops.top_k(ops.reshape(scores, flat), k=beam_width)
    top = ops.cast(top, "int32")
    parents = top // vocabulary_size
    tokens = top % vocabulary_size
    parent_finished = _gather_beams(finished, parents)
    # Only a pick at -inf (no hypothesis left) can extend a finished beam
    # with another token than the pad token.
    tokens = ops.where(parent_finished, pad_token, tokens)
    no_hypothesis = top_scores == -float("inf")
    new_beams = {
        "log_probs": ops.take_along_axis(ops.reshape(total, flat), top, 1),
        "scores": top_scores,
        "finished": parent_finished | (tokens == end_token) | no_hypothesis,
        "lengths": _gather_beams(beams["lengths"], parents)
        + ops.cast(ops.logical_not(parent_finished), "int32"),
        "coverage": (
            _gather_beams(coverage, parents)
            if alignments is not None
            else coverage
        ),
        "token_ids": ops.slice_update(
            beams["token_ids"], (0, 0, t), tokens[..., None]
        ),
        "parent_ids": ops.slice_update(
            beams["parent_ids"], (0, 0, t), parents[..., None]
        ),
    }
    return new_beams, parents, tokens


def _length_penalty(lengths, alpha):
    """GNMT's `(5 + length) ** alpha / 6 ** alpha` (Addons' form), float32."""
    if not alpha:
        return ops.ones_like(lengths, dtype="float32")
    return ops.power(5.0 + ops.cast(lengths, "float32"), alpha) / ops.power(
        ops.convert_to_tensor(6.0, "float32"), alpha
    )


def _coverage_penalty(coverage, beta):
    """GNMT's `beta * Σ_i log(min(coverage_i, 1))`, over nonzero coverage."""
    covered = coverage > 0
    safe = ops.where(covered, ops.minimum(coverage, 1.0), 1.0)
    return beta * ops.sum(ops.log(safe), axis=-1)


def _gather_beams(x, parents):
    """`x[b, parents[b, k], ...]` for `x` of shape `(batch, beam, ...)`."""
    batch_size, beam_width = ops.shape(parents)[0], ops.shape(parents)[1]
    offsets = ops.arange(batch_size, dtype="int32")[:, None] * beam_width
    flat = ops.reshape(x, (-1, *ops.shape(x)[2:]))
    taken = ops.take(flat, ops.reshape(parents + offsets, (-1,)), axis=0)
    return ops.reshape(taken, ops.shape(x))


def _merge_beams(x):
    """`(batch, beam, ...)` -> `(batch * beam, ...)`."""
    return ops.reshape(x, (-1, *ops.shape(x)[2:]))


def _gather_tree(token_ids, parent_ids):
    """Follows the parent ids back from the last step.

    `token_ids[b, k, t]` is the token beam `k` chose at step `t` and
    `parent_ids[b, k, t]` the beam it extended; returns the full token
    sequence of each final beam, `(batch, beam, max_length)`.
    """
    batch_size, beam_width, max_length = ops.shape(token_ids)

    def body(i, carry):
        beam, sequences = carry
        t = max_length - 1 - i
        token = ops.take_along_axis(token_ids[:, :, t], beam, axis=1)
        sequences = ops.slice_update(sequences, (0, 0, t), token[..., None])
        beam = ops.take_along_axis(parent_ids[:, :, t], beam, axis=1)
        return beam, sequences

    beam = ops.zeros((batch_size, beam_width), "int32") + ops.arange(
        beam_width, dtype="int32"
    )
    _, sequences = ops.fori_loop(
        0, max_length, body, (beam, ops.zeros_like(token_ids))
    )
    return sequences
