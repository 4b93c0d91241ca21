"""The linear recurrence `c_t = a_t ⊙ c_{t-1} + b_t`, blocked (private)."""

import math

import keras
from keras import ops

# Block length when the number of time steps is unknown when tracing.
DYNAMIC_BLOCK = 32


def linear_recurrence(a, b, c_0, unroll=False):
    """Returns every `c_t` of `c_t = a_t ⊙ c_{t-1} + b_t`, `c_{-1} = c_0`.

    `a` and `b` are `(batch, time, units)`, `c_0` is `(batch, units)`, and
    the result is `(batch, time, units)`.

    Each step is an affine map of `c`, and affine maps compose
    associatively. The time axis is cut into `N` blocks of `K ≈ sqrt(T)`
    steps, and the recurrence runs in three phases, each step of which
    works on all blocks at once:

    1. within every block, compose its `K` maps into one (`K` steps);
    2. run the composed maps across blocks from `c_0`, giving each block's
       starting state (`N` steps, on `(batch, units)` only);
    3. within every block, run the recurrence from its starting state
       (`K` steps).

    That is `2K + N ≈ 3 sqrt(T)` sequential steps instead of `T`, for
    about twice the element-wise work: far fewer, larger operations.
    (`keras.ops.associative_scan`, of depth `log T`, measured slower than
    the plain loop on CPU, and needs a static `T` on TensorFlow.)

    With `unroll=True` and a static `T`, phase 2 is unrolled too, so that
    the computation has no loop op at all (LiteRT then converts it with
    builtin ops only, whatever the batch size; docs/export.md).
    """
    steps = a.shape[1]
    block = DYNAMIC_BLOCK if steps is None else max(1, math.isqrt(steps))
    batch, total, units = ops.shape(a)
    blocks = (total + block - 1) // block
    padding = [[0, 0], [0, blocks * block - total], [0, 0]]
    # Padded steps are the identity map: a = 1, b = 0.
    a = ops.pad(a, padding, constant_values=1)
    b = ops.pad(b, padding)
    a = ops.unstack(ops.reshape(a, (batch, blocks, block, units)), axis=2)
    b = ops.unstack(ops.reshape(b, (batch, blocks, block, units)), axis=2)

    # 1. Compose each block's maps: c -> a_block * c + b_block.
    a_block, b_block = a[0], b[0]
    for a_k, b_k in zip(a[1:], b[1:]):
        a_block, b_block = a_k * a_block, a_k * b_block + b_k

    # 2. Each block's starting state, looping over blocks (time-major).
    if unroll and steps is not None:
        c, starts = c_0, [c_0]
        for a_n, b_n in zip(
            ops.unstack(a_block, axis=1)[:-1], ops.unstack(b_block, axis=1)[:-1]
        ):
            c = a_n * c + b_n
            starts.append(c)
        starts = ops.stack(starts, axis=0)
    elif keras.backend.backend() == "tensorflow":
        starts = _starts_bounded_loop(a_block, b_block, c_0, blocks)
    else:
        # JAX's `scan` has a static trip count (JAX traces a static `T`),
        # and reverse mode needs one: its `while_loop` has no gradient.
        def across_blocks(c, block_map):
            c = block_map[0] * c + block_map[1]
            return c, c

        block_maps = ops.transpose(ops.stack([a_block, b_block]), (2, 0, 1, 3))
        _, ends = ops.scan(across_blocks, c_0, block_maps)
        starts = ops.concatenate([ops.expand_dims(c_0, 0), ends[:-1]], axis=0)

    # 3. Every step, from its block's starting state.
    c, outputs = ops.transpose(starts, (1, 0, 2)), []
    for a_k, b_k in zip(a, b):
        c = a_k * c + b_k
        outputs.append(c)
    c = ops.reshape(ops.stack(outputs, axis=2), (batch, blocks * block, units))
    return c[:, :total]


def _starts_bounded_loop(a_block, b_block, c_0, blocks):
    """Phase 2 on TensorFlow: each block's starting state, `(N, batch, units)`.

    A `while_loop` with `maximum_iterations`, not `scan`: XLA can only
    differentiate a TensorFlow loop whose trip count bounds its gradient
    accumulators (`scan` has no bound: "XLA compilation requires a fixed
    tensor list size"). With a static `T` the bound `blocks` is a Python
    int; with an unknown `T` it is a tensor computed from the input's
    shape, which XLA folds to a constant when it compiles for the concrete
    shapes of each call.
    """
    # Time-major, so that the loop indexes the leading axis.
    a_block = ops.transpose(a_block, (1, 0, 2))
    b_block = ops.transpose(b_block, (1, 0, 2))
    # A select, not `slice_update`: TensorFlow has no gradient for the XLA
    # op that `slice_update` becomes in a loop. It costs `N` selects over
    # `(N, batch, units)`, about as much work as phase 3.
    block_index = ops.reshape(ops.arange(blocks, dtype="int32"), (-1, 1, 1))

    def across_blocks(n, c, starts):
        starts = ops.where(block_index == n, ops.expand_dims(c, 0), starts)
        return n + 1, a_block[n] * c + b_block[n], starts

    _, _, starts = ops.while_loop(
        lambda n, c, starts: n < blocks,
        across_blocks,
        (ops.convert_to_tensor(0, "int32"), c_0, ops.zeros_like(a_block)),
        maximum_iterations=blocks,
    )
    return starts
