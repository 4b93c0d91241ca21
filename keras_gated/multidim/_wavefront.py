"""Skewing an image so that its anti-diagonals become columns (private).

`skew` shifts row `y` right by `y` positions: pixel `(y, x)` lands in
column `t = y + x`, so column `t` of the `(H, H + W - 1)` result holds the
anti-diagonal `t`, the pixels a 2-D recurrence can compute together.
`unskew` undoes it. Both are a pad and two reshapes (no gather), with
the sizes read from the input's shape, so they also work when `H` or `W`
is only known when the graph runs.
"""

from keras import ops


def _dims(x):
    dynamic = ops.shape(x)
    return [s if isinstance(s, int) else d for s, d in zip(x.shape, dynamic)]


def skew(x):
    """`(B, H, W, F)` -> `(B, H, H + W - 1, F)`, row `y` shifted by `y`.

    `out[:, y, y + x] = x[:, y, x]`; the new positions (`t < y` or
    `t >= y + W`) are zeros.
    """
    batch, height, width, features = _dims(x)
    zeros = ops.zeros((batch, height, height, features), dtype=x.dtype)
    padded = ops.concatenate([x, zeros], axis=2)  # (B, H, W + H, F)
    flat = ops.reshape(padded, (batch, -1, features))
    # Row y now starts at y * (W + H - 1): shifted right by y.
    flat = flat[:, : height * (width + height - 1)]
    return ops.reshape(flat, (batch, height, width + height - 1, features))


def unskew(x, width):
    """`(B, H, H + W - 1, F)` -> `(B, H, W, F)`, the inverse of `skew`."""
    batch, height, steps, features = _dims(x)
    flat = ops.reshape(x, (batch, -1, features))
    zeros = ops.zeros((batch, height, features), dtype=x.dtype)
    flat = ops.concatenate([flat, zeros], axis=1)  # H * (T + 1) positions
    rows = ops.reshape(flat, (batch, height, steps + 1, features))
    return rows[:, :, :width]
