"""Masked-step outputs with one meaning on every backend (private).

Keras' backend loops (`_compat.rnn`) disagree on what a masked step
outputs (docs/design/0006):

- TensorFlow's `while_loop` repeats the previous output, zeros before the
  first valid step; JAX's `scan` repeats `states[0]`, i.e. the initial
  state before the first valid step;
- with `zero_output_for_mask=True`, JAX's unrolled loop ignores the flag,
  and TensorFlow's unrolled loop zeros the outputs of the wrong steps when
  `go_backwards=True` (it applies the mask unreversed).

Our layers therefore run the loop with `zero_output_for_mask=False` and
pass its outputs through `tensorflow_masked_outputs`, which gives them the
semantics of TensorFlow's `while_loop` (the documented ones) everywhere.
"""

from keras import ops


def tensorflow_masked_outputs(
    last_output, outputs, mask, go_backwards, zero_output_for_mask
):
    """Returns `(last_output, outputs)` with TensorFlow's masked semantics.

    Args:
        last_output: `(batch, units)`, the loop's last output.
        outputs: `(batch, time, units)` in processing order (reversed with
            `go_backwards`), or `None` when only the last output is kept.
        mask: Boolean `(batch, time)`, in time order.
        go_backwards: Whether the loop ran backwards.
        zero_output_for_mask: Whether masked steps output zeros.

    The loop must have run with `zero_output_for_mask=False` and with
    `states[0]` equal to the output (true of every keras_gated cell), so
    that a masked step after the first valid one already repeats the
    previous output on every backend. What remains is to output zeros
    where TensorFlow does: at every masked step with
    `zero_output_for_mask`, else at the masked steps before the first
    valid one.
    """
    keep = ops.cast(mask, "bool")
    if go_backwards:
        keep = ops.flip(keep, axis=1)
    if not zero_output_for_mask:
        # Whether any step so far was valid: a running logical or.
        keep = ops.cumsum(ops.cast(keep, "int32"), axis=1) > 0
    last_output = ops.where(
        keep[:, -1:], last_output, ops.zeros_like(last_output)
    )
    if outputs is not None:
        outputs = ops.where(
            ops.expand_dims(keep, -1), outputs, ops.zeros_like(outputs)
        )
    return last_output, outputs
