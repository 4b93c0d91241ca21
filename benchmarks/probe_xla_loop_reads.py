"""XLA CPU while-loop step costs for the SRU recurrence (0005, 5.8).

Per step, `[64, 256]` states, 100 steps: an empty body; the SRU step
(the fused loop's own `_step_forward`) on constants; reading its
`[64, 1024]` input slice from a batch-major or a time-major projection
inside the consuming fusion; and reading it one step ahead into a loop
variable, as `_sru_fused_loop` does.

    python benchmarks/probe_xla_loop_reads.py
"""

import os
import statistics
import time
import types

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf

from keras_gated.layers._sru_fused_loop import _step_forward

TNP = types.SimpleNamespace(
    split=tf.split, concatenate=tf.concat, sigmoid=tf.sigmoid, tanh=tf.tanh
)
B, T, H = 64, 100, 256
P = tf.random.normal((B, T, 4 * H))
PT = tf.transpose(P, (1, 0, 2))
v = tf.random.normal((2 * H,)) * 0.1
z = tf.zeros((B, H))


def sru_step(block, c):
    _, r, c_new, g, _, highway = _step_forward(
        TNP, tf.split(block, 4, axis=-1), c, v, None, "linear"
    )
    return c_new, r * g + (1 - r) * highway


def mk(kind):
    def read(i):
        if kind == "bm":
            return P[:, i]
        if kind in ("tm", "ahead"):
            return PT[tf.minimum(i, T - 1)]
        return tf.ones((B, 4 * H))

    @tf.function(jit_compile=True, autograph=False)
    def f():
        def body(i, c, h, now):
            if kind == "empty":
                return i + 1, c * 0.5 + 1.0, h, now
            later = read(i + 1) if kind == "ahead" else now
            block = now if kind == "ahead" else read(i)
            c, h = sru_step(block, c)
            return i + 1, c, h, later

        ahead = read(0) if kind == "ahead" else tf.zeros(())
        _, c, h, _ = tf.while_loop(
            lambda i, *_: i < T,
            body,
            (tf.constant(0), z, z, ahead),
            maximum_iterations=T,
        )
        return c, h

    return f


fns = {k: mk(k) for k in ["empty", "const", "bm", "tm", "ahead"]}
for f in fns.values():
    f()
ts = {k: [] for k in fns}
for _ in range(30):
    for k, f in fns.items():
        t0 = time.perf_counter()
        f()[0].numpy()
        ts[k].append(time.perf_counter() - t0)
for k, v_ in ts.items():
    print(k, f"{statistics.median(v_) * 1e6 / T:.1f} us/step")
