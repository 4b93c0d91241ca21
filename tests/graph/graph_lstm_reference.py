"""The Graph LSTM in NumPy, node by node in plain Python loops.

Transcribed from the equations of `kg.GraphLSTM`'s docstring, sharing no
code with the package: the visit flag `q_j` is a Python list, and the new
and old states are kept apart, so that the rule "a neighbour already
updated in this pass gives its new state, the others their old state" is
written out rather than following from an in-place update.
"""

import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def layer_norm(v, gamma, beta, epsilon):
    mean = v.mean(axis=-1, keepdims=True)
    variance = ((v - mean) ** 2).mean(axis=-1, keepdims=True)
    return (v - mean) / np.sqrt(variance + epsilon) * gamma + beta


def node_update(weights, f_i, h_i, m_i, h_bar, neighbors, epsilon=None):
    """One node's new `(h', m')`.

    `neighbors` is a list of `(h_j, m̃_j)`: each neighbour's hidden state at
    the start of the pass (read by its forget gate) and the memory it
    contributes (new if visited, else old). `h_bar` is the average of the
    neighbours' visit-flag hidden states (zeros without neighbours).
    """
    W, U, N = (
        weights["kernel"],
        weights["recurrent_kernel"],
        weights["neighbor_kernel"],
    )
    u = U.shape[0]
    b = weights.get("bias", np.zeros(4 * u))
    z_x = f_i @ W
    z_h = h_i @ U
    if epsilon is not None:
        z_x = layer_norm(
            z_x,
            weights["kernel_norm_gamma"],
            weights["kernel_norm_beta"],
            epsilon,
        )
        z_h = layer_norm(
            z_h,
            weights["recurrent_norm_gamma"],
            weights["recurrent_norm_beta"],
            epsilon,
        )
    z = z_x + b
    zi, zf, zg, zo = (z[k * u : (k + 1) * u] for k in range(4))
    si, sf, sg, so = (z_h[k * u : (k + 1) * u] for k in range(4))
    ni, nf, ng, no = (N[:, k * u : (k + 1) * u] for k in range(4))
    i = sigmoid(zi + si + h_bar @ ni)
    g = np.tanh(zg + sg + h_bar @ ng)
    o = sigmoid(zo + so + h_bar @ no)
    g_self = sigmoid(zf + sf)
    m_new = g_self * m_i + i * g
    if neighbors:
        total = np.zeros(u)
        for h_j, m_j in neighbors:
            g_ij = sigmoid(zf + h_j @ nf)
            total = total + g_ij * m_j
        m_new = m_new + total / len(neighbors)
    return np.tanh(o * m_new), m_new


def graph_lstm(
    weights,
    features,
    adjacency,
    order=None,
    node_mask=None,
    initial_state=None,
    epsilon=None,
):
    """Every node's `(h', m')`, float64, for a batch of graphs.

    `adjacency[b, i, j] != 0` makes `j` a neighbour of `i` (the diagonal
    ignored); `order[b]` lists the nodes in update order (default: index
    order); `node_mask[b, i]` False marks padding; `epsilon` turns layer
    norm on.
    """
    features = np.asarray(features, np.float64)
    batch, nodes, _ = features.shape
    units = weights["recurrent_kernel"].shape[0]
    if node_mask is None:
        node_mask = np.ones((batch, nodes), bool)
    if initial_state is None:
        initial_state = [np.zeros((batch, nodes, units))] * 2
    h0, m0 = (np.asarray(s, np.float64) for s in initial_state)
    h_out = np.zeros((batch, nodes, units))
    m_out = np.zeros((batch, nodes, units))
    for b in range(batch):
        visited = [False] * nodes
        h_new = [None] * nodes
        m_new = [None] * nodes
        sequence = range(nodes) if order is None else order[b]
        for i in sequence:
            i = int(i)
            if not node_mask[b, i]:
                continue
            hs, neighbors = [], []
            for j in range(nodes):
                if j == i or adjacency[b, i, j] == 0 or not node_mask[b, j]:
                    continue
                h_j = h_new[j] if visited[j] else h0[b, j]
                m_j = m_new[j] if visited[j] else m0[b, j]
                hs.append(h_j)
                neighbors.append((h0[b, j], m_j))
            h_bar = np.mean(hs, axis=0) if hs else np.zeros(units)
            h_new[i], m_new[i] = node_update(
                weights,
                features[b, i],
                h0[b, i],
                m0[b, i],
                h_bar,
                neighbors,
                epsilon,
            )
            visited[i] = True
        for i in range(nodes):
            if node_mask[b, i]:
                h_out[b, i] = h_new[i] if visited[i] else h0[b, i]
                m_out[b, i] = m_new[i] if visited[i] else m0[b, i]
    return h_out, m_out


def order_of_scores(scores):
    """Highest score first, ties by lower index (a stable sort of -s)."""
    return np.argsort(-np.asarray(scores), axis=-1, kind="stable")
