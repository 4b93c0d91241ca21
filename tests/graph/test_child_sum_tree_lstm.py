"""`ChildSumTreeLSTM`: the reference, an LSTM on chains, order, padding.

The generic contracts (reference on the registry's tree, float64
gradients, `.keras` and SavedModel) run from `tests/registry.py`.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.graph import tree_cases as cases
from tests.graph import tree_reference as ref


def _layer(units=3, max_depth=6, features=2, seed=0, **kwargs):
    layer = kg.ChildSumTreeLSTM(units, max_depth=max_depth, **kwargs)
    layer.build((None, None, features))
    cases.randomize(layer, seed=seed)
    return layer


def _batch(seed, sizes=(7, 4, 1, 6), nodes=8, features=2):
    rng = np.random.default_rng(seed)
    trees = [cases.random_tree(rng, size) for size in sizes]
    parents, mask = cases.pad(trees, nodes)
    x = rng.normal(size=(len(sizes), nodes, features)).astype("float32")
    return x, parents, mask


@pytest.mark.parametrize("use_layer_norm", [False, True])
@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("form", ["parents", "children"])
def test_matches_the_node_by_node_reference(form, use_bias, use_layer_norm):
    layer = _layer(
        return_state=True, use_bias=use_bias, use_layer_norm=use_layer_norm
    )
    x, parents, mask = _batch(1)
    structure = {"parents": parents}
    if form == "children":
        structure = {"children": cases.children_index(parents, mask, 6)}
    got = cases.numpy_outputs(layer(x, node_mask=mask, **structure))
    want = ref.child_sum(
        cases.weights_of(layer),
        x.astype("float64"),
        ref.children_lists(parents=parents, node_mask=mask),
        use_bias=use_bias,
        epsilon=layer.norm_epsilon if use_layer_norm else None,
    )
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=2e-5)


def test_fixed_weights_give_fixed_numbers():
    # Constant weights on a root with two leaves, worked by hand: every
    # unit of a leaf has z = 0.1 * (x·1) (+0.1 per unit of h̃ for parents).
    layer = kg.ChildSumTreeLSTM(
        2,
        max_depth=1,
        kernel_initializer=keras.initializers.Constant(0.1),
        recurrent_initializer=keras.initializers.Constant(0.1),
        unit_forget_bias=False,
        return_state=True,
    )
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], "float32")
    h, root_h, c, _ = cases.numpy_outputs(
        layer(x, parents=np.array([[-1, 0, 0]]))
    )

    def s(v):
        return 1 / (1 + np.exp(-v))

    leaf = []
    for a, b in ((3, 4), (5, 6)):
        z = 0.1 * (a + b)
        cell = s(z) * np.tanh(z)
        leaf.append((s(z) * np.tanh(cell), cell))
    # U h̃ sums 0.1 h̃ over the 2 units, and both units are alike.
    z = 0.1 * 3 + 0.1 * 2 * (leaf[0][0] + leaf[1][0])
    cell = s(z) * np.tanh(z) + sum(
        s(0.1 * 3 + 0.1 * 2 * hk) * ck for hk, ck in leaf
    )
    np.testing.assert_allclose(h[0, 1], [leaf[0][0]] * 2, rtol=1e-6)
    np.testing.assert_allclose(c[0, 0], [cell] * 2, rtol=1e-6)
    np.testing.assert_allclose(root_h[0], [s(z) * np.tanh(cell)] * 2, rtol=1e-6)


def test_on_a_chain_it_is_keras_lstm_cell_with_the_same_weights():
    steps, features, units = 6, 3, 4
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, steps, features)).astype("float32")
    lstm = keras.layers.RNN(keras.layers.LSTMCell(units), return_sequences=True)
    lstm.build((None, steps, features))
    cases.randomize(lstm, seed=3)
    tree = kg.ChildSumTreeLSTM(units, max_depth=steps - 1)
    tree.build((None, steps, features))
    # The documented mapping: kernel, recurrent_kernel and bias as they are.
    cell = lstm.cell
    tree.kernel.assign(cell.kernel)
    tree.recurrent_kernel.assign(cell.recurrent_kernel)
    tree.bias.assign(cell.bias)
    # Node t's child is node t - 1: the leaf is the first step.
    parents = np.tile(np.append(np.arange(1, steps), -1), (2, 1))
    h, root_h = cases.numpy_outputs(tree(x, parents=parents))
    want = keras.ops.convert_to_numpy(lstm(x))
    np.testing.assert_allclose(h, want, atol=1e-6)
    np.testing.assert_allclose(root_h, want[:, -1], atol=1e-6)


def test_is_invariant_to_the_order_of_the_children():
    layer = _layer(return_state=True)
    x, parents, mask = _batch(4)
    children = cases.children_index(parents, mask, 6)
    rng = np.random.default_rng(5)
    shuffled = np.stack(
        [[rng.permutation(row) for row in tree] for tree in children]
    )
    assert not np.array_equal(shuffled, children)
    want = cases.numpy_outputs(layer(x, children=children, node_mask=mask))
    got = cases.numpy_outputs(layer(x, children=shuffled, node_mask=mask))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-6)


def test_relabelling_the_nodes_permutes_the_outputs():
    layer = _layer()
    x, parents, _ = _batch(6, sizes=(8,))
    order = np.random.default_rng(7).permutation(8)  # node n -> order[n]
    relabelled = np.empty_like(parents)
    relabelled[0, order] = np.where(parents[0] == -1, -1, order[parents[0]])
    moved = np.empty_like(x)
    moved[0, order] = x[0]
    h, root_h = cases.numpy_outputs(layer(x, parents=parents))
    h2, root_h2 = cases.numpy_outputs(layer(moved, parents=relabelled))
    np.testing.assert_allclose(h2[0, order], h[0], atol=1e-6)
    np.testing.assert_allclose(root_h2, root_h, atol=1e-6)


def test_a_batch_of_different_trees_equals_each_tree_alone():
    layer = _layer(return_state=True)
    x, parents, mask = _batch(8)
    batched = cases.numpy_outputs(layer(x, parents=parents, node_mask=mask))
    for b in range(len(x)):
        alone = cases.numpy_outputs(
            layer(
                x[b : b + 1],
                parents=parents[b : b + 1],
                node_mask=mask[b : b + 1],
            )
        )
        for together, single in zip(batched, alone):
            np.testing.assert_allclose(together[b : b + 1], single, atol=1e-6)


def test_padding_nodes_change_nothing_and_output_zeros():
    layer = _layer(return_state=True)
    x, parents, mask = _batch(9, sizes=(5, 3), nodes=5)
    rng = np.random.default_rng(10)
    wide_x = rng.normal(size=(2, 9, 2)).astype("float32")
    wide_x[:, :5] = x
    wide_parents = rng.integers(-1, 9, size=(2, 9))  # garbage, masked
    wide_parents[:, :5] = parents
    wide_mask = np.zeros((2, 9), bool)
    wide_mask[:, :5] = mask
    want = cases.numpy_outputs(layer(x, parents=parents, node_mask=mask))
    got = cases.numpy_outputs(
        layer(wide_x, parents=wide_parents, node_mask=wide_mask)
    )
    for g, w in zip(got, want):
        if g.ndim == 3:
            np.testing.assert_array_equal(g[:, 5:], 0)
            g = g[:, :5]
        np.testing.assert_allclose(g, w, atol=1e-6)


def test_levels_beyond_the_depth_change_nothing():
    x, parents, mask = _batch(11)
    deep = _layer(max_depth=12)
    depth = max(
        cases.depth_of(tree[: m.sum()]) for tree, m in zip(parents, mask)
    )
    shallow = _layer(max_depth=depth)
    for got, want in zip(
        cases.numpy_outputs(deep(x, parents=parents, node_mask=mask)),
        cases.numpy_outputs(shallow(x, parents=parents, node_mask=mask)),
    ):
        np.testing.assert_array_equal(got, want)


def _bad(layer, **structure):
    x = np.zeros((1, 4, 2), "float32")
    with pytest.raises(ValueError) as error:
        layer(x, **structure)
    return str(error.value)


def test_bad_structures_are_refused_by_name():
    layer = _layer(max_depth=2)
    assert "a cycle, 1 -> 2 -> 1" in _bad(
        layer, parents=np.array([[-1, 2, 1, 0]])
    )
    assert "node 3 has parent 4, an index out of range" in _bad(
        layer, parents=np.array([[-1, 0, 0, 4]])
    )
    message = _bad(layer, children=np.array([[[1, 5], [-1, -1]] * 2]))
    assert "`children`" in message and "child 5, an index out of range" in (
        message
    )
    assert "depth 3, deeper than max_depth=2" in _bad(
        layer, parents=np.array([[-1, 0, 1, 2]])
    )
    assert "child of both node 0 and node 1" in _bad(
        layer, children=np.array([[[1, 2], [2, -1], [-1, -1], [-1, -1]]])
    )
    assert "has 2 roots" in _bad(layer, parents=np.array([[-1, 0, -1, 2]]))
    assert "padding node" in _bad(
        layer,
        parents=np.array([[-1, 0, 0, 1]]),
        node_mask=np.array([[True, False, True, True]]),
    )
    assert "exactly one of `parents`" in _bad(layer)
    assert "`parents`" in _bad(layer, parents=np.array([[-1, 0, 0]]))


@pytest.mark.parametrize(
    "argument, value",
    [("units", 0), ("max_depth", -1), ("use_layer_norm", "yes")],
)
def test_bad_arguments_are_refused_by_name(argument, value):
    options = {"units": 2, "max_depth": 2, argument: value}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        kg.ChildSumTreeLSTM(**options)


@pytest.mark.tensorflow_only
def test_a_traced_structure_is_not_checked_and_a_cycle_stays_zero():
    import tensorflow as tf

    layer = _layer(max_depth=3)
    x = np.random.default_rng(0).normal(size=(1, 4, 2)).astype("float32")
    # 0 is the root, 1 a leaf under it; 2 and 3 form a cycle.
    parents = np.array([[-1, 0, 3, 2]])
    h, root_h = cases.numpy_outputs(tf.function(layer)(x, parents=parents))
    np.testing.assert_array_equal(h[0, 2:], 0)
    assert np.all(h[0, :2] != 0)
    fine, _ = cases.numpy_outputs(layer(x[:, :2], parents=parents[:, :2]))
    np.testing.assert_allclose(h[:, :2], fine, atol=1e-6)


def test_config_round_trip():
    layer = kg.ChildSumTreeLSTM(
        5, max_depth=4, use_layer_norm=True, return_state=True
    )
    clone = kg.ChildSumTreeLSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.tensorflow_only
def test_one_saved_model_serves_any_tree_up_to_the_padded_size(tmp_path):
    import tensorflow as tf

    layer = _layer(max_depth=7)
    model = cases.regression_model(layer, nodes=8, features=2)
    path = str(tmp_path / "tree")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for seed in range(3):
        x, parents, mask = _batch(20 + seed, sizes=(8, 3, 5, 1))
        got = serving.serve([x, parents.astype("int32"), mask])
        want = model([x, parents.astype("int32"), mask])
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got),
            keras.ops.convert_to_numpy(want),
            atol=1e-6,
        )


def _train(model, data, targets, **compile_options):
    model.compile(
        optimizer=keras.optimizers.Adam(0.05), loss="mse", **compile_options
    )
    history = model.fit(data, targets, epochs=8, batch_size=8, verbose=0)
    return history.history["loss"]


@pytest.mark.parametrize("use_layer_norm", [False, True])
def test_trains_compiled(use_layer_norm):
    # TensorFlow: fit(jit_compile=True), i.e. XLA; JAX: fit's jax.jit.
    rng = np.random.default_rng(30)
    trees = [cases.random_tree(rng, int(rng.integers(1, 9))) for _ in range(16)]
    parents, mask = cases.pad(trees, 8)
    x = rng.normal(size=(16, 8, 2)).astype("float32")
    targets = (x[..., 0] * mask).sum(-1, keepdims=True)
    layer = kg.ChildSumTreeLSTM(8, max_depth=7, use_layer_norm=use_layer_norm)
    model = cases.regression_model(layer, nodes=8, features=2)
    options = {}
    if keras.backend.backend() == "tensorflow":
        options["jit_compile"] = True
    losses = _train(
        model, [x, parents.astype("int32"), mask], targets, **options
    )
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.7 * losses[0]
