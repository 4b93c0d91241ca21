"""Speed of `RNN(kg.Grid2LSTMCell(u))` against a 2-layer stacked LSTM.

One Grid2LSTM block runs two LSTM transforms a step (time, then depth), so
its baseline is two stacked `keras.layers.LSTM(u)` of the same width. The
method is `rnn_speed.py`'s: both candidates interleaved in one process
(each repeat times each once), medians, the ratio of medians; "forward" is
a `tf.function` inference call, "forward + backward" a `tf.function`
training step (or `jax.jit` under `KERAS_BACKEND=jax`).

    python benchmarks/grid_speed.py                  # B64 T100 I128 u=256
    python benchmarks/grid_speed.py --repeats 3      # a short run
    python benchmarks/grid_speed.py --quick          # small sizes
"""

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import rnn_speed  # noqa: E402

import keras_gated as kg  # noqa: E402
from keras_gated.examples import machine  # noqa: E402

BASELINE = "2 x keras.layers.LSTM"
CANDIDATES = {
    BASELINE: (
        BASELINE,
        lambda u: keras.Sequential(
            [
                keras.layers.LSTM(u, return_sequences=True),
                keras.layers.LSTM(u),
            ]
        ),
    ),
    "RNN(kg.Grid2LSTMCell)": (
        BASELINE,
        lambda u: keras.layers.RNN(kg.Grid2LSTMCell(u)),
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", default=None, help="a JSON file to write")
    args = parser.parse_args(argv)
    if args.quick:
        shape = dict(batch=16, steps=20, features=32, units=64)
    else:
        shape = dict(batch=64, steps=100, features=128, units=256)
    repeats = args.repeats or (5 if args.quick else 15)
    print(rnn_speed.machine_description())
    results = rnn_speed.measure(CANDIDATES, repeats=repeats, **shape)
    title = "float32, " + ", ".join(f"{k}={v}" for k, v in shape.items())
    rnn_speed._print(f"{title}, {repeats} repeats", results)
    if args.out:
        report = {
            "machine": rnn_speed.machine_description(),
            "cpu": machine.cpu_model(),
            "shape": shape,
            "repeats": repeats,
            "results": results,
        }
        pathlib.Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
