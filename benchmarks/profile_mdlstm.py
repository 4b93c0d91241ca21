"""Where MDLSTM2D's static diagonals spend their forward time on JAX.

Profiles the jitted forward of `kg.MDLSTM2D(32, unroll=True)` (batch 16,
8 channels, 32x32, float32, as in `mdlstm_speed.py`) with `jax.profiler`
and prints, per kind of XLA kernel, the time per call and how many run,
then the time of one long and one short diagonal's product, and a chain
of `tanh` against a chain of `1 / (1 + x^2)` over one diagonal's gate
shape (the cost of any element-wise fusion here). benchmarks/README.md
("MDLSTM2D") quotes it.

    python benchmarks/profile_mdlstm.py
"""

import collections
import glob
import gzip
import json
import os
import pathlib
import re
import statistics
import sys
import tempfile
import time

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import jax
import jax.numpy as jnp
import keras
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import keras_gated as kg
from keras_gated.examples import machine

BATCH, SIZE, CHANNELS, UNITS, CALLS = 16, 32, 8, 32, 20


def kernel_times(function, *args):
    """Per-call microseconds and counts of each kernel kind."""
    jax.block_until_ready(function(*args))
    directory = tempfile.mkdtemp()
    jax.profiler.start_trace(directory, create_perfetto_trace=True)
    for _ in range(CALLS):
        jax.block_until_ready(function(*args))
    jax.profiler.stop_trace()
    (path,) = glob.glob(
        f"{directory}/**/perfetto_trace.json.gz", recursive=True
    )
    events = json.load(gzip.open(path))["traceEvents"]
    total, count = collections.defaultdict(float), collections.Counter()
    durations = collections.defaultdict(list)
    for event in events:
        name = re.sub(r"\.\d+$", "", event.get("name", ""))
        # A kernel names its device (as does the executor's wait for
        # them all); its "end:" marker does not.
        kernel = "device_ordinal" in event.get("args", {}) and not (
            name.startswith(("end:", "ThunkExecutor"))
        )
        if event.get("ph") != "X" or not kernel:
            continue
        total[name] += event["dur"] / CALLS
        count[name] += 1
        durations[name].append((event["ts"], event["dur"]))
    return total, count, durations


def elementwise_chain(op, shape, steps=63):
    """Microseconds per element of `op` in a jitted chain of `steps`."""

    @jax.jit
    def chain(x):
        out, a = [], x[0]
        for t in range(steps):
            a = op(x[t] + 0.01 * a)
            out.append(a)
        return jnp.stack(out)

    x = jnp.asarray(np.random.default_rng(0).normal(size=(steps, *shape)))
    x = x.astype("float32")
    chain(x).block_until_ready()
    times = []
    for _ in range(30):
        start = time.perf_counter()
        chain(x).block_until_ready()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / x.size * 1e9


def main():
    print(machine.one_line())
    keras.utils.set_random_seed(0)
    layer = kg.MDLSTM2D(UNITS, unroll=True)
    shape = (BATCH, SIZE, SIZE, CHANNELS)
    layer.build(shape)
    x = jnp.asarray(np.random.default_rng(0).normal(size=shape), "float32")
    weights = [v.value for v in layer.trainable_variables]
    forward = jax.jit(lambda w, x: layer.stateless_call(w, [], x)[0])
    total, count, durations = kernel_times(forward, weights, x)
    print(f"forward, {sum(total.values()) / 1e3:.2f} ms in kernels a call:")
    for name, micros in sorted(total.items(), key=lambda item: -item[1]):
        calls = count[name] // CALLS
        print(f"  {name:32s} {micros / 1e3:6.2f} ms  ({calls} a call)")
    steps = 2 * SIZE - 1  # the first call's products, in order
    products = [d for _, d in sorted(durations["ynn_fusion"])[:steps]]
    middle = steps // 2
    longest = statistics.median(products[middle - 2 : middle + 3])
    shortest = products[0]
    flops = 2 * BATCH * SIZE * (CHANNELS + 2 * UNITS) * 5 * UNITS
    print(
        f"product of the longest diagonals ({BATCH * SIZE} rows, median of 5): "
        f"{longest:.0f} us, {flops / longest / 1e3:.0f} GFLOP/s; "
        f"of the first ({BATCH} rows): {shortest:.0f} us"
    )
    gates = (BATCH * SIZE // 2, 4 * UNITS)
    for label, op in (("tanh", jnp.tanh), ("1 / (1 + x^2)", None)):
        op = op or (lambda v: 1 / (1 + v * v))
        print(
            f"element-wise chain of {label} over {gates}: "
            f"{elementwise_chain(op, gates):.2f} ns an element"
        )


if __name__ == "__main__":
    main()
