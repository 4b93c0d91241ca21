"""Writes `every_class.keras` and `every_class.npz`, the save-compat fixture.

`tests/test_saved_compat.py` loads the `.keras` file saved by an earlier
version of keras_gated and checks that it computes the outputs recorded in
the `.npz`, so that a change that breaks users' saved models fails CI.

Regenerate only when the change is meant to break old files (and say so in
the release notes), from the repository root, on the TensorFlow backend:

    KERAS_BACKEND=tensorflow python -m tests.data.make_saved_models

The model uses every public class, with non-default options where they
change the saved config or the weights, random weights, and masks.
"""

import pathlib

import keras
import numpy as np

import keras_gated as kg

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "every_class.keras"
NPZ_FILE = HERE / "every_class.npz"

BATCH, STEPS, FEATURES, UNITS, SOURCE_LEN, MEMORY_DIM = 3, 5, 3, 4, 6, 5


def build_model():
    x = keras.Input((None, FEATURES), name="x")
    x_mask = keras.Input((None,), dtype="bool", name="x_mask")
    memory = keras.Input((None, MEMORY_DIM), name="memory")
    memory_mask = keras.Input((None,), dtype="bool", name="memory_mask")

    outputs = {
        "rnn_ln_lstm_cell": keras.layers.RNN(
            kg.LNLSTMCell(UNITS, carry_normalized_cell=True, norm_epsilon=1e-4),
            return_sequences=True,
        )(x, mask=x_mask),
        "rnn_ln_gru_cell": keras.layers.RNN(
            kg.LNGRUCell(UNITS, dropout=0.1, seed=3), go_backwards=True
        )(x),
        "rnn_sru_cell": keras.layers.RNN(
            kg.SRUCell(UNITS, use_layer_norm=True, activation="tanh"),
            return_sequences=True,
        )(x),
        "ln_lstm": kg.LNLSTM(
            UNITS, return_sequences=True, unit_forget_bias=False
        )(x, mask=x_mask),
        "ln_gru": kg.LNGRU(UNITS, return_sequences=True, go_backwards=True)(
            x, mask=x_mask
        ),
        "sru": kg.SRU(UNITS, return_sequences=True)(x),
        "sru_parallel_scan": kg.SRU(
            UNITS,
            use_recurrent_kernel=False,
            parallel_scan=True,
            return_sequences=True,
        )(x, mask=x_mask),
    }
    encoded, h, c = kg.LNLSTM(UNITS, return_sequences=True, return_state=True)(
        memory, mask=memory_mask
    )
    luong_outputs, luong_alignments = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            kg.LNLSTMCell(UNITS), kg.LuongAttention(use_scale=True)
        ),
        return_sequences=True,
        return_alignments=True,
    )(
        x,
        memory=encoded,
        memory_mask=memory_mask,
        initial_state=[h, c],
        mask=x_mask,
    )
    outputs["luong_decoder"] = luong_outputs
    outputs["luong_alignments"] = luong_alignments
    outputs["bahdanau_decoder"] = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            kg.SRUCell(UNITS),
            kg.BahdanauAttention(units=3, normalize=True),
            attention_units=5,
            output_attention=False,
        ),
    )(x, memory=memory, memory_mask=memory_mask)
    return keras.Model([x, x_mask, memory, memory_mask], outputs)


def make_inputs():
    rng = np.random.default_rng(1)
    lengths = np.array([5, 3, 1])
    return {
        "x": rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32"),
        "x_mask": np.arange(STEPS)[None] < lengths[:, None],
        "memory": rng.normal(size=(BATCH, SOURCE_LEN, MEMORY_DIM)).astype(
            "float32"
        ),
        "memory_mask": np.arange(SOURCE_LEN)[None] < np.array([[6], [4], [2]]),
    }


def call(model, inputs):
    outputs = model(
        [inputs["x"], inputs["x_mask"], inputs["memory"], inputs["memory_mask"]]
    )
    return {name: keras.ops.convert_to_numpy(v) for name, v in outputs.items()}


def main():
    keras.utils.set_random_seed(0)
    model = build_model()
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape).astype(w.dtype))
    inputs = make_inputs()
    outputs = call(model, inputs)
    model.save(KERAS_FILE)
    np.savez(
        NPZ_FILE,
        **{f"inputs/{k}": v for k, v in inputs.items()},
        **{f"outputs/{k}": v for k, v in outputs.items()},
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
