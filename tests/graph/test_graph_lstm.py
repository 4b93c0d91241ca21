"""`kg.GraphLSTM`: the reference, the visit flag, invariants, saving, jit.

The generic contract (reference, float64 gradients, `.keras`, SavedModel)
runs on the registry entry in `tests/test_layer_contracts.py`; this file
adds the Graph LSTM's own properties. Runs on every backend, except the
tests marked `tensorflow_only`.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.graph import graph_lstm_reference as ref
from tests.registry import randomize
from tests.registry import weights_of

UNITS, FEATURES = 3, 2


def _layer(seed=0, dtype="float32", features=FEATURES, **kwargs):
    layer = kg.GraphLSTM(UNITS, dtype=dtype, **kwargs)
    layer.build((None, None, features))
    randomize(layer, seed=seed)
    return layer


def _random_graph(rng, batch, nodes, p=0.5):
    a = rng.random((batch, nodes, nodes)) < p
    a = np.logical_or(a, np.transpose(a, (0, 2, 1)))  # undirected
    return a.astype("float32")


def _data(seed=0, batch=2, nodes=5, dtype="float32"):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(batch, nodes, FEATURES)).astype(dtype),
        _random_graph(rng, batch, nodes),
        rng.normal(size=(batch, nodes)).astype(dtype),
    )


def _np(values):
    return [keras.ops.convert_to_numpy(v) for v in values]


@pytest.mark.parametrize(
    "options",
    [{}, {"use_layer_norm": True}, {"use_bias": False}],
    ids=["plain", "layer_norm", "no_bias"],
)
@pytest.mark.parametrize("ordering", ["scores", "order", "index"])
def test_matches_the_numpy_reference(options, ordering):
    layer = _layer(return_state=True, **options)
    x, a, scores = _data()
    rng = np.random.default_rng(5)
    kwargs, order = {}, None
    if ordering == "scores":
        kwargs["scores"], order = scores, ref.order_of_scores(scores)
    elif ordering == "order":
        order = np.stack([rng.permutation(5) for _ in range(2)])
        kwargs["order"] = order.astype("int32")
    initial = [rng.normal(size=(2, 5, UNITS)).astype("float32")] * 2
    h, m = _np(layer(x, adjacency=a, initial_state=initial, **kwargs))
    epsilon = layer.norm_epsilon if layer.use_layer_norm else None
    want_h, want_m = ref.graph_lstm(
        weights_of(layer),
        x,
        a,
        order=order,
        initial_state=initial,
        epsilon=epsilon,
    )
    np.testing.assert_allclose(h, want_h, atol=1e-5)
    np.testing.assert_allclose(m, want_m, atol=1e-5)


def test_fixed_weights_give_the_hand_computed_numbers():
    # A two-node path with every weight 0.1, features [1, 2] and [3, 4],
    # updated in index order: node 0 sees node 1's zero state, node 1 then
    # sees node 0's new state (the visit flag).
    layer = kg.GraphLSTM(1, unit_forget_bias=False, return_state=True)
    layer.build((None, 2, 2))
    for w in layer.weights:
        w.assign(np.full(w.shape, 0.1, "float32"))
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")
    a = np.array([[[0, 1], [1, 0]]], "float32")
    h, m = _np(layer(x, adjacency=a))

    def s(v):
        return 1 / (1 + np.exp(-v))

    z0 = 0.1 * 3 + 0.1  # f_0 W + b, every gate
    m0 = s(z0) * np.tanh(z0)  # own and neighbour memories are 0
    h0 = np.tanh(s(z0) * m0)
    z1 = 0.1 * 7 + 0.1  # node 1: h̄ = h0 in i, g, o; g_10 reads old h = 0
    m1 = s(z1 + 0.1 * h0) * np.tanh(z1 + 0.1 * h0) + s(z1) * m0
    h1 = np.tanh(s(z1 + 0.1 * h0) * m1)
    np.testing.assert_allclose(h[0, :, 0], [h0, h1], rtol=1e-6)
    np.testing.assert_allclose(m[0, :, 0], [m0, m1], rtol=1e-6)


def test_the_visit_flag_gives_updated_neighbours_their_new_state():
    # A path 0 - 1 - 2 updated in the order 1, 0, 2, from a nonzero state:
    # node 1 sees the old states of 0 and 2; node 0 sees 1's new state;
    # node 2 sees 1's new state too.
    layer = _layer(return_state=True)
    weights = weights_of(layer)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 3, FEATURES)).astype("float32")
    h_old = rng.normal(size=(1, 3, UNITS)).astype("float32")
    m_old = rng.normal(size=(1, 3, UNITS)).astype("float32")
    a = np.array([[[0, 1, 0], [1, 0, 1], [0, 1, 0]]], "float32")
    h, m = _np(
        layer(
            x,
            adjacency=a,
            order=np.array([[1, 0, 2]], "int32"),
            initial_state=[h_old, m_old],
        )
    )
    h_old, m_old, x = h_old[0], m_old[0], x[0]
    h1, m1 = ref.node_update(
        weights,
        x[1],
        h_old[1],
        m_old[1],
        (h_old[0] + h_old[2]) / 2,
        [(h_old[0], m_old[0]), (h_old[2], m_old[2])],
    )
    h0, m0 = ref.node_update(
        weights, x[0], h_old[0], m_old[0], h1, [(h_old[1], m1)]
    )
    h2, m2 = ref.node_update(
        weights, x[2], h_old[2], m_old[2], h1, [(h_old[1], m1)]
    )
    np.testing.assert_allclose(h[0], np.stack([h0, h1, h2]), atol=1e-5)
    np.testing.assert_allclose(m[0], np.stack([m0, m1, m2]), atol=1e-5)
    # Without the visit flag (every neighbour's old state) node 0 differs.
    h0_old_rule, _ = ref.node_update(
        weights,
        x[0],
        h_old[0],
        m_old[0],
        h_old[1],
        [(h_old[1], m_old[1])],
    )
    assert np.max(np.abs(h0_old_rule - h[0, 0])) > 1e-3


def test_an_isolated_node_is_the_documented_lstm_like_update():
    layer = _layer(return_state=True)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 3, FEATURES)).astype("float32")
    h_old = rng.normal(size=(1, 3, UNITS)).astype("float32")
    m_old = rng.normal(size=(1, 3, UNITS)).astype("float32")
    a = np.array([[[0, 1, 0], [1, 0, 0], [0, 0, 0]]], "float32")  # 2 alone
    h, m = _np(layer(x, adjacency=a, initial_state=[h_old, m_old]))
    # m' is the cell state of Keras' LSTMCell with the same W, U, b.
    cell = keras.layers.LSTMCell(UNITS)
    cell.build((None, FEATURES))
    cell.kernel.assign(layer.kernel)
    cell.recurrent_kernel.assign(layer.recurrent_kernel)
    cell.bias.assign(layer.bias)
    _, (_, c) = cell(x[:, 2], [h_old[:, 2], m_old[:, 2]])
    np.testing.assert_allclose(m[:, 2], keras.ops.convert_to_numpy(c), 1e-5)
    # h' = tanh(σ(zo + so) ⊙ m').
    w = weights_of(layer)
    z = x[0, 2] @ w["kernel"] + h_old[0, 2] @ w["recurrent_kernel"] + w["bias"]
    o = ref.sigmoid(z[3 * UNITS :])
    np.testing.assert_allclose(h[0, 2], np.tanh(o * m[0, 2]), atol=1e-6)


def test_padding_nodes_change_nothing():
    layer = _layer()
    x, a, scores = _data(nodes=4)
    rng = np.random.default_rng(9)
    # Pad to 7 nodes with noise everywhere: features, edges, scores.
    x_pad = rng.normal(size=(2, 7, FEATURES)).astype("float32") * 10
    x_pad[:, :4] = x
    a_pad = np.ones((2, 7, 7), "float32")
    a_pad[:, :4, :4] = a
    s_pad = rng.normal(size=(2, 7)).astype("float32") + 100  # first
    s_pad[:, :4] = scores
    mask = np.arange(7)[None] < 4
    mask = np.repeat(mask, 2, axis=0)
    want = keras.ops.convert_to_numpy(layer(x, adjacency=a, scores=scores))
    got = keras.ops.convert_to_numpy(
        layer(x_pad, adjacency=a_pad, scores=s_pad, node_mask=mask)
    )
    np.testing.assert_allclose(got[:, :4], want, atol=1e-6)
    np.testing.assert_array_equal(got[:, 4:], 0.0)


def test_a_batch_equals_each_graph_alone():
    layer = _layer()
    x, a, scores = _data(batch=3, nodes=6)
    mask = np.arange(6)[None] < np.array([[6], [3], [5]])
    batched = keras.ops.convert_to_numpy(
        layer(x, adjacency=a, scores=scores, node_mask=mask)
    )
    for b in range(3):
        alone = keras.ops.convert_to_numpy(
            layer(
                x[b : b + 1],
                adjacency=a[b : b + 1],
                scores=scores[b : b + 1],
                node_mask=mask[b : b + 1],
            )
        )
        np.testing.assert_allclose(batched[b : b + 1], alone, atol=1e-6)


def test_order_by_scores_equals_order_by_the_equivalent_permutation():
    layer = _layer()
    x, a, scores = _data(nodes=6)
    scores[0, 3] = scores[0, 1]  # a tie: the lower index goes first
    order = ref.order_of_scores(scores).astype("int32")
    by_scores = keras.ops.convert_to_numpy(layer(x, adjacency=a, scores=scores))
    by_order = keras.ops.convert_to_numpy(layer(x, adjacency=a, order=order))
    np.testing.assert_array_equal(by_scores, by_order)
    reverse = keras.ops.convert_to_numpy(
        layer(x, adjacency=a, order=order[:, ::-1].copy())
    )
    assert np.max(np.abs(reverse - by_order)) > 1e-3  # order matters


def test_a_dense_adjacency_equals_its_edge_list():
    layer = _layer()
    x, a, scores = _data(nodes=5)
    rng = np.random.default_rng(2)
    edges, edge_mask = [], []
    for b in range(2):
        pairs = np.argwhere(a[b] != 0)
        pairs = np.concatenate([pairs, pairs[:2]])  # duplicates count once
        noise = rng.integers(0, 5, size=(3, 2))  # masked out below
        edges.append(np.concatenate([pairs, noise]))
        edge_mask.append([True] * len(pairs) + [False] * 3)
    size = max(len(e) for e in edges)
    padded = np.zeros((2, size, 2), "int32")
    mask = np.zeros((2, size), bool)
    for b in range(2):
        padded[b, : len(edges[b])] = edges[b]
        mask[b, : len(edges[b])] = edge_mask[b]
    dense = keras.ops.convert_to_numpy(layer(x, adjacency=a, scores=scores))
    listed = keras.ops.convert_to_numpy(
        layer(x, edges=padded, edge_mask=mask, scores=scores)
    )
    np.testing.assert_allclose(listed, dense, atol=1e-6)


def test_self_loops_and_weights_of_the_adjacency_are_ignored():
    layer = _layer()
    x, a, scores = _data(nodes=5)
    weighted = a * 3.5 + np.eye(5, dtype="float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x, adjacency=weighted)),
        keras.ops.convert_to_numpy(layer(x, adjacency=a)),
    )


def test_a_stack_feeds_h_as_the_next_features():
    first = _layer(return_state=True)
    second = _layer(seed=1, features=UNITS, return_state=True)
    x, a, scores = _data()
    h, m = first(x, adjacency=a, scores=scores)
    h2, m2 = second(h, adjacency=a, scores=scores, initial_state=[h, m])
    order = ref.order_of_scores(scores)
    want_h, want_m = ref.graph_lstm(weights_of(first), x, a, order=order)
    want_h2, want_m2 = ref.graph_lstm(
        weights_of(second),
        want_h,
        a,
        order=order,
        initial_state=[want_h, want_m],
    )
    np.testing.assert_allclose(_np([h2])[0], want_h2, atol=1e-5)
    np.testing.assert_allclose(_np([m2])[0], want_m2, atol=1e-5)


@pytest.mark.tensorflow_only
@pytest.mark.float64
def test_float64_gradients_with_layer_norm_and_an_initial_state():
    import tensorflow as tf

    layer = _layer(dtype="float64", use_layer_norm=True, return_state=True)
    x, a, scores = _data(nodes=4, dtype="float64")
    rng = np.random.default_rng(7)
    h0, m0 = rng.normal(size=(2, 2, 4, UNITS))
    projections = rng.normal(size=(2, 2, 4, UNITS))

    @tf.function
    def loss(x, h0, m0, *weights):
        (h, m), _ = layer.stateless_call(
            weights,
            [],
            x,
            adjacency=a,
            scores=scores,
            initial_state=[h0, m0],
        )
        return tf.reduce_sum(h * projections[0]) + tf.reduce_sum(
            m * projections[1]
        )

    values = [tf.constant(v) for v in (x, h0, m0)] + [
        v.value for v in layer.trainable_variables
    ]
    theoretical, numerical = tf.test.compute_gradient(loss, values, delta=1e-6)
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-7)


def _model(nodes, layers=2):
    features = keras.Input((nodes, FEATURES), name="features")
    adjacency = keras.Input((nodes, nodes), name="adjacency")
    scores = keras.Input((nodes,), name="scores")
    node_mask = keras.Input((nodes,), dtype="bool", name="node_mask")
    graph = {"adjacency": adjacency, "scores": scores, "node_mask": node_mask}
    h = features
    for _ in range(layers):
        h = kg.GraphLSTM(4)(h, **graph)
    logits = keras.layers.Dense(2)(h)
    return keras.Model([features, adjacency, scores, node_mask], logits)


def _task(seed=0, batch=16, nodes=6):
    # Label: whether a node has more neighbours with a positive first
    # feature than not; the node's own features do not tell.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, nodes, FEATURES)).astype("float32")
    a = _random_graph(rng, batch, nodes, p=0.3)
    np.einsum("bii->bi", a)[:] = 0
    y = (np.einsum("bij,bj->bi", a, np.sign(x[..., 0])) > 0).astype("int32")
    mask = np.ones((batch, nodes), bool)
    return [x, a, x[..., 1], mask], y


@pytest.mark.parametrize(
    "jit_compile",
    [
        pytest.param(True, marks=pytest.mark.tensorflow_only),
        "auto",
    ],
    ids=["xla", "auto"],
)
def test_trains_under_jit(jit_compile):
    # On TensorFlow `jit_compile=True` is XLA; on JAX, `fit` always jits.
    keras.utils.set_random_seed(0)
    model = _model(6)
    model.compile(
        keras.optimizers.Adam(0.05),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    inputs, y = _task()
    first = model.evaluate(inputs, y, verbose=0)
    model.fit(inputs, y, epochs=15, batch_size=16, verbose=0)
    last = model.evaluate(inputs, y, verbose=0)
    assert np.isfinite(last) and last < 0.8 * first, (first, last)


@pytest.mark.tensorflow_only
def test_one_saved_model_serves_any_graph_up_to_the_padded_size(tmp_path):
    import tensorflow as tf

    model = _model(7)
    for seed, layer in enumerate(model.layers):
        randomize(layer, seed=seed)
    path = str(tmp_path / "graph_lstm")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    rng = np.random.default_rng(0)
    for nodes, batch in ((7, 2), (3, 1), (5, 3)):
        x = np.zeros((batch, 7, FEATURES), "float32")
        x[:, :nodes] = rng.normal(size=(batch, nodes, FEATURES))
        a = np.zeros((batch, 7, 7), "float32")
        a[:, :nodes, :nodes] = _random_graph(rng, batch, nodes)
        s = rng.normal(size=(batch, 7)).astype("float32")
        mask = np.repeat(np.arange(7)[None] < nodes, batch, axis=0)
        data = [x, a, s, mask]
        got = serving.serve(data).numpy()
        np.testing.assert_allclose(got, model(data), atol=1e-5)


def test_config_round_trip():
    layer = kg.GraphLSTM(
        5,
        use_layer_norm=True,
        norm_epsilon=1e-4,
        use_bias=False,
        return_state=True,
        activation="relu",
    )
    clone = kg.GraphLSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


# --- Bad input ---------------------------------------------------------------


def _call(**overrides):
    layer = _layer()
    x, a, scores = _data()
    arguments = {"adjacency": a, "scores": scores}
    arguments.update(overrides)
    inputs = arguments.pop("inputs", x)
    arguments = {k: v for k, v in arguments.items() if v is not None}
    return layer(inputs, **arguments)


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"scores": None, "order": np.array([[0, 1, 2, 3, 3]] * 2)}, "order"),
        ({"scores": None, "order": np.array([[0, 1, 2, 3, 5]] * 2)}, "order"),
        ({"scores": None, "order": np.zeros((2, 4), "int32")}, "order"),
        ({"order": np.array([[0, 1, 2, 3, 4]] * 2)}, "scores"),
        ({"adjacency": np.zeros((2, 5, 4), "float32")}, "adjacency"),
        ({"adjacency": np.zeros((2, 4, 4), "float32")}, "adjacency"),
        ({"adjacency": None}, "adjacency"),
        (
            {
                "adjacency": None,
                "edges": np.array([[[0, 1], [1, 5]]] * 2, "int32"),
            },
            "edges",
        ),
        (
            {"edges": np.array([[[0, 1]]] * 2, "int32")},
            "adjacency",
        ),
        (
            {
                "adjacency": None,
                "edges": np.array([[[0, 1]]] * 2, "int32"),
                "edge_mask": np.ones((2, 2), bool),
            },
            "edge_mask",
        ),
        ({"scores": np.array([[0, 1, np.nan, 0, 0]] * 2)}, "scores"),
        ({"scores": np.zeros((2, 4), "float32")}, "scores"),
        ({"node_mask": np.ones((2, 4), bool)}, "node_mask"),
        ({"initial_state": [np.zeros((2, 5, UNITS), "float32")]}, "initial"),
        (
            {"initial_state": [np.zeros((2, 5, 4), "float32")] * 2},
            "initial_state",
        ),
        ({"inputs": np.zeros((2, 5, 3), "float32")}, "inputs"),
        ({"inputs": np.zeros((2, 5), "float32")}, "inputs"),
    ],
)
def test_bad_structure_raises_a_value_error_naming_it(overrides, match):
    with pytest.raises(ValueError, match=match):
        _call(**overrides)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, "units"),
        ({"units": 3, "norm_epsilon": 0}, "norm_epsilon"),
        ({"units": 3, "use_layer_norm": "yes"}, "use_layer_norm"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kg.GraphLSTM(**kwargs)


@pytest.mark.tensorflow_only
def test_a_dynamic_number_of_nodes_is_refused():
    # On JAX every traced shape is concrete: Keras builds a functional
    # model with stand-in sizes, and `jax.jit` traces the real ones.
    with pytest.raises(ValueError, match="static number of nodes"):
        kg.GraphLSTM(3)(
            keras.Input((None, FEATURES)),
            adjacency=keras.Input((None, None)),
        )


@pytest.mark.tensorflow_only
def test_under_jit_a_bad_order_computes_the_documented_result():
    # Traced values are not checked (docstring, Notes): an index outside
    # the nodes is a skipped step; a node missing from the order keeps its
    # initial state (here zero), the others are updated.
    import tensorflow as tf

    layer = _layer()
    x, a, _ = _data(batch=1)
    bad = np.array([[0, 1, 2, 3, 7]], "int32")  # node 4 missing, 7 out
    good = np.array([[0, 1, 2, 3, 4]], "int32")

    @tf.function(jit_compile=True)
    def run(order):
        return layer(x, adjacency=a, order=order)

    got = run(tf.constant(bad)).numpy()
    np.testing.assert_array_equal(got[0, 4], 0.0)
    want = ref.graph_lstm(
        weights_of(layer),
        x,
        a,
        order=[[0, 1, 2, 3]],
    )[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.any(run(tf.constant(good)).numpy()[0, 4] != 0.0)
