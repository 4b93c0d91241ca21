"""Times the Tree-LSTM's level-by-level loop against a node-by-node loop.

Both compute `kg.ChildSumTreeLSTM`'s equations with the same weights, on
a batch of random trees (default: 32 trees of 64 nodes, depth 8, 64
features, 64 units):

- "level by level" is `kg.ChildSumTreeLSTM(max_depth=8)`: 9 iterations,
  each updating every node of one height at once;
- "node by node" visits the nodes one at a time in post-order (children
  before parents), one node of every tree per iteration: 64 iterations,
  each gathering that node's children's states. It is what a recursive
  implementation does, batched over the trees.

Candidates run interleaved in one process (each repeat times each once,
in turn), as in `rnn_speed.py`; the script prints medians and the ratio of
node-by-node to level-by-level. "forward" is the layer in a `tf.function`;
"forward+backward" a `tf.function` training step (loss, gradients, SGD).
With `KERAS_BACKEND=jax`, both are `jax.jit`-compiled `stateless_call`s.
The node-by-node outputs are checked against the layer's first.

    python benchmarks/tree_speed.py             # ~1 min on 2 cores
    python benchmarks/tree_speed.py --repeats 3 # quicker
"""

import argparse
import json
import statistics
import sys
import time

import keras
import numpy as np
from keras import ops

import keras_gated as kg

# The loop with a static trip count that the layers use.
from keras_gated._ops import static_loop
from keras_gated.examples.machine import describe


class NodeByNode(keras.layers.Layer):
    """`ChildSumTreeLSTM`'s equations, one node per tree per iteration."""

    def __init__(self, tree_layer, **kwargs):
        super().__init__(**kwargs)
        self.tree_layer = tree_layer

    def call(self, x, parents, order):
        layer = self.tree_layer
        u = layer.units
        nodes = x.shape[1]
        index = ops.arange(nodes, dtype="int32")
        parents = ops.cast(parents, "int32")
        adjacency = ops.cast(  # (batch, parent, child)
            ops.transpose(ops.expand_dims(parents, -1) == index, (0, 2, 1)),
            x.dtype,
        )
        projection = layer.project(x)
        kernel = layer.recurrent_kernel
        u_iuo = ops.concatenate([kernel[:, :u], kernel[:, 2 * u :]], axis=-1)
        u_f = kernel[:, u : 2 * u]
        zeros = ops.zeros((ops.shape(x)[0], nodes, u), x.dtype)

        def visit(k, h, c):
            j = ops.take(order, k, axis=1)  # (batch,): this step's node
            at_j = ops.cast(ops.expand_dims(j, 1) == index, x.dtype)
            x_j = ops.sum(ops.expand_dims(at_j, -1) * projection, axis=1)
            kids = ops.sum(ops.expand_dims(at_j, -1) * adjacency, axis=1)
            kids = ops.expand_dims(kids, -1)  # (batch, nodes, 1)
            h_sum = ops.sum(kids * h, axis=1)
            z_iuo = ops.concatenate(
                [x_j[:, :u], x_j[:, 2 * u :]], axis=-1
            ) + ops.matmul(h_sum, u_iuo)
            i, g, o = z_iuo[:, :u], z_iuo[:, u : 2 * u], z_iuo[:, 2 * u :]
            f = ops.sigmoid(
                ops.expand_dims(x_j[:, u : 2 * u], 1) + ops.matmul(h, u_f)
            )
            new_c = ops.sigmoid(i) * ops.tanh(g) + ops.sum(kids * f * c, 1)
            new_h = ops.sigmoid(o) * ops.tanh(new_c)
            put = ops.expand_dims(at_j, -1)
            return (
                k + 1,
                h + put * (ops.expand_dims(new_h, 1) - h),
                c + put * (ops.expand_dims(new_c, 1) - c),
            )

        _, h, _ = static_loop(
            lambda _, *state: visit(*state),
            (ops.convert_to_tensor(0, "int32"), zeros, zeros),
            nodes,
        )
        return h


def random_trees(rng, batch, nodes, depth):
    """Parent indices of `batch` random trees of exactly `depth`."""
    trees = []
    while len(trees) < batch:
        parent = [-1] + list(range(depth))  # a spine of the full depth
        level = list(range(depth + 1))
        for node in range(depth + 1, nodes):
            p = int(rng.choice([n for n in range(node) if level[n] < depth]))
            parent.append(p)
            level.append(level[p] + 1)
        trees.append(parent)
    return np.array(trees)


def post_order(parents):
    """Per tree, the nodes with every child before its parent."""
    orders = []
    for tree in parents:
        kids = {n: [] for n in range(len(tree))}
        for n, p in enumerate(tree):
            if p != -1:
                kids[int(p)].append(n)
        order = []

        def visit(n, kids=kids, order=order):
            for k in kids[n]:
                visit(k)
            order.append(n)

        visit(int(np.flatnonzero(tree == -1)[0]))
        orders.append(order)
    return np.array(orders, "int32")


def _functions(model, inputs):
    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def forward(trainable, non_trainable, inputs):
            return model.stateless_call(trainable, non_trainable, inputs)[0]

        def loss(trainable, non_trainable, inputs):
            out = model.stateless_call(trainable, non_trainable, inputs)[0]
            return jnp.mean(jnp.square(out))

        @jax.jit
        def train_step(trainable, non_trainable, inputs):
            value, grads = jax.value_and_grad(loss)(
                trainable, non_trainable, inputs
            )
            return value, [w - 1e-3 * g for w, g in zip(trainable, grads)]

        return {
            "forward": lambda: forward(trainable, non_trainable, inputs),
            "forward+backward": lambda: train_step(
                trainable, non_trainable, inputs
            ),
        }
    import tensorflow as tf

    optimizer = keras.optimizers.SGD(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function
    def forward(inputs):
        return model(inputs)

    @tf.function
    def train_step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(inputs)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    return {
        "forward": lambda: forward(inputs),
        "forward+backward": lambda: train_step(inputs),
    }


def _time(function):
    start = time.perf_counter()
    keras.tree.map_structure(keras.ops.convert_to_numpy, function())
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    parents = random_trees(rng, args.batch, args.nodes, args.depth)
    order = post_order(parents)
    x = rng.normal(size=(args.batch, args.nodes, args.features))
    x = x.astype("float32")

    tree_layer = kg.ChildSumTreeLSTM(args.units, max_depth=args.depth)
    features = keras.Input((args.nodes, args.features), batch_size=args.batch)
    parent_input = keras.Input((args.nodes,), args.batch, dtype="int32")
    order_input = keras.Input((args.nodes,), args.batch, dtype="int32")
    h, _ = tree_layer(features, parents=parent_input)
    levels = keras.Model([features, parent_input], h)
    nodes = keras.Model(
        [features, parent_input, order_input],
        NodeByNode(tree_layer)(features, parent_input, order_input),
    )
    level_inputs = [x, parents.astype("int32")]
    node_inputs = [x, parents.astype("int32"), order]
    np.testing.assert_allclose(
        ops.convert_to_numpy(nodes(node_inputs)),
        ops.convert_to_numpy(levels(level_inputs)),
        atol=1e-5,
    )
    candidates = {
        "level by level": _functions(levels, level_inputs),
        "node by node": _functions(nodes, node_inputs),
    }
    times = {name: {m: [] for m in fns} for name, fns in candidates.items()}
    for repeat in range(args.repeats + 2):  # 2 warm-up rounds
        for name, fns in candidates.items():
            for mode, function in fns.items():
                elapsed = _time(function)
                if repeat >= 2:
                    times[name][mode].append(elapsed)
    print(
        f"{keras.backend.backend()}, B={args.batch}, {args.nodes} nodes, "
        f"depth {args.depth}, {args.features} features, {args.units} "
        f"units, {args.repeats} repeats (medians)"
    )
    report = {"machine": describe(), "args": vars(args), "results": {}}
    for mode in ("forward", "forward+backward"):
        level = statistics.median(times["level by level"][mode])
        node = statistics.median(times["node by node"][mode])
        report["results"][mode] = {
            "level_by_level_s": level,
            "node_by_node_s": node,
            "node_over_level": node / level,
        }
        print(
            f"{mode:17s} level by level {level * 1e3:8.1f} ms   node by "
            f"node {node * 1e3:8.1f} ms   ratio {node / level:5.2f}x"
        )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
