"""How much a float64 run amplifies a nudge of its first input.

    KERAS_BACKEND=tensorflow python benchmarks/ln_lstm_sensitivity.py

Runs each cell in `keras.layers.RNN`, in float64, at its default
initialization (seeded), over `--steps` random inputs, twice: once as is
and once with the first input nudged by `--nudge` in every feature. It
prints max |output_T - output_T'| and that divided by the nudge (the
amplification). A figure far above 1 means nearby runs diverge (a float16
run is then far from its float32 twin after many steps, for the same
reason); far below 1 means they forget the difference. The figures are
per seed: rerun with a few `--seed`s before quoting one.
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import keras_gated as kg

CELLS = {
    "keras.layers.LSTMCell": lambda u: keras.layers.LSTMCell(
        u, dtype="float64"
    ),
    "kg.LNLSTMCell": lambda u: kg.LNLSTMCell(u, dtype="float64"),
    "kg.LNLSTMCell(carry_normalized_cell)": lambda u: kg.LNLSTMCell(
        u, carry_normalized_cell=True, dtype="float64"
    ),
    "kg.LNGRUCell": lambda u: kg.LNGRUCell(u, dtype="float64"),
    "kg.SRUCell": lambda u: kg.SRUCell(u, dtype="float64"),
}


def amplification(make, steps, units, features, nudge, seed):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.RNN(make(units), dtype="float64")
    x = np.random.default_rng(seed).normal(size=(1, steps, features))
    nudged = x.copy()
    nudged[:, 0] += nudge
    change = np.max(np.abs(np.asarray(layer(nudged)) - np.asarray(layer(x))))
    return change, change / nudge


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--nudge", type=float, default=1e-7)
    parser.add_argument("--seed", type=int, nargs="*", default=[0, 1, 2])
    args = parser.parse_args(argv)
    print(
        f"T={args.steps}, units={args.units}, features={args.features}, "
        f"nudge={args.nudge:g}, float64; per seed: change at T (amplification)"
    )
    for name, make in CELLS.items():
        figures = [
            amplification(
                make, args.steps, args.units, args.features, args.nudge, seed
            )
            for seed in args.seed
        ]
        cells = "  ".join(f"{c:.1e} ({a:.1e}x)" for c, a in figures)
        print(f"{name:40s} {cells}")


if __name__ == "__main__":
    main()
