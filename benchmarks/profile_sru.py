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
projection = tf.Variable(cell.project(x))
zeros = tf.zeros((B, H))


def loop(save):
    return F.sru_loop(
        projection,
        zeros,
        zeros,
        recurrent_kernel=cell.recurrent_kernel,
        activation="linear",
        return_sequences=False,
        save=save,
    )[0]


def training_step(layer):
    @tf.function
    def step():
        with tf.GradientTape() as tape:
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * y)
        return tape.gradient(loss, layer.trainable_variables)

    return step


@tf.function
def loop_fb():
    with tf.GradientTape() as tape:
        out = loop(save=True)
        loss = tf.reduce_sum(out * out)
    return tape.gradient(loss, [projection, cell.recurrent_kernel])


flat_x = tf.reshape(x, (-1, I))
d_projection = tf.random.normal((B * T, 4 * H))
fns = {
    "lstm": tf.function(lambda: lstm(x, training=False)),
    "sru": tf.function(lambda: sru(x, training=False)),
    "project": tf.function(lambda: cell.project(x)),
    "matmul2d": tf.function(lambda: tf.matmul(flat_x, cell.kernel)),
    "loop": tf.function(lambda: loop(save=False)),
    "lstm_fb": training_step(lstm),
    "sru_fb": training_step(sru),
    "loop_fb": loop_fb,
    "dw": tf.function(
        lambda: tf.matmul(flat_x, d_projection, transpose_a=True)
    ),
}
for f in fns.values():
    f()
    f()
times = {k: [] for k in fns}
for _ in range(15):
    for k, f in fns.items():
        t0 = time.perf_counter()
        tf.nest.map_structure(lambda a: a.numpy(), f())
        times[k].append(time.perf_counter() - t0)
med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
for k, v in med.items():
    print(
        f"{k:10s} {v:7.2f} ms  /lstm {v / med['lstm']:.3f}  "
        f"/lstm_fb {v / med['lstm_fb']:.3f}"
    )
