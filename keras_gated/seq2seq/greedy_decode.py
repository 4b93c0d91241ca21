from keras import ops

from keras_gated.seq2seq import _decoding


def greedy_decode(
    step_fn, start_tokens, end_token, max_length, state=None, pad_token=None
):
    """Decodes by taking the most likely token at every step.

    `step_fn(tokens, state) -> (logits, state)` runs one step of the model:
    it maps the previous tokens, int32 `(batch,)`, and the state (any nest
    of tensors, batch first, e.g. the memory, its mask and the decoder
    cell's states) to next-token logits `(batch, vocabulary_size)` and the
    new state, of the same structure and shapes. It may also return the
    attention alignments as a third element; greedy decoding ignores them.

    The loop is `keras.ops.while_loop` and stops when every sequence has
    emitted `end_token`, or after `max_length` steps, so it runs eagerly,
    under `tf.function`, under `tf.function(jit_compile=True)`, and in an
    exported SavedModel. A sequence that has ended is padded with
    `pad_token`, at no cost to its score.

    Args:
        step_fn: The step function above.
        start_tokens: int, or int32 `(batch,)`: the first input tokens. An
            int is repeated over the batch size of `state` (1 without).
        end_token: int, the token id that ends a sequence.
        max_length: Positive int, the largest number of tokens generated.
        state: The initial state passed to `step_fn`. Default: `None`
            (`step_fn` then receives and returns `None`).
        pad_token: int, what follows the end token. Default: `end_token`.

    Returns:
        A `DecodeResult(sequences, lengths, scores)`: `(batch,
        max_length)` token ids (without the start token), the number of
        tokens up to and including the end token, and the sum of the
        tokens' log-probabilities.

    Example:

    >>> def step_fn(tokens, state):  # A model that always says "3, 3, 2".
    ...     step = state + 1
    ...     best = ops.where(step < 3, 3, 2)
    ...     return 10.0 * ops.one_hot(best, 5), step
    >>> result = greedy_decode(step_fn, start_tokens=1, end_token=2,
    ...                        max_length=5, state=ops.zeros((1,)),
    ...                        pad_token=0)
    >>> ops.convert_to_numpy(result.sequences).tolist()
    [[3, 3, 2, 0, 0]]
    >>> ops.convert_to_numpy(result.lengths).tolist()
    [3]

    Reference:
        The step-callback design of keras-hub's samplers
        (`keras_hub.samplers.GreedySampler`).
    """
    end_token, pad_token, max_length = _decoding.check_arguments(
        end_token, pad_token, max_length
    )
    state = _decoding.carried(state)
    tokens = _decoding.start_tokens(start_tokens, state)
    batch_size = ops.shape(tokens)[0]
    sequences = ops.full((batch_size, max_length), pad_token, dtype="int32")
    finished = ops.zeros((batch_size,), dtype="bool")
    lengths = ops.zeros((batch_size,), dtype="int32")
    scores = ops.zeros((batch_size,), dtype="float32")

    def cond(t, tokens, state, sequences, finished, lengths, scores):
        return ops.logical_and(
            t < max_length, ops.logical_not(ops.all(finished))
        )

    def body(t, tokens, state, sequences, finished, lengths, scores):
        log_probs, state, _ = _decoding.call_step(
            step_fn, tokens, state, end_token, pad_token
        )
        tokens = ops.cast(ops.argmax(log_probs, axis=-1), "int32")
        tokens = ops.where(finished, pad_token, tokens)
        chosen = ops.take_along_axis(log_probs, tokens[:, None], axis=1)
        scores = scores + ops.where(finished, 0.0, chosen[:, 0])
        lengths = lengths + ops.cast(ops.logical_not(finished), "int32")
        finished = ops.logical_or(finished, tokens == end_token)
        sequences = ops.slice_update(sequences, (0, t), tokens[:, None])
        return t + 1, tokens, state, sequences, finished, lengths, scores

    _, _, _, sequences, _, lengths, scores = ops.while_loop(
        cond,
        body,
        (0, tokens, state, sequences, finished, lengths, scores),
        maximum_iterations=max_length,
    )
    return _decoding.DecodeResult(sequences, lengths, scores)
