"""NumPy transcriptions of the Grid RNN docstrings (float64).

Written from the docstrings of `GridRNNCell`, the convenience classes and
`keras_gated/grid/_tf1_cells.py`, sharing no code with the package. The
inner cells of the user-given kind (Keras' `LSTMCell`, `GRUCell`,
`SimpleRNNCell`, our `LNLSTMCell`, `LNGRUCell`, `PeepholeLSTMCell`) are
transcribed from their
documented equations here or in `tests/numpy_reference.py`.
"""

import functools

import keras
import numpy as np

import keras_gated as kg
from tests import numpy_reference as ref

sigmoid = ref.sigmoid


def _weights(layer, own_only=False):
    """A layer's weights by name, float64; `own_only` skips inner cells."""
    inner = set()
    if own_only:
        for cell in getattr(layer, "cells", []):
            inner |= {id(w) for w in cell.weights}
    return {
        w.name: keras.ops.convert_to_numpy(w).astype(np.float64)
        for w in layer.weights
        if id(w) not in inner
    }


# --- Inner cells: `step(x, states) -> (output, states)` ---------------------


def tf1_basic_rnn_step(w, x, states):
    (h,) = states
    h = np.tanh(np.concatenate([x, h], -1) @ w["kernel"] + w["bias"])
    return h, [h]


def tf1_lstm_step(w, x, states, forget_bias=1.0, use_peepholes=False):
    h, c = states
    z = np.concatenate([x, h], -1) @ w["kernel"] + w["bias"]
    i, j, f, o = np.split(z, 4, axis=-1)
    f = f + forget_bias
    if use_peepholes:
        f = f + w["w_f_diag"] * c
        i = i + w["w_i_diag"] * c
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(j)
    if use_peepholes:
        o = o + w["w_o_diag"] * c
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def tf1_gru_step(w, x, states):
    (h,) = states
    gates = sigmoid(
        np.concatenate([x, h], -1) @ w["gates_kernel"] + w["gates_bias"]
    )
    r, u = np.split(gates, 2, axis=-1)
    candidate = np.tanh(
        np.concatenate([x, r * h], -1) @ w["candidate_kernel"]
        + w["candidate_bias"]
    )
    h = u * h + (1 - u) * candidate
    return h, [h]


def keras_lstm_step(w, x, states):
    """Keras' `LSTMCell` (gates `[i, f, c, o]`, tanh/sigmoid)."""
    h, c = states
    z = x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def keras_gru_step(w, x, states, reset_after=True):
    """Keras' `GRUCell` (gates `[z, r, h]`)."""
    (h,) = states
    bias = w["bias"]
    if reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros_like(bias)
    xz, xr, xh = np.split(x @ w["kernel"] + input_bias, 3, axis=-1)
    u_z, u_r, u_h = np.split(w["recurrent_kernel"], 3, axis=-1)
    rz, rr, rh = np.split(recurrent_bias, 3, axis=-1)
    z = sigmoid(xz + h @ u_z + rz)
    r = sigmoid(xr + h @ u_r + rr)
    if reset_after:
        candidate = np.tanh(xh + r * (h @ u_h + rh))
    else:
        candidate = np.tanh(xh + (r * h) @ u_h)
    h = z * h + (1 - z) * candidate
    return h, [h]


def keras_simple_rnn_step(w, x, states):
    (h,) = states
    h = np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
    return h, [h]


def inner_step(cell):
    """The NumPy step of a built inner cell, with its weights."""
    w = _weights(cell)
    name = type(cell).__name__
    if name == "_TF1BasicRNNCell":
        return functools.partial(tf1_basic_rnn_step, w)
    if name == "_TF1LSTMCell":
        return functools.partial(
            tf1_lstm_step,
            w,
            forget_bias=cell.forget_bias,
            use_peepholes=cell.use_peepholes,
        )
    if name == "_TF1GRUCell":
        return functools.partial(tf1_gru_step, w)
    if isinstance(cell, kg.PeepholeLSTMCell):  # a Keras LSTMCell too
        return functools.partial(ref.peephole_lstm_step, w)
    if isinstance(cell, keras.layers.LSTMCell):
        return functools.partial(keras_lstm_step, w)
    if isinstance(cell, keras.layers.GRUCell):
        return functools.partial(
            keras_gru_step, w, reset_after=cell.reset_after
        )
    if isinstance(cell, keras.layers.SimpleRNNCell):
        return functools.partial(keras_simple_rnn_step, w)
    if isinstance(cell, kg.LNLSTMCell):
        return functools.partial(
            ref.ln_lstm_step,
            w,
            epsilon=cell.norm_epsilon,
            carry_normalized_cell=cell.carry_normalized_cell,
            use_bias=cell.use_bias,
        )
    if isinstance(cell, kg.LNGRUCell):
        return functools.partial(
            ref.ln_gru_step,
            w,
            epsilon=cell.norm_epsilon,
            use_bias=cell.use_bias,
        )
    raise NotImplementedError(name)


# --- The grid ---------------------------------------------------------------

ACTIVATIONS = {
    "relu": lambda v: np.maximum(v, 0.0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "linear": lambda v: v,
}


def _listify(value):
    if value is None:
        return []
    return sorted(set(value if isinstance(value, list) else [value]))


def grid_step(cell):
    """The NumPy step of a built `GridRNNCell` (or convenience class).

    Reads the dimensions from the cell's attributes (the constructor's
    arguments), the weights by the names of the docstring, and follows
    the docstring's three steps and state layout.
    """
    n = cell.num_dims
    inputs = _listify(cell.input_dims)
    outputs = _listify(cell.output_dims)
    priority = _listify(cell.priority_dims)
    non_recurrent = _listify(cell.non_recurrent_dims)
    recurrent = [d for d in range(n) if d not in non_recurrent]
    non_priority = [d for d in range(n) if d not in priority]
    w = _weights(cell, own_only=True)
    steps = {}
    for k, d in enumerate(recurrent):
        steps[d] = inner_step(cell.cells[0 if cell.tied else k])
    sizes = cell.cells[0].state_size if recurrent else 0
    memory = isinstance(sizes, (list, tuple)) and len(sizes) == 2
    activation = ACTIVATIONS[
        keras.activations.serialize(cell.non_recurrent_activation)
    ]
    own_output = not (len(outputs) == 1 and outputs[0] in recurrent)
    order = list(recurrent)
    if not own_output:
        order = [outputs[0]] + [d for d in recurrent if d != outputs[0]]

    def non_recurrent_weights(d):
        suffix = "" if cell.tied else f"_{d}"
        return (
            w[f"non_recurrent_kernel{suffix}"],
            w[f"non_recurrent_bias{suffix}"],
        )

    def step(x, states):
        states = list(states)
        h, c = [None] * n, [None] * n
        k = 1 if own_output else 0
        for d in order:
            h[d] = states[k]
            k += 1
            if memory:
                c[d] = states[k]
                k += 1
        if inputs and x.shape[-1]:
            for part, d in zip(np.split(x, len(inputs), -1), inputs):
                h[d] = part @ w[f"project_m_{d}"]
                if memory and d in recurrent:
                    c[d] = part @ w[f"project_c_{d}"]
        new_h, new_c = [None] * n, [None] * n
        for group in (non_priority, priority):
            if not group:
                continue
            current = [
                new_h[d] if new_h[d] is not None else h[d] for d in range(n)
            ]
            s = (
                np.concatenate(current[:-1], -1)
                if n > 1
                else np.zeros((x.shape[0], 0))
            )
            r = current[-1]
            for d in group:
                if d in non_recurrent:
                    kernel, bias = non_recurrent_weights(d)
                    args = np.concatenate([s, r], -1)
                    new_h[d] = activation(args @ kernel + bias)
                else:
                    state = [r, c[d]] if memory else [r]
                    out, st = steps[d](s, state)
                    new_h[d] = out
                    if memory:
                        new_c[d] = st[1]
        output = np.concatenate([new_h[d] for d in outputs], -1)
        new_states = [output] if own_output else []
        for d in order:
            new_states.append(new_h[d])
            if memory:
                new_states.append(new_c[d])
        return output, new_states

    return step


def registry_reference(cell):
    """The registry's `reference(cell)`: the NumPy step of a built cell."""
    return grid_step(cell)
