"""NumPy transcriptions of the multidim layers' docstrings, in float64.

A plain per-pixel double loop in scan order, written from the docstring of
`MDLSTM2D` alone (no wavefront, no skew), and the row-then-column LSTMs of
`SeparableLSTM2D` from Keras' LSTM equations.
"""

import numpy as np

from tests.numpy_reference import layer_norm
from tests.numpy_reference import sigmoid

ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, "linear": lambda v: v}


def mdlstm2d(
    w,
    images,
    mask=None,
    direction="top_left",
    variant="graves",
    use_peepholes=False,
    use_layer_norm=False,
    epsilon=1e-3,
    activation="tanh",
    recurrent_activation="sigmoid",
    use_bias=True,
):
    """`MDLSTM2D`'s outputs; `w` maps weight names to arrays."""
    act = ACTIVATIONS[activation]
    sig = ACTIVATIONS[recurrent_activation]
    batch, height, width, _ = images.shape
    u = w["recurrent_kernel_up"].shape[0]
    if mask is None:
        mask = np.ones((batch, height, width), bool)
    dy = -1 if direction.startswith("bottom") else 1
    dx = -1 if direction.endswith("right") else 1
    ys = range(height) if dy == 1 else range(height - 1, -1, -1)
    xs = range(width) if dx == 1 else range(width - 1, -1, -1)
    h = np.zeros((batch, height, width, u))
    c = np.zeros((batch, height, width, u))
    zero = np.zeros((batch, u))

    def at(array, y, x):
        inside = 0 <= y < height and 0 <= x < width
        return array[:, y, x] if inside else zero

    for y in ys:
        for x in xs:
            h_up, c_up = at(h, y - dy, x), at(c, y - dy, x)
            h_left, c_left = at(h, y, x - dx), at(c, y, x - dx)
            z_x = images[:, y, x] @ w["kernel"]
            z_h = h_up @ w["recurrent_kernel_up"]
            z_h = z_h + h_left @ w["recurrent_kernel_left"]
            if use_layer_norm:
                z_x = layer_norm(
                    z_x, w["kernel_norm_gamma"], w["kernel_norm_beta"], epsilon
                )
                z_h = layer_norm(
                    z_h,
                    w["recurrent_norm_gamma"],
                    w["recurrent_norm_beta"],
                    epsilon,
                )
            z = z_x + z_h + (w["bias"] if use_bias else 0)
            i, o, f_y, f_x, g = (z[:, k * u : (k + 1) * u] for k in range(5))
            if use_peepholes:
                p = w["peephole_kernel"]
                i = i + p[0] * c_up + p[1] * c_left
                f_y = f_y + p[2] * c_up
                f_x = f_x + p[3] * c_left
            i, f_y, f_x, g = sig(i), sig(f_y), sig(f_x), act(g)
            if variant == "graves":
                cell = i * g + f_y * c_up + f_x * c_left
            elif variant == "halved":
                cell = i * g + 0.5 * f_y * c_up + 0.5 * f_x * c_left
            else:
                cell = i * g + f_y * (f_x * c_up + (1 - f_x) * c_left)
            if use_peepholes:
                o = o + w["peephole_kernel"][4] * cell
            shown = cell
            if use_layer_norm:
                shown = layer_norm(
                    cell, w["state_norm_gamma"], w["state_norm_beta"], epsilon
                )
            out = sig(o) * act(shown)
            keep = mask[:, y, x, None]
            h[:, y, x] = np.where(keep, out, 0)
            c[:, y, x] = np.where(keep, cell, 0)
    return h


def lstm(w, sequence, mask, backwards):
    """Keras' LSTM (gates `[i, f, c, o]`) over `(n, T, d)`, masked steps
    skipped, outputs in input order, zero at masked steps."""
    n, steps, _ = sequence.shape
    u = w["recurrent_kernel"].shape[0]
    h, c = np.zeros((n, u)), np.zeros((n, u))
    out = np.zeros((n, steps, u))
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for t in order:
        z = sequence[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        i, f, g, o = (z[:, k * u : (k + 1) * u] for k in range(4))
        c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h_new = sigmoid(o) * np.tanh(c_new)
        keep = mask[:, t, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        out[:, t] = np.where(keep, h_new, 0)
    return out


def separable_lstm2d(weights, images, mask=None):
    """`SeparableLSTM2D`; `weights[name]` are the weights of each LSTM."""
    batch, height, width, _ = images.shape
    if mask is None:
        mask = np.ones((batch, height, width), bool)

    def bidirectional(forward, backward, x, m):
        b, rows, cols, d = x.shape
        seq, seq_mask = x.reshape(-1, cols, d), m.reshape(-1, cols)
        out = np.concatenate(
            [
                lstm(weights[forward], seq, seq_mask, False),
                lstm(weights[backward], seq, seq_mask, True),
            ],
            axis=-1,
        )
        return out.reshape(b, rows, cols, -1) * m[..., None]

    hidden = bidirectional("row_forward", "row_backward", images, mask)
    out = bidirectional(
        "column_forward",
        "column_backward",
        hidden.transpose(0, 2, 1, 3),
        mask.transpose(0, 2, 1),
    )
    return out.transpose(0, 2, 1, 3)
