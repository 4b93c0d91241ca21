"""NumPy transcriptions of the equations in the cells' docstrings.

Written independently of the implementation, from the docstrings alone, in
float64. `run_rnn` reproduces `keras.layers.RNN`'s loop semantics on the
TensorFlow backend: masked steps keep the states, and their output repeats
the previous step's output (zeros before the first processed step), or is
zero with `zero_output_for_mask`. keras_gated's own layers (the fused
layers, the SRU's parallel scan, `AttentionDecoder`) have these semantics on
every backend; `keras.layers.RNN` has them everywhere except in Keras' JAX
scan (`unroll=False`), which repeats `states[0]` instead: pass
`initial_output="state"` for that (docs/design/0006).
"""

import numpy as np


def sigmoid(x):
    # 1 / (1 + exp(-x)), without overflowing exp for large -x.
    return np.exp(-np.logaddexp(0.0, -x))


def layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def ln_lstm_step(
    w, x, states, epsilon=1e-3, carry_normalized_cell=False, use_bias=True
):
    """LNLSTMCell: `w` maps weight names to arrays."""
    h, c = states
    z = layer_norm(
        x @ w["kernel"], w["kernel_norm_gamma"], w["kernel_norm_beta"], epsilon
    ) + layer_norm(
        h @ w["recurrent_kernel"],
        w["recurrent_norm_gamma"],
        w["recurrent_norm_beta"],
        epsilon,
    )
    if use_bias:
        z = z + w["bias"]
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    c_normalized = layer_norm(
        c, w["state_norm_gamma"], w["state_norm_beta"], epsilon
    )
    h = sigmoid(o) * np.tanh(c_normalized)
    return h, [h, c_normalized if carry_normalized_cell else c]


def peephole_lstm_step(
    w, x, states, activation=np.tanh, recurrent_activation=sigmoid
):
    """PeepholeLSTMCell: `w` maps weight names to arrays (no `bias`: none)."""
    h, c = states
    z = x @ w["kernel"] + h @ w["recurrent_kernel"]
    if "bias" in w:
        z = z + w["bias"]
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i = recurrent_activation(z_i + w["input_gate_peephole_weights"] * c)
    f = recurrent_activation(z_f + w["forget_gate_peephole_weights"] * c)
    c = f * c + i * activation(z_g)
    o = recurrent_activation(z_o + w["output_gate_peephole_weights"] * c)
    h = o * activation(c)
    return h, [h, c]


def ln_gru_step(w, x, states, epsilon=1e-3, use_bias=True):
    """LNGRUCell (reset_after): `w` maps weight names to arrays."""
    (h,) = states
    xz, xr, xh = np.split(
        layer_norm(
            x @ w["kernel"],
            w["kernel_norm_gamma"],
            w["kernel_norm_beta"],
            epsilon,
        ),
        3,
        axis=-1,
    )
    hz, hr, hh = np.split(
        layer_norm(
            h @ w["recurrent_kernel"],
            w["recurrent_norm_gamma"],
            w["recurrent_norm_beta"],
            epsilon,
        ),
        3,
        axis=-1,
    )
    b = w["bias"] if use_bias else np.zeros(3 * h.shape[-1])
    bz, br, bh = np.split(b, 3)
    z = sigmoid(xz + hz + bz)
    r = sigmoid(xr + hr + br)
    candidate = np.tanh(xh + r * hh + bh)
    h = z * h + (1 - z) * candidate
    return h, [h]


def sru_step(
    w,
    x,
    states,
    activation=lambda v: v,
    layer_norm_epsilon=None,
    use_bias=True,
):
    """SRUCell: `w` maps weight names to arrays.

    `layer_norm_epsilon` is `None` without `layer_norm`, else its epsilon.
    Missing `recurrent_kernel` means `use_recurrent_kernel=False`.
    """
    h, c = states
    units = c.shape[-1]
    x_in = x
    if layer_norm_epsilon is not None:
        x_in = layer_norm(
            x, w["input_norm_gamma"], w["input_norm_beta"], layer_norm_epsilon
        )
    blocks = np.split(x_in @ w["kernel"], w["kernel"].shape[1] // units, -1)
    x_tilde, w_f, w_r = blocks[:3]
    highway = blocks[3] if len(blocks) == 4 else x
    v_f, v_r = np.split(w.get("recurrent_kernel", np.zeros(2 * units)), 2)
    b_f, b_r = np.split(w["bias"] if use_bias else np.zeros(2 * units), 2)
    f = sigmoid(w_f + v_f * c + b_f)
    r = sigmoid(w_r + v_r * c + b_r)
    c = f * c + (1 - f) * x_tilde
    h = r * activation(c) + (1 - r) * highway
    return h, [h, c]


def run_rnn(
    step,
    inputs,
    initial_states,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    initial_output="zeros",
):
    """Runs `step(x_t, states) -> (output, states)` over `inputs[:, t]`.

    Returns `(outputs [batch, time, units], final_states)`, the outputs in
    processing order (reversed when `go_backwards`), as Keras returns them.

    `initial_output` is what masked steps before the first valid one output
    (without `zero_output_for_mask`): `"zeros"`, as Keras' TensorFlow loop,
    or `"state"`, the initial `states[0]`, as Keras' JAX scan.
    """
    if initial_output not in ("zeros", "state"):
        raise ValueError(initial_output)
    batch, steps = inputs.shape[:2]
    if mask is None:
        mask = np.ones((batch, steps), dtype=bool)
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    states = [np.asarray(s, dtype=np.float64) for s in initial_states]
    previous = None
    outputs = []
    for t in order:
        output, new_states = step(inputs[:, t], states)
        keep = mask[:, t][:, None]
        if previous is None:
            previous = (
                np.zeros_like(output)
                if initial_output == "zeros"
                else np.broadcast_to(states[0], output.shape)
            )
        if zero_output_for_mask:
            output = np.where(keep, output, 0.0)
        else:
            output = np.where(keep, output, previous)
        states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
        outputs.append(output)
        previous = output
    return np.stack(outputs, axis=1), states


def luong_attention_decoder(
    inner_step,
    memory_kernel,
    attention_kernel,
    x,
    memory,
    memory_mask,
    inner_states,
):
    """`AttentionDecoder(AttentionDecoderCell(cell, "luong"))` in NumPy.

    Luong attention without scale, input feeding, `tanh` attention layer,
    `output_attention=True` (the defaults), from zero attention and the
    wrapped cell's `inner_states`:

        h_t, s_t = cell([x_t; a_{t-1}], s_{t-1})
        α_t = softmax over unmasked i of h_t · (m_i W),  c_t = Σ_i α_ti m_i
        a_t = tanh([h_t; c_t] W_c),  output_t = a_t

    Returns the outputs `(batch, time, attention_units)`.
    """
    keys = memory @ memory_kernel
    attention = np.zeros((x.shape[0], attention_kernel.shape[1]))
    states, outputs = list(inner_states), []
    for t in range(x.shape[1]):
        h, states = inner_step(np.concatenate([x[:, t], attention], -1), states)
        scores = np.einsum("bd,btd->bt", h, keys)
        if memory_mask is not None:
            scores = np.where(memory_mask, scores, -np.inf)
        alignments = np.exp(scores - scores.max(-1, keepdims=True))
        alignments /= alignments.sum(-1, keepdims=True)
        context = np.einsum("bt,btd->bd", alignments, memory)
        attention = np.tanh(np.concatenate([h, context], -1) @ attention_kernel)
        outputs.append(attention)
    return np.stack(outputs, 1)


def masked_softmax(scores, memory_mask=None):
    """Softmax over the last axis, exactly 0 where `memory_mask` is False.

    An all-masked row gives all zeros.
    """
    if memory_mask is not None:
        scores = np.where(memory_mask, scores, -np.inf)
    top = scores.max(-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    weights = np.exp(scores - top)
    total = weights.sum(-1, keepdims=True)
    return np.where(total > 0, weights / np.where(total > 0, total, 1), 0.0)


def luong_scores(memory_kernel, query, memory, scale=None):
    """`e_i = q · (W m_i)`, times the scale when there is one."""
    scores = np.einsum("bd,btd->bt", query, memory @ memory_kernel)
    return scores if scale is None else scale * scores


def bahdanau_scores(
    query_kernel, memory_kernel, v, query, memory, g=None, b=None
):
    """`e_i = vᵀ tanh(W₁ q + W₂ m_i)`; weight-normalized `v` with `g`, `b`."""
    hidden = (memory @ memory_kernel) + (query @ query_kernel)[:, None, :]
    if g is not None:
        hidden = hidden + b
        v = g * v / np.sqrt(np.sum(v**2))
    return np.tanh(hidden) @ v


def show_attend_tell_step(
    inner_step,
    scores,
    x,
    memory,
    memory_mask,
    inner_states,
    gate=None,
    output_context=False,
):
    """One step of `AttentionDecoderCell(wiring="show_attend_tell")`.

    From its docstring: the query is the wrapped cell's first state,

        α_t = softmax over unmasked i of score(h_{t-1}, m_i)
        β_t = σ(h_{t-1} · w_β + b_β)   (1 without the gate)
        z_t = β_t Σ_i α_ti m_i
        h_t, s_t = cell([x_t; z_t], s_{t-1})
        output = [h_t; z_t] with output_context, else h_t

    `scores(query, memory)` is the mechanism's score, `gate` `(w_β, b_β)`
    or None. Returns `(output, z_t, α_t, new_inner_states)`.
    """
    query = inner_states[0]
    alignments = masked_softmax(scores(query, memory), memory_mask)
    context = np.einsum("bt,btd->bd", alignments, memory)
    if gate is not None:
        kernel, bias = gate
        context = sigmoid(query @ kernel + bias) * context
    h, states = inner_step(np.concatenate([x, context], -1), inner_states)
    output = np.concatenate([h, context], -1) if output_context else h
    return output, context, alignments, states


def show_attend_tell_decoder(
    inner_step,
    scores,
    x,
    memory,
    memory_mask,
    inner_states,
    gate=None,
    output_context=False,
):
    """`show_attend_tell_step` over `x` `(batch, time, features)`.

    Returns the outputs `(batch, time, output_size)` and the alignments
    `(batch, time, source_len)`.
    """
    states, outputs, alignments = list(inner_states), [], []
    for t in range(x.shape[1]):
        output, _, alpha, states = show_attend_tell_step(
            inner_step,
            scores,
            x[:, t],
            memory,
            memory_mask,
            states,
            gate,
            output_context,
        )
        outputs.append(output)
        alignments.append(alpha)
    return np.stack(outputs, 1), np.stack(alignments, 1)


def memory_initial_state(kernel, bias, memory, memory_mask, units):
    """`MemoryInitialState`: `s_k = tanh(ā W_k + b_k)`, ā the masked mean."""
    if memory_mask is None:
        memory_mask = np.ones(memory.shape[:2], bool)
    weights = memory_mask.astype(np.float64)
    count = np.maximum(weights.sum(1, keepdims=True), 1.0)
    mean = np.einsum("bt,btd->bd", weights, memory) / count
    projected = np.tanh(mean @ kernel + (0.0 if bias is None else bias))
    return [
        projected[:, k * units : (k + 1) * units]
        for k in range(kernel.shape[1] // units)
    ]
