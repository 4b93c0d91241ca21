"""Writes `grid_0_2.keras` and `.npz`: the 0.2 fixture of the Grid cells.

The compatibility policy (docs/design/0008): a release that adds public
classes adds a fixture, saved by a script committed beside it;
`tests/test_saved_compat.py` loads it on every backend and checks that it
computes the outputs recorded here. Never regenerate it once released.

From the repository root, on the TensorFlow backend:

    KERAS_BACKEND=tensorflow python -m tests.data.make_grid_0_2

The model is functional, with named inputs (`input_order` in the `.npz`)
and a dict of outputs. It holds every public Grid class (so also each
private TF1 inner cell) with non-default options where they change the
saved config or the weights (`tied`, a non-recurrent dimension 0,
peepholes, `forget_bias`), and `GridRNNCell` with Keras and keras_gated
inner cells, several input and output dimensions and priorities; random
weights; a right-padded mask (the first step always valid, so that every
backend's loop agrees, docs/design/0006).
"""

import pathlib

import keras
import numpy as np

import keras_gated as kg

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "grid_0_2.keras"
NPZ_FILE = HERE / "grid_0_2.npz"

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 3
INPUT_ORDER = ("x", "x_mask")


def _cells():
    return {
        "grid1_basic_rnn": kg.Grid1BasicRNNCell(UNITS),
        "grid2_basic_rnn_tied_relu": kg.Grid2BasicRNNCell(
            UNITS, tied=True, non_recurrent_activation="relu"
        ),
        "grid1_basic_lstm": kg.Grid1BasicLSTMCell(UNITS, forget_bias=0.5),
        "grid2_basic_lstm": kg.Grid2BasicLSTMCell(UNITS, forget_bias=2.0),
        "grid1_lstm_peepholes": kg.Grid1LSTMCell(UNITS, use_peepholes=True),
        "grid2_lstm_peepholes_tied": kg.Grid2LSTMCell(
            UNITS, tied=True, use_peepholes=True, forget_bias=0.0
        ),
        "grid3_lstm_tanh": kg.Grid3LSTMCell(
            UNITS, non_recurrent_activation="tanh"
        ),
        "grid1_gru": kg.Grid1GRUCell(UNITS),
        "grid2_gru": kg.Grid2GRUCell(UNITS),
        "grid_rnn_ln_lstm": kg.GridRNNCell(
            UNITS,
            num_dims=3,
            input_dims=[0, 1],
            output_dims=[1, 2],
            priority_dims=[2],
            cell=kg.LNLSTMCell(UNITS, norm_epsilon=1e-4),
        ),
        "grid_rnn_gru_non_recurrent": kg.GridRNNCell(
            UNITS,
            num_dims=2,
            input_dims=0,
            output_dims=0,
            priority_dims=0,
            non_recurrent_dims=0,
            cell=keras.layers.GRUCell(UNITS, reset_after=False),
            non_recurrent_activation="sigmoid",
        ),
        "grid_rnn_peephole_lstm": kg.GridRNNCell(
            UNITS,
            num_dims=2,
            input_dims=0,
            output_dims=1,
            cell=kg.PeepholeLSTMCell(UNITS),
        ),
    }


def build_model():
    x = keras.Input((None, FEATURES), name="x")
    x_mask = keras.Input((None,), dtype="bool", name="x_mask")
    outputs = {
        name: keras.layers.RNN(cell, return_sequences=True)(x, mask=x_mask)
        for name, cell in _cells().items()
    }
    outputs["grid2_lstm_states"] = keras.layers.Concatenate()(
        keras.layers.RNN(kg.Grid2LSTMCell(UNITS), return_state=True)(x)
    )
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
