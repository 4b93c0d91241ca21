"""The superpixel-graph example: data, graphs, models, accuracy, figure."""

import keras
import numpy as np
import pytest

from keras_gated.examples import superpixel_graphs as sg

NODES, SIZE = 16, 16


@pytest.fixture(scope="module")
def data():
    return sg.make_dataset(6, seed=0, nodes=NODES, size=SIZE)


def test_the_dataset_has_the_documented_shapes(data):
    assert data["features"].shape == (6, NODES, sg.FEATURES)
    assert data["adjacency"].shape == (6, NODES, NODES)
    for key in ("scores", "node_mask", "labels"):
        assert data[key].shape == (6, NODES), key
    assert data["images"].shape == (6, SIZE, SIZE, 3)
    assert data["segments"].shape == data["pixel_labels"].shape
    assert data["node_mask"].dtype == bool


def test_it_is_deterministic_by_seed(data):
    again = sg.make_dataset(6, seed=0, nodes=NODES, size=SIZE)
    other = sg.make_dataset(6, seed=1, nodes=NODES, size=SIZE)
    for key in data:
        np.testing.assert_array_equal(again[key], data[key])
    assert not np.array_equal(other["images"], data["images"])


def test_every_image_holds_a_background_and_shapes(data):
    for labels in data["pixel_labels"]:
        present = set(np.unique(labels).tolist())
        assert 0 in present and present - {0}


def test_node_labels_are_the_majority_of_their_pixels(data):
    for b in range(6):
        segments, pixels = data["segments"][b], data["pixel_labels"][b]
        for node in range(NODES):
            region = segments == node
            assert data["node_mask"][b, node] == region.any()
            if region.any():
                counts = np.bincount(pixels[region], minlength=4)
                assert data["labels"][b, node] == counts.argmax()
                np.testing.assert_allclose(
                    data["features"][b, node, :3],
                    data["images"][b][region].mean(axis=0),
                    rtol=1e-5,
                )


def test_neighbours_are_regions_that_touch(data):
    for b in range(6):
        segments, adjacency = data["segments"][b], data["adjacency"][b]
        np.testing.assert_array_equal(adjacency, adjacency.T)
        assert np.all(np.diag(adjacency) == 0)
        touching = set()
        for y in range(SIZE):
            for x in range(SIZE):
                for dy, dx in ((0, 1), (1, 0)):
                    if y + dy < SIZE and x + dx < SIZE:
                        a, c = segments[y, x], segments[y + dy, x + dx]
                        if a != c:
                            touching |= {(a, c), (c, a)}
        assert {tuple(p) for p in np.argwhere(adjacency)} == touching


def test_scores_rank_the_real_nodes_first(data):
    mask = data["node_mask"]
    assert data["scores"][mask].min() >= 0
    assert np.all(data["scores"][~mask] == -1.0)


@pytest.mark.parametrize("build", [sg.build_graph_lstm, sg.build_mlp])
def test_the_models_train_and_predict_every_node(data, build):
    keras.utils.set_random_seed(0)
    model = build(NODES, 8)
    history = sg.compile_and_fit(model, data, epochs=2, batch_size=3)
    assert np.all(np.isfinite(history.history["loss"]))
    predictions = sg.predict_labels(model, data)
    assert predictions.shape == (6, NODES)
    accuracy = sg.node_accuracy(predictions, data)
    mask = data["node_mask"]
    assert accuracy == np.mean(predictions[mask] == data["labels"][mask])


def test_the_graph_lstm_model_is_a_stack_of_graph_lstms():
    import keras_gated as kg

    model = sg.build_graph_lstm(NODES, 8, layers=2)
    assert sum(isinstance(l, kg.GraphLSTM) for l in model.layers) == 2
    mlp = sg.build_mlp(NODES, 8)
    assert not any(isinstance(l, kg.GraphLSTM) for l in mlp.layers)


def test_node_accuracy_counts_only_real_nodes():
    data = {
        "node_mask": np.array([[True, True, False]]),
        "labels": np.array([[1, 2, 3]]),
    }
    assert sg.node_accuracy(np.array([[1, 0, 3]]), data) == 0.5


def test_the_figure_has_a_panel_per_labelling(data):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    predictions = {"a": data["labels"], "b": np.zeros_like(data["labels"])}
    figure = sg.labelling_figure(data, 0, predictions)
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["image (noisy)", "true labels", "a", "b"]
    plt.close(figure)
