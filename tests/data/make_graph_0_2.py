"""Writes `graph_0_2.keras` and `graph_0_2.npz`, the Graph LSTM's fixture.

The save-compat fixture of the classes new in keras_gated 0.2's graph
family (docs/design/0008): `tests/test_saved_compat.py` loads the `.keras`
file and checks that it computes the outputs recorded in the `.npz`
(`input_order`, `inputs/<name>`, `outputs/<name>`). Never regenerate it
unless a change is meant to break saved files. From the repository root:

    KERAS_BACKEND=tensorflow python -m tests.data.make_graph_0_2

The model stacks two `GraphLSTM`s with non-default options (layer norm,
no bias, `return_state`, an initial state), one reading a dense adjacency
and confidence scores, the other an edge list with a mask and an explicit
permutation, with padding nodes.
"""

import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "graph_0_2.keras"
NPZ_FILE = HERE / "graph_0_2.npz"

BATCH, NODES, FEATURES, UNITS, EDGES = 2, 5, 3, 4, 12
INPUT_ORDER = (
    "features",
    "adjacency",
    "scores",
    "edges",
    "edge_mask",
    "order",
    "node_mask",
)


def build_model():
    import keras

    import keras_gated as kg

    inputs = {
        "features": keras.Input((NODES, FEATURES), name="features"),
        "adjacency": keras.Input((NODES, NODES), name="adjacency"),
        "scores": keras.Input((NODES,), name="scores"),
        "edges": keras.Input((EDGES, 2), dtype="int32", name="edges"),
        "edge_mask": keras.Input((EDGES,), dtype="bool", name="edge_mask"),
        "order": keras.Input((NODES,), dtype="int32", name="order"),
        "node_mask": keras.Input((NODES,), dtype="bool", name="node_mask"),
    }
    h1, m1 = kg.GraphLSTM(
        UNITS, use_layer_norm=True, norm_epsilon=1e-4, return_state=True
    )(
        inputs["features"],
        adjacency=inputs["adjacency"],
        scores=inputs["scores"],
        node_mask=inputs["node_mask"],
    )
    h2 = kg.GraphLSTM(
        UNITS, use_bias=False, unit_forget_bias=False, activation="softsign"
    )(
        h1,
        edges=inputs["edges"],
        edge_mask=inputs["edge_mask"],
        order=inputs["order"],
        node_mask=inputs["node_mask"],
        initial_state=[h1, m1],
    )
    outputs = {"h1": h1, "m1": m1, "h2": h2}
    return keras.Model([inputs[n] for n in INPUT_ORDER], outputs)


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    adjacency = (rng.random((BATCH, NODES, NODES)) < 0.5).astype("float32")
    adjacency = np.maximum(adjacency, np.transpose(adjacency, (0, 2, 1)))
    edges = rng.integers(0, NODES, size=(BATCH, EDGES, 2)).astype("int32")
    edge_mask = rng.random((BATCH, EDGES)) < 0.7
    return {
        "features": rng.normal(size=(BATCH, NODES, FEATURES)).astype("float32"),
        "adjacency": adjacency,
        "scores": rng.normal(size=(BATCH, NODES)).astype("float32"),
        "edges": edges,
        "edge_mask": edge_mask,
        "order": np.stack(
            [rng.permutation(NODES) for _ in range(BATCH)]
        ).astype("int32"),
        "node_mask": np.array([[True] * NODES, [True] * 3 + [False] * 2]),
    }


def main():
    import keras

    model = build_model()
    rng = np.random.default_rng(1)
    for w in model.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape).astype(w.dtype))
    inputs = make_inputs()
    outputs = model([inputs[n] for n in INPUT_ORDER])
    model.save(KERAS_FILE)
    arrays = {"input_order": np.array(INPUT_ORDER)}
    arrays.update({f"inputs/{k}": v for k, v in inputs.items()})
    arrays.update(
        {
            f"outputs/{k}": keras.ops.convert_to_numpy(v)
            for k, v in outputs.items()
        }
    )
    np.savez(NPZ_FILE, **arrays)
    print(f"wrote {KERAS_FILE} and {NPZ_FILE}")


if __name__ == "__main__":
    main()
