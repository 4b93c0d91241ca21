"""NumPy references of the Tree-LSTMs, node by node, from the docstrings.

Written from the equations of `ChildSumTreeLSTM` and `NaryTreeLSTM` in
plain Python loops over the nodes (recursively, children before their
parent), sharing no code with the package. Each takes the layer's weights
by name (float64 arrays), one batch of trees as children lists, and
returns `(h, root_h, c, root_c)` with zeros at padding nodes.
"""

import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def layer_norm(v, gamma, beta, epsilon):
    mean = v.mean()
    variance = ((v - mean) ** 2).mean()
    return (v - mean) / np.sqrt(variance + epsilon) * gamma + beta


def children_lists(parents=None, children=None, node_mask=None):
    """Per tree, `{node: [children in order]}` over the real nodes.

    From `parents`, a node's children are in the order of their indices;
    from `children`, in column order, `None` marking an empty position.
    """
    structure = parents if parents is not None else children
    batch, nodes = structure.shape[:2]
    if node_mask is None:
        node_mask = np.ones((batch, nodes), bool)
    trees = []
    for b in range(batch):
        real = [n for n in range(nodes) if node_mask[b, n]]
        kids = {n: [] for n in real}
        for n in real:
            if parents is not None:
                if parents[b, n] != -1:
                    kids[int(parents[b, n])].append(n)
            else:
                kids[n] = [None if k == -1 else int(k) for k in children[b, n]]
        trees.append(kids)
    return trees


def _run(trees, x, units, node):
    """Evaluates `node(j, x_j, [(h_k, c_k) or None per child])` bottom-up."""
    batch, nodes = x.shape[:2]
    h = np.zeros((batch, nodes, units))
    c = np.zeros((batch, nodes, units))
    root_h = np.zeros((batch, units))
    root_c = np.zeros((batch, units))
    for b, kids in enumerate(trees):
        done = {}

        def visit(j, b=b, kids=kids, done=done):
            if j not in done:
                states = [None if k is None else visit(k) for k in kids[j]]
                done[j] = node(x[b, j], states)
            return done[j]

        is_child = {k for ks in kids.values() for k in ks if k is not None}
        for j in kids:
            h[b, j], c[b, j] = visit(j)
            if j not in is_child:
                root_h[b], root_c[b] = h[b, j], c[b, j]
    return h, root_h, c, root_c


def child_sum(weights, x, trees, use_bias=True, epsilon=None):
    """`ChildSumTreeLSTM`; `epsilon` not None means `use_layer_norm`."""
    W, U = weights["kernel"], weights["recurrent_kernel"]
    u = U.shape[0]
    b = weights["bias"] if use_bias else np.zeros(4 * u)

    def norm(v, name):
        if epsilon is None:
            return v
        return layer_norm(
            v, weights[f"{name}_gamma"], weights[f"{name}_beta"], epsilon
        )

    W_blocks = lambda v: np.split(v, 4)  # noqa: E731 - [i, f, u, o]
    U_i, U_f, U_u, U_o = np.split(U, 4, axis=1)

    def node(x_j, states):
        xi, xf, xu, xo = W_blocks(norm(x_j @ W, "kernel_norm"))
        bi, bf, bu, bo = W_blocks(b)
        h_sum = np.zeros(u)
        for h_k, _ in states:
            h_sum = h_sum + h_k
        r = norm(
            h_sum @ np.concatenate([U_i, U_u, U_o], axis=1), "recurrent_norm"
        )
        ri, ru, ro = np.split(r, 3)
        i = sigmoid(xi + ri + bi)
        o = sigmoid(xo + ro + bo)
        g = np.tanh(xu + ru + bu)
        c_j = i * g
        for h_k, c_k in states:
            f_jk = sigmoid(xf + norm(h_k @ U_f, "forget_norm") + bf)
            c_j = c_j + f_jk * c_k
        return o * np.tanh(norm(c_j, "state_norm")), c_j

    return _run(trees, x, u, node)


def nary(weights, x, trees, arity, use_bias=True, epsilon=None):
    """`NaryTreeLSTM`; empty positions (and missing columns) are zeros."""
    W, U = weights["kernel"], weights["recurrent_kernel"]
    n = arity
    u = U.shape[0] // n
    b = weights["bias"] if use_bias else np.zeros(4 * u)

    def norm(v, name):
        if epsilon is None:
            return v
        return layer_norm(
            v, weights[f"{name}_gamma"], weights[f"{name}_beta"], epsilon
        )

    def block(row, column):
        return U[row * u : (row + 1) * u, column * u : (column + 1) * u]

    def node(x_j, states):
        states = list(states) + [None] * (n - len(states))
        hs = [np.zeros(u) if s is None else s[0] for s in states]
        cs = [np.zeros(u) if s is None else s[1] for s in states]
        xi, xf, xu, xo = np.split(norm(x_j @ W, "kernel_norm"), 4)
        bi, bf, bu, bo = np.split(b, 4)
        # Recurrent columns [i, f_1 .. f_N, u, o]: sum over positions l.
        columns = n + 3
        r = np.zeros(columns * u)
        for column in range(columns):
            for row in range(n):
                r[column * u : (column + 1) * u] += hs[row] @ block(row, column)
        r = norm(r, "recurrent_norm")
        r = np.split(r, columns)
        i = sigmoid(xi + r[0] + bi)
        g = np.tanh(xu + r[n + 1] + bu)
        o = sigmoid(xo + r[n + 2] + bo)
        c_j = i * g
        for k in range(n):
            c_j = c_j + sigmoid(xf + r[1 + k] + bf) * cs[k]
        return o * np.tanh(norm(c_j, "state_norm")), c_j

    return _run(trees, x, u, node)
