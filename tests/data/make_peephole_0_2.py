"""Writes `peephole_0_2.keras` and `.npz`: the 0.2 fixture of PeepholeLSTMCell.

The compatibility policy (docs/design/0008): a release that adds public
classes adds a fixture, saved by a script committed beside it;
`tests/test_saved_compat.py` loads it on every backend and checks that it
computes the outputs recorded here. Never regenerate it once released.

From the repository root, on the TensorFlow backend:

    KERAS_BACKEND=tensorflow python -m tests.data.make_peephole_0_2

The model is functional, with named inputs (`input_order` in the `.npz`)
and a dict of outputs; it uses `PeepholeLSTMCell` with non-default options
where they change the saved config or the weights, random weights, and a
right-padded mask (the first step always valid, so that every backend's
loop agrees, docs/design/0006).
"""

import pathlib

import keras
import numpy as np

import keras_gated as kg

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "peephole_0_2.keras"
NPZ_FILE = HERE / "peephole_0_2.npz"

BATCH, STEPS, FEATURES, UNITS = 3, 5, 3, 4
INPUT_ORDER = ("x", "x_mask")


def build_model():
    x = keras.Input((None, FEATURES), name="x")
    x_mask = keras.Input((None,), dtype="bool", name="x_mask")
    sequence, h, c = keras.layers.RNN(
        kg.PeepholeLSTMCell(UNITS, unit_forget_bias=False),
        return_sequences=True,
        return_state=True,
    )(x, mask=x_mask)
    outputs = {
        "rnn_peephole_lstm_cell": sequence,
        "rnn_peephole_lstm_cell_h": h,
        "rnn_peephole_lstm_cell_c": c,
        "rnn_peephole_lstm_cell_implementation_1": keras.layers.RNN(
            kg.PeepholeLSTMCell(
                UNITS,
                implementation=1,
                use_bias=False,
                activation="relu",
                dropout=0.1,
                recurrent_dropout=0.2,
                seed=3,
            ),
            go_backwards=True,
        )(x),
        "stacked_peephole_lstm_cells": keras.layers.RNN(
            [kg.PeepholeLSTMCell(3), kg.PeepholeLSTMCell(UNITS)],
            return_sequences=True,
        )(x, mask=x_mask),
    }
    return keras.Model([x, x_mask], outputs)


def make_inputs():
    rng = np.random.default_rng(1)
    lengths = np.array([5, 3, 1])
    return {
        "x": rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32"),
        "x_mask": np.arange(STEPS)[None] < lengths[:, None],
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
