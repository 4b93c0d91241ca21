"""Where the time of an LN-LSTM forward pass goes, on this machine.

Times, interleaved in one process, `keras.layers.LSTM`, `kg.LNLSTM`, and the
same `kg.LNLSTM` loop with its in-loop layer norms removed one by one, plus
the matrix products alone (the roofline: no LSTM of these sizes can be
faster than its matrix products). Prints medians and ratios to
`keras.layers.LSTM`.

    python benchmarks/profile_ln_lstm.py
"""

import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import keras_gated as kg
from keras_gated._compat import rnn
from keras_gated._layer_norm import layer_norm

BATCH, STEPS, FEATURES, UNITS = 64, 100, 128, 256


def _plain_lstm_step(cell, x_t, states):
    """The LSTM step with the same weights and no layer norm at all."""
    h, c = states
    z = x_t @ cell.kernel + h @ cell.recurrent_kernel + cell.bias
    i, f, g, o = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    h = tf.sigmoid(o) * tf.tanh(c)
    return h, [h, c]


def main(repeats=25):
    x = tf.random.normal((BATCH, STEPS, FEATURES), seed=0)
    lstm = keras.layers.LSTM(UNITS)
    lstm.build(x.shape)
    layer = kg.LNLSTM(UNITS)
    layer.build(x.shape)
    cell = layer.cell
    initial = cell.get_initial_state(BATCH)

    def ln_lstm_loop(norm_recurrent, norm_cell):
        def step(x_t, states):
            h, c = states
            z = cell.project(x_t) + (
                layer_norm(
                    h @ cell.recurrent_kernel,
                    cell.recurrent_norm_gamma,
                    cell.recurrent_norm_beta,
                    cell.norm_epsilon,
                )
                if norm_recurrent
                else h @ cell.recurrent_kernel
            )
            i, f, g, o = tf.split(z, 4, axis=-1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            c_out = (
                layer_norm(c, cell.state_norm_gamma, cell.state_norm_beta, 1e-3)
                if norm_cell
                else c
            )
            h = tf.sigmoid(o) * tf.tanh(c_out)
            return h, [h, c]

        return lambda x: rnn(step, x, initial, input_length=STEPS)[0]

    def matmuls_only(x):
        projected = tf.reshape(x, (-1, FEATURES)) @ cell.kernel

        def step(x_t, states):
            h = tf.tanh((states[0] @ cell.recurrent_kernel)[:, :UNITS])
            return h, [h]

        loop = rnn(step, x, [initial[0]], input_length=STEPS)[0]
        return loop + tf.reduce_sum(projected[:1, :UNITS])

    candidates = {
        "keras.layers.LSTM": lambda x: lstm(x),
        "kg.LNLSTM": lambda x: layer(x),
        "kg.LNLSTM without LN(h U)": ln_lstm_loop(False, True),
        "kg.LNLSTM without LN(c)": ln_lstm_loop(True, False),
        "kg.LNLSTM without both": ln_lstm_loop(False, False),
        "kg.LNLSTM without any LN": lambda x: rnn(
            lambda x_t, s: _plain_lstm_step(cell, x_t, s),
            x,
            initial,
            input_length=STEPS,
        )[0],
        "matrix products only": matmuls_only,
    }
    functions = {name: tf.function(f) for name, f in candidates.items()}
    times = {name: [] for name in functions}
    for function in functions.values():
        function(x).numpy()
        function(x).numpy()
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function(x).numpy()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["keras.layers.LSTM"])
    flops = 2 * BATCH * STEPS * (FEATURES + UNITS) * 4 * UNITS
    print(
        f"B={BATCH} T={STEPS} I={FEATURES} H={UNITS}, forward, "
        f"{repeats} repeats"
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:28s} {median * 1e3:8.1f} ms  {median / base:5.2f}x")
    products = statistics.median(times["matrix products only"])
    print(
        f"LSTM matrix products: {flops / 1e9:.2f} GFLOP, "
        f"{flops / products / 1e9:.0f} GFLOP/s when run alone"
    )


if __name__ == "__main__":
    main()
