"""Writes `addons_peephole.npz`: TensorFlow Addons' `PeepholeLSTMCell` numbers.

`tests/cells/test_peephole_lstm_cell.py` loads each case's weights into
`keras_gated.PeepholeLSTMCell` (same names, same order, no permutation)
and compares its outputs and final states with the ones recorded here, so
the port is checked against Addons itself, not against our reading of it.

Run it in a side environment with TensorFlow 2.15 and Addons 0.23 (the
last release; `tfa.rnn.PeepholeLSTMCell` is Keras 2.8's
`tf.keras.experimental.PeepholeLSTMCell`), from the repository root:

    python -m venv /tmp/addons && /tmp/addons/bin/pip install \
        "tensorflow-cpu==2.15.*" "tensorflow-addons==0.23.*"
    /tmp/addons/bin/python -m tests.cells.data.make_addons_peephole

TensorFlow and Addons are imported inside `main()`, so that pytest can
import this module without them. Each case records, under `<case>/`:
`weights/<k>` (the cell's weights in Addons' order, named in
`weight_names`), `x`, optional `mask` and `initial_state/<k>`, the
`keras.layers.RNN` options in `rnn_options` (JSON), the cell's
`get_config()` in `cell_config` (JSON), and the results `outputs` and
`states/<k>`.
"""

import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
NPZ_FILE = HERE / "addons_peephole.npz"

# name: (batch, steps, features, units, dtype, cell options, RNN options,
#        mask lengths or holes, initial state?)
CASES = {
    "default_u3_i4": dict(batch=2, steps=5, features=4, units=3),
    "u5_i2_mask": dict(
        batch=3,
        steps=6,
        features=2,
        units=5,
        # Right padding and a hole; the first step is always valid, so
        # every Keras loop agrees (docs/design/0006).
        mask=[
            [1, 1, 1, 1, 1, 1],
            [1, 1, 1, 0, 0, 0],
            [1, 0, 1, 1, 0, 1],
        ],
    ),
    "u4_i3_initial_state": dict(
        batch=2, steps=4, features=3, units=4, initial_state=True
    ),
    "u2_i6_go_backwards": dict(
        batch=2,
        steps=5,
        features=6,
        units=2,
        rnn={"go_backwards": True},
        initial_state=True,
    ),
    "u3_i3_no_bias": dict(
        batch=2, steps=4, features=3, units=3, cell={"use_bias": False}
    ),
    "u3_i2_relu_activation": dict(
        batch=2, steps=4, features=2, units=3, cell={"activation": "relu"}
    ),
    # Keras 2's split-kernel code path: the same numbers without dropout.
    "u3_i4_implementation_1": dict(
        batch=2, steps=3, features=4, units=3, cell={"implementation": 1}
    ),
    "u6_i5_float64": dict(
        batch=2,
        steps=7,
        features=5,
        units=6,
        dtype="float64",
        initial_state=True,
    ),
}


def main():
    import keras
    import tensorflow as tf
    import tensorflow_addons as tfa

    arrays = {
        "tensorflow_version": np.array(tf.__version__),
        "addons_version": np.array(tfa.__version__),
        "keras_version": np.array(keras.__version__),
        "cases": np.array(sorted(CASES)),
    }
    for index, (name, case) in enumerate(sorted(CASES.items())):
        rng = np.random.default_rng(index)
        dtype = case.get("dtype", "float32")
        batch, steps = case["batch"], case["steps"]
        features, units = case["features"], case["units"]
        cell_options = case.get("cell", {})
        rnn_options = {
            "return_sequences": True,
            "return_state": True,
            **case.get("rnn", {}),
        }
        cell = tfa.rnn.PeepholeLSTMCell(units, dtype=dtype, **cell_options)
        rnn = tf.keras.layers.RNN(cell, dtype=dtype, **rnn_options)
        rnn.build((None, None, features))
        weights = [
            rng.normal(scale=0.5, size=w.shape).astype(dtype)
            for w in cell.weights
        ]
        cell.set_weights(weights)
        x = rng.normal(size=(batch, steps, features)).astype(dtype)
        kwargs = {}
        if "mask" in case:
            kwargs["mask"] = tf.constant(np.array(case["mask"], bool))
        if case.get("initial_state"):
            kwargs["initial_state"] = [
                tf.constant(
                    rng.normal(scale=0.5, size=(batch, units)).astype(dtype)
                )
                for _ in range(2)
            ]
        outputs, *states = rnn(tf.constant(x), **kwargs)

        prefix = f"{name}/"
        arrays[prefix + "x"] = x
        arrays[prefix + "weight_names"] = np.array(
            [w.name.split("/")[-1].split(":")[0] for w in cell.weights]
        )
        for k, w in enumerate(weights):
            arrays[f"{prefix}weights/{k}"] = w
        if "mask" in kwargs:
            arrays[prefix + "mask"] = kwargs["mask"].numpy()
        for k, s in enumerate(kwargs.get("initial_state", [])):
            arrays[f"{prefix}initial_state/{k}"] = s.numpy()
        arrays[prefix + "outputs"] = outputs.numpy()
        for k, s in enumerate(states):
            arrays[f"{prefix}states/{k}"] = s.numpy()
        arrays[prefix + "rnn_options"] = np.array(json.dumps(rnn_options))
        arrays[prefix + "cell_config"] = np.array(json.dumps(cell.get_config()))
    np.savez_compressed(NPZ_FILE, **arrays)
    print(f"wrote {NPZ_FILE.name} ({NPZ_FILE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
