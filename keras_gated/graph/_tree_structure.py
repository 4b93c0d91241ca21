"""Padded trees for the Tree-LSTMs: checks and adjacency tensors (private).

A batch of trees is given as a parent index `(batch, nodes)` or a children
index `(batch, nodes, slots)`, `-1` meaning none, with a node mask. Two
things are done with it:

- `check_tree` checks a *concrete* structure (NumPy values, eager tensors)
  in NumPy and raises a `ValueError` that names the tree and the node for
  every way it can fail to be a tree; a traced structure cannot be checked
  (`concrete` returns `None`);
- `child_adjacency` and `child_slots` turn either form into dense one-hot
  tensors with `keras.ops`, so that the level loop gathers children by
  matrix products, on every backend and under `jit`.
"""

import numpy as np
from keras import ops


def concrete(value):
    """`value` as a NumPy array, or `None` when it is a traced tensor."""
    if value is None or isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(ops.convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - each backend raises its own type.
        # A symbolic TensorFlow tensor (tf.function, Keras' functional
        # tracing) or a JAX tracer: its values are not known yet.
        return None


def _children_lists(parents, children, valid, arity, layer):
    """Per tree, `parent_of[node]` (-1: none) and `children_of[node]`.

    Raises on an index out of range, a reference to a padding node, a node
    with two parents, and more children than `arity`.
    """
    nodes = valid.shape[1]
    trees = []
    for b in range(valid.shape[0]):
        parent_of = np.full(nodes, -1)
        children_of = [[] for _ in range(nodes)]
        if parents is not None:
            for node in np.flatnonzero(valid[b]):
                parent = int(parents[b, node])
                if parent == -1:
                    continue
                if not 0 <= parent < nodes:
                    raise ValueError(
                        f"Received an invalid tree in argument `parents` of "
                        f"{layer}: in tree {b}, node {node} has parent "
                        f"{parent}, an index out of range [0, {nodes}) "
                        "(-1 means no parent)."
                    )
                if not valid[b, parent]:
                    raise ValueError(
                        f"Received an invalid tree in argument `parents` of "
                        f"{layer}: in tree {b}, node {node} has parent "
                        f"{parent}, a padding node (False in `node_mask`)."
                    )
                parent_of[node] = parent
                children_of[parent].append(int(node))
        else:
            for node in np.flatnonzero(valid[b]):
                for slot, child in enumerate(children[b, node]):
                    child = int(child)
                    if child == -1:
                        continue
                    if not 0 <= child < nodes:
                        raise ValueError(
                            f"Received an invalid tree in argument "
                            f"`children` of {layer}: in tree {b}, node "
                            f"{node} has child {child}, an index out of "
                            f"range [0, {nodes}) (-1 means no child)."
                        )
                    if not valid[b, child]:
                        raise ValueError(
                            f"Received an invalid tree in argument "
                            f"`children` of {layer}: in tree {b}, node "
                            f"{node} has child {child}, a padding node "
                            "(False in `node_mask`)."
                        )
                    if parent_of[child] != -1:
                        raise ValueError(
                            f"Received an invalid tree in argument "
                            f"`children` of {layer}: in tree {b}, node "
                            f"{child} is a child of both node "
                            f"{parent_of[child]} and node {node}; a tree "
                            "node has one parent."
                        )
                    if arity is not None and slot >= arity:
                        raise ValueError(
                            f"Received an invalid tree in argument "
                            f"`children` of {layer}: in tree {b}, node "
                            f"{node} has child {child} in position "
                            f"{slot + 1}, more children than the arity "
                            f"{arity}."
                        )
                    parent_of[child] = node
                    children_of[node].append(int(child))
        if parents is not None and arity is not None:
            for node, kids in enumerate(children_of):
                if len(kids) > arity:
                    raise ValueError(
                        f"Received an invalid tree in argument `parents` of "
                        f"{layer}: in tree {b}, node {node} has "
                        f"{len(kids)} children {kids}, more children than "
                        f"the arity {arity}."
                    )
        trees.append(parent_of)
    return trees


def check_tree(parents, children, valid, max_depth, arity, layer):
    """Raises a `ValueError` naming the structure unless it is a forest of
    one tree per batch row, of depth at most `max_depth`.

    `parents` or `children` (the other is `None`) and `valid` are NumPy
    arrays. The depth of a tree is the number of edges on its longest
    root-to-leaf path (a single node has depth 0).
    """
    argument = "parents" if parents is not None else "children"
    for b, parent_of in enumerate(
        _children_lists(parents, children, valid, arity, layer)
    ):
        depth = np.full(parent_of.shape, -1)
        for start in np.flatnonzero(valid[b]):
            path = []
            node = start
            while node != -1 and depth[node] == -1:
                if node in path:
                    cycle = path[path.index(node) :] + [node]
                    raise ValueError(
                        f"Received an invalid tree in argument "
                        f"`{argument}` of {layer}: tree {b} has a cycle, "
                        f"{' -> '.join(str(n) for n in cycle)} (each node "
                        "to its parent)."
                    )
                path.append(node)
                node = parent_of[node]
            base = -1 if node == -1 else depth[node]
            for offset, on_path in enumerate(reversed(path)):
                depth[on_path] = base + 1 + offset
        roots = [int(n) for n in np.flatnonzero(valid[b] & (parent_of == -1))]
        if len(roots) > 1:
            raise ValueError(
                f"Received an invalid tree in argument `{argument}` of "
                f"{layer}: tree {b} has {len(roots)} roots (nodes "
                f"{roots[:8]}{'...' if len(roots) > 8 else ''}), a tree has "
                "one. Mark padding nodes False in `node_mask`."
            )
        deepest = int(depth.max(initial=0))
        if deepest > max_depth:
            raise ValueError(
                f"Received an invalid tree in argument `{argument}` of "
                f"{layer}: tree {b} has depth {deepest}, deeper than "
                f"max_depth={max_depth}. Construct the layer with a larger "
                "`max_depth`."
            )


def child_adjacency(parents, children, valid, nodes, dtype):
    """`A[b, p, c] = 1` where node `c` is a child of node `p`, else 0.

    From `parents` `(batch, nodes)` or `children` `(batch, nodes, slots)`;
    indices out of range (other than -1, which means none) match no node
    and are ignored, and padding nodes (`valid` False) are cut off.
    """
    index = ops.arange(nodes, dtype="int32")
    if parents is not None:
        parents = ops.cast(parents, "int32")
        # (batch, child, parent) -> (batch, parent, child).
        adjacency = ops.transpose(
            ops.expand_dims(parents, -1) == index, (0, 2, 1)
        )
    else:
        slots = child_slots(None, children, valid, nodes, None, "bool")
        adjacency = ops.any(slots, axis=2)
    valid = ops.cast(valid, "bool")
    adjacency = ops.logical_and(
        adjacency,
        ops.logical_and(ops.expand_dims(valid, 2), ops.expand_dims(valid, 1)),
    )
    return ops.cast(adjacency, dtype)


def child_slots(parents, children, valid, nodes, arity, dtype):
    """`S[b, p, l, c] = 1` where node `c` is child number `l` of node `p`.

    From `children`, slot `l` is column `l` (columns at `arity` and beyond
    are dropped; missing columns are empty slots). From `parents`, the
    children of a node fill its slots in the order of their indices.
    Padding nodes are cut off, as in `child_adjacency`.
    """
    index = ops.arange(nodes, dtype="int32")
    valid = ops.cast(valid, "bool")
    if children is not None:
        children = ops.cast(children, "int32")
        if arity is not None:
            present = children.shape[-1]
            if present > arity:
                children = children[..., :arity]
            elif present < arity:
                pad = -ops.ones_like(children[..., :1])
                children = ops.concatenate(
                    [children] + [pad] * (arity - present), axis=-1
                )
        slots = ops.expand_dims(children, -1) == index  # (b, p, l, c)
        slots = ops.logical_and(
            slots,
            ops.logical_and(
                ops.expand_dims(ops.expand_dims(valid, 2), 3),
                ops.expand_dims(ops.expand_dims(valid, 1), 1),
            ),
        )
        return ops.cast(slots, dtype)
    adjacency = child_adjacency(parents, None, valid, nodes, "int32")
    # A child's slot is the number of its siblings of smaller index.
    rank = ops.cumsum(adjacency, axis=2) - adjacency
    position = ops.arange(arity, dtype="int32")[None, None, :, None]
    slots = ops.logical_and(
        ops.expand_dims(adjacency, 2) > 0,
        ops.expand_dims(rank, 2) == position,
    )
    return ops.cast(slots, dtype)
