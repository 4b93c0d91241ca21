"""Node labelling on synthetic superpixel graphs, for the Graph LSTM.

The data: generated images of a background and 2 or 3 shapes (a disc, a
square, a triangle), each drawn in its class colour with strong noise, cut
into superpixels (the Voronoi regions of random seed points). Each
superpixel is a node, labelled by the class most of its pixels belong to;
two nodes are neighbours when their regions touch. A node's features are
its mean colour, its centroid and its area, so a node alone is ambiguous
(its mean colour is noisy) while its neighbours, mostly of the same
object, tell more. The update order of the Graph LSTM comes from a
confidence score, as in Liang et al. (2016): here, how far a node's colour
is from the background's (the nodes most clearly on a shape go first).

Everything is generated offline with NumPy. `make_dataset` returns padded
arrays ready for `keras.Model.fit`; `build_graph_lstm` and `build_mlp` the
two models of the notebook (a stacked Graph LSTM, and a per-node MLP that
sees no neighbours); `node_accuracy` the accuracy over real nodes; and
`labelling_figure` draws an image, its true labelling and the predicted
ones.
"""

import keras
import numpy as np

import keras_gated as kg

CLASSES = ("background", "disc", "square", "triangle")
# The mean colour of each class; pixels get noise of `NOISE` on top.
COLOURS = np.array(
    [[0.45, 0.45, 0.45], [0.75, 0.35, 0.35], [0.35, 0.7, 0.4], [0.4, 0.4, 0.75]]
)
NOISE = 0.8
# The shapes' radii, as fractions of the image size.
RADIUS = (0.22, 0.34)
FEATURES = 6  # mean colour (3), centroid (2), area (1)


def make_image(rng, size=32):
    """An image `(size, size, 3)` and its pixel labels `(size, size)`.

    2 or 3 shapes of random classes, positions and sizes on a background;
    later shapes are drawn over earlier ones.
    """
    labels = np.zeros((size, size), np.int32)
    y, x = np.mgrid[0:size, 0:size] + 0.5
    for _ in range(rng.integers(2, 4)):
        kind = int(rng.integers(1, 4))
        radius = rng.uniform(RADIUS[0], RADIUS[1]) * size
        cy, cx = rng.uniform(radius, size - radius, size=2)
        if kind == 1:
            inside = (y - cy) ** 2 + (x - cx) ** 2 <= radius**2
        elif kind == 2:
            inside = (np.abs(y - cy) <= radius * 0.85) & (
                np.abs(x - cx) <= radius * 0.85
            )
        else:  # an upward triangle
            top, bottom = cy - radius, cy + radius * 0.8
            half = (y - top) / (bottom - top) * radius
            inside = (y >= top) & (y <= bottom) & (np.abs(x - cx) <= half)
        labels[inside] = kind
    image = COLOURS[labels] + rng.normal(scale=NOISE, size=(size, size, 3))
    return image.astype("float32"), labels


def superpixels(rng, size=32, nodes=48):
    """The Voronoi regions of `nodes` random seed points: `(size, size)`."""
    seeds = rng.uniform(0, size, size=(nodes, 2))
    y, x = np.mgrid[0:size, 0:size] + 0.5
    pixels = np.stack([y.ravel(), x.ravel()], axis=1)
    distances = ((pixels[:, None, :] - seeds[None]) ** 2).sum(-1)
    return np.argmin(distances, axis=1).reshape(size, size).astype(np.int32)


def region_adjacency(segments, nodes):
    """`(nodes, nodes)` 0/1: regions that share a pixel edge (4-neighbours)."""
    adjacency = np.zeros((nodes, nodes), np.float32)
    for a, b in (
        (segments[:, :-1], segments[:, 1:]),
        (segments[:-1, :], segments[1:, :]),
    ):
        different = a != b
        adjacency[a[different], b[different]] = 1.0
        adjacency[b[different], a[different]] = 1.0
    return adjacency


def graph_of(image, labels, segments, nodes):
    """The superpixel graph of one image, padded to `nodes` nodes.

    Returns a dict of `features (nodes, FEATURES)`, `adjacency (nodes,
    nodes)`, `scores (nodes,)`, `node_mask (nodes,)` (False for a seed
    whose region holds no pixel) and `labels (nodes,)` (the majority class
    of the region's pixels; 0 for empty regions).
    """
    size = segments.shape[0]
    flat = segments.ravel()
    counts = np.bincount(flat, minlength=nodes).astype(np.float64)
    mask = counts > 0
    safe = np.maximum(counts, 1.0)
    y, x = np.mgrid[0:size, 0:size] + 0.5
    features = np.zeros((nodes, FEATURES), np.float32)
    for channel in range(3):
        sums = np.bincount(flat, image[..., channel].ravel(), nodes)
        features[:, channel] = sums / safe
    features[:, 3] = np.bincount(flat, y.ravel(), nodes) / safe / size
    features[:, 4] = np.bincount(flat, x.ravel(), nodes) / safe / size
    features[:, 5] = counts * nodes / size**2
    votes = np.zeros((nodes, len(CLASSES)))
    np.add.at(votes, (flat, labels.ravel()), 1.0)
    node_labels = np.where(mask, votes.argmax(axis=1), 0).astype(np.int32)
    adjacency = region_adjacency(segments, nodes)
    adjacency *= mask[:, None] & mask[None, :]
    distance = np.linalg.norm(features[:, :3] - COLOURS[0], axis=1)
    scores = np.where(mask, distance, -1.0).astype(np.float32)
    return {
        "features": features,
        "adjacency": adjacency,
        "scores": scores,
        "node_mask": mask,
        "labels": node_labels,
    }


def make_dataset(count, seed=0, nodes=48, size=32):
    """`count` images and their graphs, stacked into arrays.

    Returns a dict with the graph arrays of `graph_of` (a leading batch
    axis), and `images (count, size, size, 3)`, `pixel_labels` and
    `segments (count, size, size)` for drawing.
    """
    rng = np.random.default_rng(seed)
    graphs, images, pixel_labels, segment_maps = [], [], [], []
    for _ in range(count):
        image, labels = make_image(rng, size)
        segments = superpixels(rng, size, nodes)
        graphs.append(graph_of(image, labels, segments, nodes))
        images.append(image)
        pixel_labels.append(labels)
        segment_maps.append(segments)
    data = {key: np.stack([g[key] for g in graphs]) for key in graphs[0]}
    data["images"] = np.stack(images)
    data["pixel_labels"] = np.stack(pixel_labels)
    data["segments"] = np.stack(segment_maps)
    return data


INPUTS = ("features", "adjacency", "scores", "node_mask")


def model_inputs(data):
    """The model inputs of a dataset, a dict by input name."""
    return {name: data[name] for name in INPUTS}


def _inputs(nodes):
    return {
        "features": keras.Input((nodes, FEATURES), name="features"),
        "adjacency": keras.Input((nodes, nodes), name="adjacency"),
        "scores": keras.Input((nodes,), name="scores"),
        "node_mask": keras.Input((nodes,), dtype="bool", name="node_mask"),
    }


def build_graph_lstm(nodes=48, units=32, layers=2):
    """A stack of `layers` Graph LSTMs and a per-node softmax classifier.

    Each layer takes the previous layer's `h` as its node features and
    starts from its states, as in the paper; all share the graph, the
    confidence scores and the node mask. The classifier sees the last
    `h` and the node's own embedded features.
    """
    inputs = _inputs(nodes)
    graph = {
        "adjacency": inputs["adjacency"],
        "scores": inputs["scores"],
        "node_mask": inputs["node_mask"],
    }
    embedded = keras.layers.Dense(units, activation="tanh")(inputs["features"])
    h, state = embedded, None
    for _ in range(layers):
        h, m = kg.GraphLSTM(units, return_state=True)(
            h, initial_state=state, **graph
        )
        state = [h, m]
    # The classifier reads the node's own embedding beside the Graph
    # LSTM's state, so that the context is added to what the MLP sees.
    h = keras.layers.Concatenate()([h, embedded])
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax")(h)
    return keras.Model(inputs, outputs, name="graph_lstm")


def build_mlp(nodes=48, units=32):
    """The baseline: the same classifier on each node alone (no edges)."""
    inputs = _inputs(nodes)
    h = keras.layers.Dense(units, activation="relu")(inputs["features"])
    h = keras.layers.Dense(units, activation="relu")(h)
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax")(h)
    return keras.Model(inputs, outputs, name="mlp")


def compile_and_fit(
    model, data, epochs=10, batch_size=32, learning_rate=0.01, verbose=0
):
    """Trains `model` on `data` with Adam; padding nodes weigh nothing."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        jit_compile=True if keras.backend.backend() != "torch" else False,
    )
    return model.fit(
        model_inputs(data),
        data["labels"],
        sample_weight=data["node_mask"].astype("float32"),
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
    )


def predict_labels(model, data, batch_size=64):
    """The predicted class of every node, `(count, nodes)`."""
    probabilities = model.predict(
        model_inputs(data), batch_size=batch_size, verbose=0
    )
    return np.argmax(probabilities, axis=-1)


def node_accuracy(predictions, data):
    """The accuracy over the real (unmasked) nodes."""
    mask = data["node_mask"]
    return float(np.mean(predictions[mask] == data["labels"][mask]))


def labelling_figure(data, index, predictions):
    """A figure: the image, the true node labels, then each prediction.

    `predictions` maps a title to `(count, nodes)` predicted labels. Each
    labelling is drawn by colouring every superpixel with its class.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    segments = data["segments"][index]
    cmap = ListedColormap(["#dddddd", "#d62728", "#2ca02c", "#1f77b4"])
    panels = [("true labels", data["labels"][index])]
    panels += [(title, labels[index]) for title, labels in predictions.items()]
    figure, axes = plt.subplots(
        1, len(panels) + 1, figsize=(2.6 * (len(panels) + 1), 2.8)
    )
    image = data["images"][index]
    axes[0].imshow(np.clip((image - image.min()) / np.ptp(image), 0, 1))
    axes[0].set_title("image (noisy)")
    for axis, (title, labels) in zip(axes[1:], panels):
        axis.imshow(labels[segments], cmap=cmap, vmin=0, vmax=len(CLASSES) - 1)
        boundaries = np.zeros(segments.shape, bool)
        boundaries[:, 1:] |= segments[:, 1:] != segments[:, :-1]
        boundaries[1:, :] |= segments[1:, :] != segments[:-1, :]
        axis.contour(boundaries, levels=[0.5], colors="white", linewidths=0.3)
        axis.set_title(title)
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure
