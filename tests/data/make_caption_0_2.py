"""Writes `caption_0_2.keras` and `caption_0_2.npz`, the 0.2 captioning fixture.

The save-compat fixture of the classes and options keras_gated 0.2 adds
for image captioning (docs/design/0008, 0009): `MemoryInitialState` and
an `AttentionDecoder` whose cell has `wiring="show_attend_tell"`, with the
context gate, the context output and the penalty option, over a memory
with a mask. `tests/test_saved_compat.py` loads the `.keras` file and
checks that it computes the outputs recorded in the `.npz`.

Never regenerate it once released; from the repository root, on the
TensorFlow backend:

    KERAS_BACKEND=tensorflow python -m tests.data.make_caption_0_2
"""

import pathlib

import keras
import numpy as np

import keras_gated as kg

HERE = pathlib.Path(__file__).parent
KERAS_FILE = HERE / "caption_0_2.keras"
NPZ_FILE = HERE / "caption_0_2.npz"

BATCH, STEPS, FEATURES, UNITS, REGIONS, CHANNELS = 3, 4, 3, 4, 6, 5
INPUT_ORDER = ("words", "words_mask", "regions", "regions_mask")


def build_model():
    words = keras.Input((None, FEATURES), name="words")
    words_mask = keras.Input((None,), dtype="bool", name="words_mask")
    regions = keras.Input((None, CHANNELS), name="regions")
    regions_mask = keras.Input((None,), dtype="bool", name="regions_mask")

    h0, c0 = kg.MemoryInitialState(UNITS, num_states=2)(
        regions, memory_mask=regions_mask
    )
    (gru_h0,) = kg.MemoryInitialState(
        UNITS, num_states=1, activation="relu", use_bias=False
    )(regions, memory_mask=regions_mask)
    outputs, alignments = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            kg.LNLSTMCell(UNITS),
            kg.BahdanauAttention(units=3, normalize=True),
            wiring="show_attend_tell",
            context_gate=True,
            output_context=True,
        ),
        return_sequences=True,
        return_alignments=True,
        attention_penalty=0.5,
        attention_penalty_reduction="mean_over_positions",
    )(
        words,
        memory=regions,
        memory_mask=regions_mask,
        initial_state=[h0, c0],
        mask=words_mask,
    )
    luong = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            kg.LNGRUCell(UNITS),
            kg.LuongAttention(use_scale=True),
            wiring="show_attend_tell",
        ),
        return_sequences=False,
    )(words, memory=regions, memory_mask=regions_mask, initial_state=[gru_h0])
    return keras.Model(
        [words, words_mask, regions, regions_mask],
        {
            "initial_h": h0,
            "initial_c": c0,
            "show_attend_tell": outputs,
            "show_attend_tell_alignments": alignments,
            "show_attend_tell_luong_gru": luong,
        },
    )


def make_inputs():
    rng = np.random.default_rng(1)
    return {
        "words": rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32"),
        "words_mask": np.arange(STEPS)[None] < np.array([[4], [2], [1]]),
        "regions": rng.normal(size=(BATCH, REGIONS, CHANNELS)).astype(
            "float32"
        ),
        "regions_mask": np.arange(REGIONS)[None] < np.array([[6], [3], [1]]),
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
