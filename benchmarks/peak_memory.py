"""One training step of one layer, for its peak memory (run under a timer).

TensorFlow reports no peak for CPU memory, so the peak is that of the
process, as `/usr/bin/time -v` gives it ("Maximum resident set size").
Compare a layer with a process that builds the same model but takes no
step (`--no-step`), and with `keras.layers.LSTM`:

    /usr/bin/time -v python benchmarks/peak_memory.py kg.SRU
    /usr/bin/time -v python benchmarks/peak_memory.py keras.layers.LSTM
    /usr/bin/time -v python benchmarks/peak_memory.py kg.SRU --no-step

The shape is B=64, T=1000, I=128, H=256 (float32) unless given.
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import keras  # noqa: E402
import numpy as np  # noqa: E402
import rnn_speed  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate", choices=sorted(rnn_speed.CANDIDATES))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--no-step", action="store_true")
    args = parser.parse_args(argv)
    _, factory = rnn_speed.CANDIDATES[args.candidate]
    functions = rnn_speed._functions(
        factory, args.batch, args.steps, args.features, args.units
    )
    x = keras.ops.convert_to_tensor(
        np.random.default_rng(0).normal(
            size=(args.batch, args.steps, args.features)
        ),
        dtype="float32",
    )
    if not args.no_step:
        loss = functions["forward+backward"](x)
        loss = keras.tree.flatten(loss)[0]
        print(args.candidate, "loss", float(keras.ops.convert_to_numpy(loss)))


if __name__ == "__main__":
    main()
