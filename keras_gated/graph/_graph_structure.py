"""The graph structure of a `GraphLSTM` call, as dense tensors (private).

Turns the structure arguments (a dense adjacency or an edge list, an
update order given by scores or as a permutation, a node mask) into the
dense, padded tensors the node loop reads, with `keras.ops` only, and
checks their values when they are concrete (eager calls). Under `jit`
(`tf.function`, `jax.jit`) the values are traced and only the shapes are
checked; what the layer then computes for bad values is documented in
`GraphLSTM`'s docstring.
"""

import keras
import numpy as np
from keras import ops


def concrete(value):
    """`value` as a NumPy array if it is concrete (not traced), else None."""
    if value is None:
        return None
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return np.asarray(value)
    if isinstance(value, keras.KerasTensor):
        return None
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if not tf.executing_eagerly() or not hasattr(value, "numpy"):
                return None
            return value.numpy()
        if backend == "jax":
            import jax

            if isinstance(value, jax.core.Tracer):
                return None
            return np.asarray(value)
        if backend == "torch":
            return value.detach().cpu().numpy()
        return np.asarray(value)
    except Exception:  # A value we cannot read eagerly: not checked.
        return None


def _invalid(name, expected, got):
    return ValueError(
        f"Received an invalid value for argument `{name}`, expected "
        f"{expected}; got {got}."
    )


def check_shape(name, value, expected, description):
    """Raises unless `value`'s static shape fits `expected` (None: any)."""
    shape = tuple(getattr(value, "shape", np.shape(value)))
    fits = len(shape) == len(expected) and all(
        want is None or got is None or got == want
        for got, want in zip(shape, expected)
    )
    if not fits:
        raise _invalid(
            name, f"shape {tuple(expected)} ({description})", f"shape {shape}"
        )
    return shape


def adjacency_from_edges(edges, edge_mask, batch, nodes, dtype):
    """The dense `(batch, nodes, nodes)` adjacency of an edge list.

    `edges` is `(batch, E, 2)` of ints: edge `[i, j]` makes node `j` a
    neighbour of node `i`. Edges with a False `edge_mask` are ignored;
    duplicates count once.
    """
    check_shape(
        "edges", edges, (batch, None, 2), "`(batch, edges, 2)` node indices"
    )
    value = concrete(edges)
    mask_value = concrete(edge_mask)
    if edge_mask is not None:
        check_shape(
            "edge_mask",
            edge_mask,
            (batch, edges.shape[1]),
            "one flag per row of `edges`",
        )
    if value is not None:
        if value.dtype.kind not in "iu":
            raise _invalid(
                "edges", "integer node indices", f"dtype {value.dtype}"
            )
        used = value if mask_value is None else value[mask_value.astype(bool)]
        bad = (used < 0) | (used >= nodes)
        if bad.any():
            raise _invalid(
                "edges",
                f"node indices in [0, {nodes}) (the `nodes` axis of the "
                "inputs) at every edge the `edge_mask` keeps",
                f"index {int(used[bad][0])}",
            )
    edges = ops.cast(edges, "int32")
    source = ops.one_hot(edges[..., 0], nodes, dtype=dtype)  # (b, E, n)
    target = ops.one_hot(edges[..., 1], nodes, dtype=dtype)
    if edge_mask is not None:
        source = source * ops.cast(ops.expand_dims(edge_mask, -1), dtype)
    counts = ops.matmul(ops.transpose(source, (0, 2, 1)), target)
    return ops.cast(counts > 0, dtype)


def dense_adjacency(adjacency, batch, nodes, dtype):
    """A dense adjacency as 0/1 of `dtype` (any non-zero entry is an edge)."""
    check_shape(
        "adjacency",
        adjacency,
        (batch, nodes, nodes),
        "`(batch, nodes, nodes)`, the nodes of the inputs on both axes",
    )
    return ops.cast(ops.not_equal(adjacency, 0), dtype)


def order_from_scores(scores, batch, nodes):
    """The update order of confidence scores: highest first, ties by index.

    Returns `(batch, nodes)` int32 node indices. Computed by ranking, not
    sorting, so ties are broken the same way on every backend: node `i`
    goes at position `#{j : s_j > s_i or (s_j = s_i and j < i)}`.
    """
    check_shape(
        "scores", scores, (batch, nodes), "one confidence score per node"
    )
    value = concrete(scores)
    if value is not None and not np.all(np.isfinite(value)):
        raise _invalid(
            "scores", "finite confidence scores", "a NaN or infinite score"
        )
    s_i = ops.expand_dims(scores, 2)
    s_j = ops.expand_dims(scores, 1)
    index = ops.arange(nodes, dtype="int32")
    earlier = ops.expand_dims(index, 1) > ops.expand_dims(index, 0)  # j < i
    ahead = ops.logical_or(
        ops.greater(s_j, s_i), ops.logical_and(ops.equal(s_j, s_i), earlier)
    )
    rank = ops.sum(ops.cast(ahead, "int32"), axis=2)  # (b, n): position of i
    # order[k] = the node of rank k.
    positions = ops.one_hot(rank, nodes, dtype="int32")  # (b, i, k)
    return ops.cast(
        ops.sum(positions * ops.reshape(index, (1, nodes, 1)), axis=1), "int32"
    )


def check_order(order, batch, nodes):
    """Checks an explicit update order: a permutation of every row."""
    check_shape(
        "order", order, (batch, nodes), "a permutation of the node indices"
    )
    value = concrete(order)
    if value is not None:
        if value.dtype.kind not in "iu":
            raise _invalid(
                "order", "integer node indices", f"dtype {value.dtype}"
            )
        expected = np.arange(nodes)
        for row, permutation in enumerate(value):
            if not np.array_equal(np.sort(permutation), expected):
                raise _invalid(
                    "order",
                    f"a permutation of 0..{nodes - 1} in every row",
                    f"row {row} = {permutation.tolist()}",
                )
    return ops.cast(order, "int32")


def check_node_mask(node_mask, batch, nodes):
    check_shape("node_mask", node_mask, (batch, nodes), "one flag per node")
    return node_mask
