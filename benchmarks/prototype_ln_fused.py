"""Go/no-go probe for fused LN-LSTM / LN-GRU loops (issue 17, item 2).

A prototype of the forward loop of each layer-normalized layer, without
masks, compiled as one XLA while loop (`tf.function(jit_compile=True)`,
static `maximum_iterations`, each step's precomputed `LN(x W)` read one
iteration ahead into loop variables, statistics in one pass:
`var = E[z²] − E[z]²`), timed interleaved against `keras.layers.LSTM` /
`GRU` and today's `kg.LNLSTM` / `kg.LNGRU`, forward only. A forward that
cannot reach the target alone cannot with a backward either.

    python benchmarks/prototype_ln_fused.py [--repeats N]

TensorFlow only; B64 T100 I128 H256 float32.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gated as kg  # noqa: E402
from keras_gated.examples import machine  # noqa: E402

EPS = 1e-3


def _ln(z, gamma, beta):
    mean = tf.reduce_mean(z, -1, keepdims=True)
    var = tf.reduce_mean(z * z, -1, keepdims=True) - mean * mean
    return (z - mean) * tf.math.rsqrt(var + EPS) * gamma + beta


def ln_lstm_forward(layer):
    cell = layer.cell
    u = cell.units

    @tf.function(jit_compile=True)
    def loop(xw, kernel_h, gh, bh, gc, bc, bias):
        steps = xw.shape[1]
        c = h = tf.zeros((xw.shape[0], u))

        def body(i, h, c, now):
            later = xw[:, tf.minimum(i + 1, steps - 1)]
            z = now + _ln(tf.matmul(h, kernel_h), gh, bh) + bias
            zi, zf, zg, zo = tf.split(z, 4, -1)
            c = tf.sigmoid(zf) * c + tf.sigmoid(zi) * tf.tanh(zg)
            h = tf.sigmoid(zo) * tf.tanh(_ln(c, gc, bc))
            return i + 1, h, c, later

        return tf.while_loop(
            lambda i, *_: i < steps,
            body,
            (0, h, c, xw[:, 0]),
            maximum_iterations=steps,
        )[1]

    return loop


def ln_gru_forward(layer):
    cell = layer.cell
    u = cell.units

    @tf.function(jit_compile=True)
    def loop(xw, kernel_h, gh, bh, bias):
        steps = xw.shape[1]
        h = tf.zeros((xw.shape[0], u))
        bz, br, bhh = tf.split(bias, 3)

        def body(i, h, now):
            later = xw[:, tf.minimum(i + 1, steps - 1)]
            xz, xr, xh = tf.split(now, 3, -1)
            hz, hr, hh = tf.split(_ln(tf.matmul(h, kernel_h), gh, bh), 3, -1)
            z = tf.sigmoid(xz + hz + bz)
            r = tf.sigmoid(xr + hr + br)
            cand = tf.tanh(xh + r * hh + bhh)
            return i + 1, z * h + (1 - z) * cand, later

        return tf.while_loop(
            lambda i, *_: i < steps,
            body,
            (0, h, xw[:, 0]),
            maximum_iterations=steps,
        )[1]

    return loop


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    b, t, i, u = 64, 100, 128, 256
    x = tf.constant(
        np.random.default_rng(0).normal(size=(b, t, i)).astype("float32")
    )
    layers = {
        "keras.layers.LSTM": keras.layers.LSTM(u),
        "keras.layers.GRU": keras.layers.GRU(u),
        "kg.LNLSTM": kg.LNLSTM(u),
        "kg.LNGRU": kg.LNGRU(u),
    }
    for layer in layers.values():
        layer(x)
    lstm_cell, gru_cell = layers["kg.LNLSTM"].cell, layers["kg.LNGRU"].cell
    lstm_loop = ln_lstm_forward(layers["kg.LNLSTM"])
    gru_loop = ln_gru_forward(layers["kg.LNGRU"])
    functions = {
        name: tf.function(lambda layer=layer: layer(x))
        for name, layer in layers.items()
    }

    @tf.function
    def lstm_proto():
        xw = lstm_cell.project(x)
        return lstm_loop(
            xw,
            lstm_cell.recurrent_kernel.value,
            lstm_cell.recurrent_norm_gamma.value,
            lstm_cell.recurrent_norm_beta.value,
            lstm_cell.state_norm_gamma.value,
            lstm_cell.state_norm_beta.value,
            tf.zeros((4 * u,)),
        )

    @tf.function
    def gru_proto():
        xw = gru_cell.project(x)
        return gru_loop(
            xw,
            gru_cell.recurrent_kernel.value,
            gru_cell.recurrent_norm_gamma.value,
            gru_cell.recurrent_norm_beta.value,
            tf.zeros((3 * u,)),
        )

    functions["prototype LN-LSTM (XLA loop)"] = lstm_proto
    functions["prototype LN-GRU (XLA loop)"] = gru_proto
    times = {name: [] for name in functions}
    for function in functions.values():
        function()
        function()
    for _ in range(args.repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function().numpy()
            times[name].append(time.perf_counter() - start)
    print(machine.cpu_model(), os.cpu_count(), "cores, TF", tf.__version__)
    med = {n: statistics.median(s) for n, s in times.items()}
    for name, value in med.items():
        base = "keras.layers.GRU" if "GRU" in name else "keras.layers.LSTM"
        print(
            f"{name:30s} forward {value * 1e3:8.1f} ms "
            f"{value / med[base]:5.2f}x of {base}"
        )


if __name__ == "__main__":
    main()
