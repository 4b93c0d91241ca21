"""Writes `multidim_0_2.keras` and `.npz`: the 2-D layers of keras_gated 0.2.

A compatibility fixture (docs/design/0008): a functional model with named
inputs `images` and `sizes` whose outputs are a dict, one entry per layer
and configuration, saved once by this script and never regenerated;
`tests/test_saved_compat.py` loads it on every backend and compares its
outputs with the recorded ones.

    KERAS_BACKEND=tensorflow python -m tests.data.make_multidim_0_2
"""

import pathlib

HERE = pathlib.Path(__file__).parent


def main():
    import keras
    import numpy as np

    import keras_gated as kg

    keras.utils.set_random_seed(0)
    images = keras.Input((4, 5, 2), name="images")
    sizes = keras.Input((2,), dtype="int32", name="sizes")
    layers = {
        "md_lstm_2d": kg.MDLSTM2D(3, direction="bottom_right"),
        "md_lstm_2d_halved_peepholes": kg.MDLSTM2D(
            3, direction="top_right", variant="halved", use_peepholes=True
        ),
        "md_lstm_2d_leifert_layer_norm": kg.MDLSTM2D(
            3, direction="bottom_left", variant="leifert", use_layer_norm=True
        ),
        "multi_directional": kg.MultiDirectional(
            kg.MDLSTM2D(2), merge_mode="concat"
        ),
        "multi_directional_ave": kg.MultiDirectional(
            kg.MDLSTM2D(2, variant="halved"), merge_mode="ave"
        ),
        "separable_lstm_2d": kg.SeparableLSTM2D(3, hidden_units=4),
    }
    outputs = {
        name: layer(images, sizes=sizes) for name, layer in layers.items()
    }
    model = keras.Model([images, sizes], outputs)
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape))
    data = {
        "images": rng.normal(size=(3, 4, 5, 2)).astype("float32"),
        "sizes": np.array([[4, 5], [2, 3], [4, 1]], "int32"),
    }
    order = ["images", "sizes"]
    recorded = model([data[name] for name in order])
    model.save(HERE / "multidim_0_2.keras")
    np.savez(
        HERE / "multidim_0_2.npz",
        input_order=np.array(order),
        **{f"inputs/{k}": v for k, v in data.items()},
        **{
            f"outputs/{k}": keras.ops.convert_to_numpy(v)
            for k, v in recorded.items()
        },
    )


if __name__ == "__main__":
    main()
