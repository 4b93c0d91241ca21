"""XLA CPU while-loop step costs for the SRU recurrence (0005, 5.8).

Per step, `[64, 256]` states, 100 steps: an empty body, the SRU step on
constants, and the step reading its `[64, 1024]` input slice from a
batch-major or a time-major projection inside the consuming fusion.

    python benchmarks/probe_xla_loop_reads.py
"""

import os
import statistics
import time

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf

B, T, H = 64, 100, 256
P = tf.random.normal((B, T, 4 * H))
PT = tf.transpose(P, (1, 0, 2))
v = tf.random.normal((2 * H,)) * 0.1
z = tf.zeros((B, H))


def mk(kind):
    @tf.function(jit_compile=True, autograph=False)
    def f(P, PT, v):
        vf, vr = tf.split(v, 2)

        def body(i, c, h):
            if kind == "empty":
                return i + 1, c * 0.5 + 1.0, h
            if kind == "bm":
                blk = P[:, i]
            elif kind == "tm":
                blk = PT[i]
            else:
                blk = tf.ones((B, 4 * H))
            xt, zf, zr, hw = tf.split(blk, 4, axis=-1)
            f_ = tf.sigmoid(zf + vf * c)
            r = tf.sigmoid(zr + vr * c)
            cn = f_ * c + (1 - f_) * xt
            hn = r * cn + (1 - r) * hw
            return i + 1, cn, hn

        _, c, h = tf.while_loop(
            lambda i, *_: i < T,
            body,
            (tf.constant(0), z, z),
            maximum_iterations=T,
        )
        return c, h

    return f


fns = {k: mk(k) for k in ["empty", "const", "bm", "tm"]}
for f in fns.values():
    f(P, PT, v)
ts = {k: [] for k in fns}
for _r in range(30):
    for k, f in fns.items():
        t0 = time.perf_counter()
        o = f(P, PT, v)
        o[0].numpy()
        ts[k].append(time.perf_counter() - t0)
for k, v_ in ts.items():
    print(k, f"{statistics.median(v_) * 1e6 / T:.1f} us/step")
