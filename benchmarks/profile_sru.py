"""Where kg.SRU's time goes on TensorFlow (docs/design/0005, 5.8).

Times, interleaved in one process (medians of 15): keras.layers.LSTM and
kg.SRU forward and forward+backward, the SRU's projection, a plain 2-D
product of the same size, the fused loop alone, the fused loop with its
backward, and the weight-gradient product. B64 T100 I128 H256, float32.

    python benchmarks/profile_sru.py
    taskset -c 0 python benchmarks/profile_sru.py   # one core
"""

import os
import statistics
import time

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras
import tensorflow as tf

import keras_gated as kg
from keras_gated.layers import _sru_fused_loop as F

B, T, I, H = 64, 100, 128, 256
x = tf.random.normal((B, T, I))
lstm = keras.layers.LSTM(H)
lstm(x)
sru = kg.SRU(H)
sru(x)
cell = sru.cell
W = cell.kernel
print(W.shape, cell.has_highway_projection)
proj = cell.project(x)
z = tf.zeros((B, H))
fns = {
    "lstm": tf.function(lambda: lstm(x, training=False)),
    "sru": tf.function(lambda: sru(x, training=False)),
    "project": tf.function(lambda: cell.project(x)),
    "matmul2d": tf.function(lambda: tf.matmul(tf.reshape(x, (-1, I)), W)),
    "loop": tf.function(
        lambda: F.sru_loop(
            proj,
            z,
            z,
            recurrent_kernel=cell.recurrent_kernel,
            activation="linear",
            return_sequences=False,
            save=False,
        )
    ),
}


def grad_step(layer):
    vars_ = layer.trainable_variables

    @tf.function
    def f():
        with tf.GradientTape() as t:
            y = layer(x, training=True)
            l = tf.reduce_sum(y * y)
        g = t.gradient(l, vars_)
        return g

    return f


fns["lstm_fb"] = grad_step(lstm)
fns["sru_fb"] = grad_step(sru)
for f in fns.values():
    f()
    f()
times = {k: [] for k in fns}
for _r in range(15):
    for k, f in fns.items():
        t0 = time.perf_counter()
        out = f()
        tf.nest.map_structure(
            lambda a: a.numpy() if hasattr(a, "numpy") else a, out
        )
        times[k].append(time.perf_counter() - t0)
med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
for k, v in med.items():
    print(
        f"{k:10s} {v:7.2f} ms  /lstm {v / med['lstm']:.3f}  "
        f"/lstm_fb {v / med['lstm_fb']:.3f}"
    )
# backward pieces
projv = tf.Variable(proj)


@tf.function
def loop_fb():
    with tf.GradientTape() as t:
        t.watch(projv)
        o = F.sru_loop(
            projv,
            z,
            z,
            recurrent_kernel=cell.recurrent_kernel,
            activation="linear",
            return_sequences=False,
            save=True,
        )[0]
        l = tf.reduce_sum(o * o)
    return t.gradient(l, [projv, cell.recurrent_kernel])


xf = tf.reshape(x, (-1, I))
dP = tf.random.normal((B * T, 4 * H))
dw = tf.function(lambda: tf.matmul(xf, dP, transpose_a=True))
for f in (loop_fb, dw):
    f()
    f()
tt = {"loop_fb": [], "dw": []}
for _r in range(15):
    for k, f in (("loop_fb", loop_fb), ("dw", dw)):
        t0 = time.perf_counter()
        o = f()
        tf.nest.map_structure(lambda a: a.numpy(), o)
        tt[k].append(time.perf_counter() - t0)
for k, v in tt.items():
    print(k, statistics.median(v) * 1e3, "ms")
