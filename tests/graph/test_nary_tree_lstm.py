"""`NaryTreeLSTM`: the reference, an LSTM on chains, order, arity, padding.

The generic contracts (reference on the registry's tree, float64
gradients, `.keras` and SavedModel) run from `tests/registry.py`.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.graph import tree_cases as cases
from tests.graph import tree_reference as ref


def _layer(units=3, arity=2, max_depth=7, features=2, seed=0, **kwargs):
    layer = kg.NaryTreeLSTM(units, arity=arity, max_depth=max_depth, **kwargs)
    layer.build((None, None, features))
    cases.randomize(layer, seed=seed)
    return layer


def _batch(seed, sizes=(7, 4, 1, 6), nodes=8, features=2, arity=2):
    rng = np.random.default_rng(seed)
    trees = [cases.random_tree(rng, size, arity=arity) for size in sizes]
    parents, mask = cases.pad(trees, nodes)
    x = rng.normal(size=(len(sizes), nodes, features)).astype("float32")
    return x, parents, mask


def _reference(layer, x, trees):
    return ref.nary(
        cases.weights_of(layer),
        x.astype("float64"),
        trees,
        layer.arity,
        use_bias=layer.use_bias,
        epsilon=layer.norm_epsilon if layer.use_layer_norm else None,
    )


@pytest.mark.parametrize("use_layer_norm", [False, True])
@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("arity", [1, 3])
def test_matches_the_reference_from_parents(arity, use_bias, use_layer_norm):
    layer = _layer(
        arity=arity,
        return_state=True,
        use_bias=use_bias,
        use_layer_norm=use_layer_norm,
    )
    x, parents, mask = _batch(1, arity=arity)
    got = cases.numpy_outputs(layer(x, parents=parents, node_mask=mask))
    want = _reference(
        layer, x, ref.children_lists(parents=parents, node_mask=mask)
    )
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=2e-5)


def test_matches_the_reference_with_empty_positions():
    # Children in columns, some positions empty (a right child only), and
    # fewer columns than the arity.
    layer = _layer(arity=3, return_state=True)
    children = np.array(
        [
            [[-1, 1], [2, 3], [-1, -1], [-1, 4], [-1, -1]],
            [[1, -1], [-1, -1], [-1, -1], [-1, -1], [-1, -1]],
        ]
    )
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    x = np.random.default_rng(2).normal(size=(2, 5, 2)).astype("float32")
    got = cases.numpy_outputs(layer(x, children=children, node_mask=mask))
    want = _reference(
        layer, x, ref.children_lists(children=children, node_mask=mask)
    )
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=2e-5)


def test_with_arity_one_on_a_chain_it_is_keras_lstm_cell():
    steps, features, units = 5, 3, 4
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, steps, features)).astype("float32")
    lstm = keras.layers.RNN(keras.layers.LSTMCell(units), return_sequences=True)
    lstm.build((None, steps, features))
    cases.randomize(lstm, seed=3)
    tree = kg.NaryTreeLSTM(units, arity=1, max_depth=steps - 1)
    tree.build((None, steps, features))
    tree.kernel.assign(lstm.cell.kernel)
    tree.recurrent_kernel.assign(lstm.cell.recurrent_kernel)
    tree.bias.assign(lstm.cell.bias)
    children = np.tile(np.arange(-1, steps - 1)[None, :, None], (2, 1, 1))
    h, root_h = cases.numpy_outputs(tree(x, children=children))
    want = keras.ops.convert_to_numpy(lstm(x))
    np.testing.assert_allclose(h, want, atol=1e-6)
    np.testing.assert_allclose(root_h, want[:, -1], atol=1e-6)


def test_the_order_of_the_children_matters():
    layer = _layer(arity=2)
    x = np.random.default_rng(4).normal(size=(1, 3, 2)).astype("float32")
    h, root = cases.numpy_outputs(
        layer(x, children=np.array([[[1, 2], [-1, -1], [-1, -1]]]))
    )
    h2, swapped = cases.numpy_outputs(
        layer(x, children=np.array([[[2, 1], [-1, -1], [-1, -1]]]))
    )
    np.testing.assert_allclose(h[:, 1:], h2[:, 1:], atol=1e-6)  # the leaves
    assert np.abs(root - swapped).max() > 1e-3


def test_parents_and_children_forms_agree():
    layer = _layer(arity=2, return_state=True)
    x, parents, mask = _batch(5)
    children = cases.children_index(parents, mask, 2)
    for got, want in zip(
        cases.numpy_outputs(layer(x, children=children, node_mask=mask)),
        cases.numpy_outputs(layer(x, parents=parents, node_mask=mask)),
    ):
        np.testing.assert_allclose(got, want, atol=1e-6)


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
    children = cases.children_index(parents, mask, 2)
    rng = np.random.default_rng(10)
    wide_x = rng.normal(size=(2, 9, 2)).astype("float32")
    wide_x[:, :5] = x
    wide_children = rng.integers(-1, 9, size=(2, 9, 2))  # garbage, masked
    wide_children[:, :5] = children
    wide_mask = np.zeros((2, 9), bool)
    wide_mask[:, :5] = mask
    want = cases.numpy_outputs(layer(x, children=children, node_mask=mask))
    got = cases.numpy_outputs(
        layer(wide_x, children=wide_children, node_mask=wide_mask)
    )
    for g, w in zip(got, want):
        if g.ndim == 3:
            np.testing.assert_array_equal(g[:, 5:], 0)
            g = g[:, :5]
        np.testing.assert_allclose(g, w, atol=1e-6)


def test_levels_beyond_the_depth_change_nothing():
    x, parents, mask = _batch(11)
    depth = max(
        cases.depth_of(tree[: m.sum()]) for tree, m in zip(parents, mask)
    )
    deep = _layer(max_depth=depth + 5)
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
    layer = _layer(arity=2, max_depth=2)
    assert "more children than the arity 2" in _bad(
        layer, parents=np.array([[-1, 0, 0, 0]])
    )
    message = _bad(layer, children=np.array([[[1, -1, 3], [2, -1, -1]] * 2]))
    assert "`children`" in message and "more children than the arity" in (
        message
    )
    assert "a cycle" in _bad(layer, parents=np.array([[-1, 3, 1, 2]]))
    assert "child 4, an index out of range" in _bad(
        layer, children=np.array([[[1, 4], [-1, -1], [-1, -1], [-1, -1]]])
    )
    assert "deeper than max_depth=2" in _bad(
        layer, parents=np.array([[-1, 0, 1, 2]])
    )


@pytest.mark.tensorflow_only
def test_a_traced_structure_ignores_children_beyond_the_arity():
    import tensorflow as tf

    layer = _layer(arity=2, max_depth=2)
    x = np.random.default_rng(0).normal(size=(1, 4, 2)).astype("float32")
    three = np.array([[[1, 2, 3], [-1] * 3, [-1] * 3, [-1] * 3]])
    h, root = cases.numpy_outputs(tf.function(layer)(x, children=three))
    # As if node 3, the third child, were not there.
    two = np.array([[[1, 2], [-1, -1], [-1, -1]]])
    h2, root2 = cases.numpy_outputs(layer(x[:, :3], children=two))
    np.testing.assert_allclose(root, root2, atol=1e-6)
    np.testing.assert_allclose(h[:, :3], h2, atol=1e-6)


@pytest.mark.parametrize(
    "argument, value", [("arity", 0), ("units", -1), ("max_depth", 1.5)]
)
def test_bad_arguments_are_refused_by_name(argument, value):
    options = {"units": 2, "arity": 2, "max_depth": 2, argument: value}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        kg.NaryTreeLSTM(**options)


def test_config_round_trip():
    layer = kg.NaryTreeLSTM(5, arity=3, max_depth=4, use_layer_norm=True)
    clone = kg.NaryTreeLSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.arity == 3


@pytest.mark.parametrize("use_layer_norm", [False, True])
def test_trains_compiled(use_layer_norm):
    # TensorFlow: fit(jit_compile=True), i.e. XLA; JAX: fit's jax.jit.
    rng = np.random.default_rng(30)
    trees = [
        cases.random_tree(rng, int(rng.integers(1, 9)), arity=2)
        for _ in range(16)
    ]
    parents, mask = cases.pad(trees, 8)
    children = cases.children_index(parents, mask, 2).astype("int32")
    x = rng.normal(size=(16, 8, 2)).astype("float32")
    targets = (x[..., 0] * mask).sum(-1, keepdims=True)
    layer = kg.NaryTreeLSTM(
        8, arity=2, max_depth=7, use_layer_norm=use_layer_norm
    )
    # Padded size unknown to the model (None): XLA compiles it per batch.
    model = cases.regression_model(layer, None, 2, form="children", slots=2)
    options = {}
    if keras.backend.backend() == "tensorflow":
        options["jit_compile"] = True
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", **options)
    losses = model.fit(
        [x, children, mask], targets, epochs=8, batch_size=8, verbose=0
    ).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.7 * losses[0]
