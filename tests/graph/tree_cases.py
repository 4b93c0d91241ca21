"""Random padded trees and small models for the Tree-LSTM tests."""

import keras
import numpy as np


def random_tree(rng, size, arity=None, max_depth=None, shuffle=True):
    """Parent indices of a random tree of `size` nodes (root: -1).

    Node labels are shuffled unless `shuffle=False` (then the root is 0
    and every parent has a smaller index than its children).
    """
    parent = [-1]
    depth = [0]
    count = [0]
    for node in range(1, size):
        options = [
            p
            for p in range(node)
            if (arity is None or count[p] < arity)
            and (max_depth is None or depth[p] < max_depth)
        ]
        p = int(rng.choice(options))
        parent.append(p)
        depth.append(depth[p] + 1)
        count.append(0)
        count[p] += 1
    parent = np.array(parent)
    if not shuffle:
        return parent
    order = rng.permutation(size)  # new label of old node
    relabelled = np.full(size, -1)
    for old, new in enumerate(order):
        if parent[old] != -1:
            relabelled[new] = order[parent[old]]
    return relabelled


def depth_of(parents):
    def depth(n):
        return 0 if parents[n] == -1 else 1 + depth(parents[n])

    return max(depth(n) for n in range(len(parents)))


def pad(trees, nodes):
    """Stacks parent arrays into `(batch, nodes)` with a node mask.

    Padding nodes get parent -1 (ignored, being masked).
    """
    parents = np.full((len(trees), nodes), -1)
    mask = np.zeros((len(trees), nodes), bool)
    for b, tree in enumerate(trees):
        parents[b, : len(tree)] = tree
        mask[b, : len(tree)] = True
    return parents, mask


def children_index(parents, node_mask, slots):
    """The children form of `parents`, children in index order."""
    batch, nodes = parents.shape
    children = np.full((batch, nodes, slots), -1)
    for b in range(batch):
        filled = np.zeros(nodes, int)
        for n in range(nodes):
            p = parents[b, n]
            if node_mask[b, n] and p != -1:
                children[b, p, filled[p]] = n
                filled[p] += 1
    return children


def randomize(layer, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(scale=scale, size=w.shape).astype(w.dtype))


def weights_of(layer):
    return {
        w.name: keras.ops.convert_to_numpy(w).astype(np.float64)
        for w in layer.weights
    }


def numpy_outputs(outputs):
    return [keras.ops.convert_to_numpy(o) for o in outputs]


def regression_model(layer, nodes, features, form="parents", slots=2):
    """features + structure + mask -> the root's h -> one number."""
    x = keras.Input((nodes, features), name="x")
    if form == "parents":
        structure = keras.Input((nodes,), dtype="int32", name="parents")
    else:
        structure = keras.Input((nodes, slots), dtype="int32", name="children")
    mask = keras.Input((nodes,), dtype="bool", name="node_mask")
    _, root = layer(x, node_mask=mask, **{form: structure})
    y = keras.layers.Dense(1)(root)
    return keras.Model([x, structure, mask], y)
