"""Writes `tree_0_2.keras` and `.npz`: the 0.2 fixture of the Tree-LSTMs.

The compatibility policy (docs/design/0008): a release that adds public
classes adds a fixture, saved by a script committed beside it;
`tests/test_saved_compat.py` loads it on every backend and checks that it
computes the outputs recorded here. Never regenerate it once released.

From the repository root, on the TensorFlow backend:

    KERAS_BACKEND=tensorflow python -m tests.data.make_tree_0_2

The model is functional, with named inputs (`input_order` in the `.npz`)
and a dict of outputs; it uses `ChildSumTreeLSTM` and `NaryTreeLSTM` with
non-default options where they change the saved config or the weights
(layer norm, no bias, `return_state`, the arity), random weights, padded
trees given both as parent and as children indices, and a node mask.
"""

import pathlib

import keras
import numpy as np

import keras_gated as kg

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "tree_0_2.keras"
NPZ_FILE = HERE / "tree_0_2.npz"

BATCH, NODES, FEATURES, UNITS, ARITY = 3, 6, 3, 4, 2
INPUT_ORDER = ("x", "parents", "children", "node_mask")


def build_model():
    x = keras.Input((NODES, FEATURES), name="x")
    parents = keras.Input((NODES,), dtype="int32", name="parents")
    children = keras.Input((NODES, ARITY), dtype="int32", name="children")
    node_mask = keras.Input((NODES,), dtype="bool", name="node_mask")
    h, root_h, c, root_c = kg.ChildSumTreeLSTM(
        UNITS, max_depth=4, return_state=True, unit_forget_bias=False
    )(x, parents=parents, node_mask=node_mask)
    ln_h, ln_root = kg.ChildSumTreeLSTM(
        UNITS, max_depth=5, use_layer_norm=True, norm_epsilon=1e-4
    )(x, children=children, node_mask=node_mask)
    nary_h, nary_root = kg.NaryTreeLSTM(
        UNITS, arity=ARITY, max_depth=4, use_bias=False
    )(x, children=children, node_mask=node_mask)
    nary_ln = kg.NaryTreeLSTM(
        UNITS,
        arity=ARITY,
        max_depth=4,
        use_layer_norm=True,
        return_state=True,
        activation="relu",
    )(x, parents=parents, node_mask=node_mask)
    outputs = {
        "child_sum_h": h,
        "child_sum_root_h": root_h,
        "child_sum_c": c,
        "child_sum_root_c": root_c,
        "child_sum_ln_h": ln_h,
        "child_sum_ln_root_h": ln_root,
        "nary_h": nary_h,
        "nary_root_h": nary_root,
        "nary_ln_h": nary_ln[0],
        "nary_ln_root_c": nary_ln[3],
    }
    return keras.Model([x, parents, children, node_mask], outputs)


def make_inputs():
    rng = np.random.default_rng(1)
    # Binary trees: 0(1(3, 4), 2(5)); 2(0, 1(3)) with 4, 5 padding; 0(1).
    parents = np.array(
        [[-1, 0, 0, 1, 1, 2], [2, 2, -1, 1, -1, -1], [-1, 0, -1, -1, -1, -1]]
    )
    mask = np.array(
        [[True] * 6, [True] * 4 + [False] * 2, [True] * 2 + [False] * 4]
    )
    children = np.full((BATCH, NODES, ARITY), -1)
    for b in range(BATCH):
        filled = np.zeros(NODES, int)
        for n in range(NODES):
            if mask[b, n] and parents[b, n] != -1:
                children[b, parents[b, n], filled[parents[b, n]]] = n
                filled[parents[b, n]] += 1
    return {
        "x": rng.normal(size=(BATCH, NODES, FEATURES)).astype("float32"),
        "parents": parents.astype("int32"),
        "children": children.astype("int32"),
        "node_mask": mask,
    }


def main():
    keras.utils.set_random_seed(0)
    model = build_model()
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape).astype(w.dtype))
    inputs = make_inputs()
    outputs = model([inputs[name] for name in INPUT_ORDER])
    model.save(KERAS_FILE)
    np.savez(
        NPZ_FILE,
        input_order=np.array(INPUT_ORDER),
        **{f"inputs/{k}": v for k, v in inputs.items()},
        **{
            f"outputs/{k}": keras.ops.convert_to_numpy(v)
            for k, v in outputs.items()
        },
        keras_gated_version=np.array(kg.__version__),
        keras_version=np.array(keras.__version__),
        backend=np.array(keras.backend.backend()),
    )
    print(
        f"wrote {KERAS_FILE.name} ({KERAS_FILE.stat().st_size} bytes), "
        f"{NPZ_FILE.name}"
    )


if __name__ == "__main__":
    main()
