"""Speed of the keras_gated layers against keras.layers.LSTM / GRU.

Every candidate runs interleaved in one process: each repeat times every
candidate once, so load on the machine hits all of them alike. The script
prints medians and ratios to the Keras layer of the same family, and writes
`results.json` and `results.png` to `--out`.

    python benchmarks/rnn_speed.py                 # the full run
    python benchmarks/rnn_speed.py --quick         # a small, fast run

"Forward" is `model(x, training=False)` in a `tf.function`; "forward +
backward" is a `tf.function` training step (loss, gradients, SGD update).
With `KERAS_BACKEND=jax` the same two functions are `jax.jit`-compiled
`stateless_call`s instead (used for the GPU figures, where TensorFlow is not
installed; Keras' JAX `LSTM`/`GRU` then run cuDNN).
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import keras_gated as kg
from keras_gated.examples import machine

# name -> (family baseline, layer factory taking units)
CANDIDATES = {
    "keras.layers.LSTM": ("keras.layers.LSTM", lambda u: keras.layers.LSTM(u)),
    "RNN(LNLSTMCell)": (
        "keras.layers.LSTM",
        lambda u: keras.layers.RNN(kg.LNLSTMCell(u)),
    ),
    "kg.LNLSTM": ("keras.layers.LSTM", lambda u: kg.LNLSTM(u)),
    "kg.LNLSTM(precomputed)": (
        "keras.layers.LSTM",
        lambda u: kg.LNLSTM(u, precompute_projection=True),
    ),
    "keras.layers.GRU": ("keras.layers.GRU", lambda u: keras.layers.GRU(u)),
    "RNN(LNGRUCell)": (
        "keras.layers.GRU",
        lambda u: keras.layers.RNN(kg.LNGRUCell(u)),
    ),
    "kg.LNGRU": ("keras.layers.GRU", lambda u: kg.LNGRU(u)),
    "kg.LNGRU(precomputed)": (
        "keras.layers.GRU",
        lambda u: kg.LNGRU(u, precompute_projection=True),
    ),
    "RNN(SRUCell)": (
        "keras.layers.LSTM",
        lambda u: keras.layers.RNN(kg.SRUCell(u)),
    ),
    "kg.SRU": ("keras.layers.LSTM", lambda u: kg.SRU(u)),
    "kg.SRU(autodiff loop)": (
        "keras.layers.LSTM",
        lambda u: kg.SRU(u, fused_loop=False),
    ),
    # The fused loop where "auto" does not take it (JAX).
    "kg.SRU(fused loop)": (
        "keras.layers.LSTM",
        lambda u: kg.SRU(u, fused_loop=True),
    ),
    "kg.SRU(precomputed)": (
        "keras.layers.LSTM",
        lambda u: kg.SRU(u, precompute_projection=True, fused_loop=False),
    ),
    "kg.SRU(no v)": (
        "keras.layers.LSTM",
        lambda u: kg.SRU(u, use_recurrent_kernel=False, fused_loop=False),
    ),
    "kg.SRU(parallel_scan)": (
        "keras.layers.LSTM",
        lambda u: kg.SRU(u, use_recurrent_kernel=False, parallel_scan=True),
    ),
}

# A wide input (I=1024, H=128): hoisting must not cost more, relative to
# the loop, than at the usual shape (the layer-norm route is chosen by its
# cost, docs/design/0005).
WIDE_CANDIDATES = {
    name: CANDIDATES[name]
    for name in ("keras.layers.LSTM", "kg.LNLSTM", "kg.LNLSTM(precomputed)")
}

# Long sequences: the SRU loop against its parallel scan.
LONG_CANDIDATES = {
    "kg.SRU(no v)": ("kg.SRU(no v)", CANDIDATES["kg.SRU(no v)"][1]),
    "kg.SRU(parallel_scan)": (
        "kg.SRU(no v)",
        CANDIDATES["kg.SRU(parallel_scan)"][1],
    ),
}


def _functions(layer_factory, batch, steps, features, units):
    """A forward function and a training-step function for one layer."""
    inputs = keras.Input((steps, features), batch_size=batch)
    return model_functions(keras.Model(inputs, layer_factory(units)(inputs)))


def model_functions(model):
    """`{"forward": f, "forward+backward": f}`, each taking the input.

    TensorFlow: `tf.function`s (the training step with an SGD update);
    JAX: `jax.jit`-compiled `stateless_call`s. `mdlstm_speed.py` uses them
    too.
    """
    if keras.backend.backend() == "jax":
        return _jax_functions(model)
    import tensorflow as tf

    optimizer = keras.optimizers.SGD(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function
    def forward(x):
        return model(x, training=False)

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    return {"forward": forward, "forward+backward": train_step}


def _jax_functions(model):
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def forward(trainable, non_trainable, x):
        return model.stateless_call(trainable, non_trainable, x)[0]

    def loss(trainable, non_trainable, x):
        out, non_trainable = model.stateless_call(
            trainable, non_trainable, x, training=True
        )
        return jnp.mean(jnp.square(out)), non_trainable

    @jax.jit
    def train_step(trainable, non_trainable, x):
        (value, non_trainable), grads = jax.value_and_grad(loss, has_aux=True)(
            trainable, non_trainable, x
        )
        trainable = [w - 1e-3 * g for w, g in zip(trainable, grads)]
        return value, trainable, non_trainable

    return {
        "forward": lambda x: forward(trainable, non_trainable, x),
        "forward+backward": lambda x: train_step(trainable, non_trainable, x),
    }


def _time(function, x):
    start = time.perf_counter()
    result = function(x)
    keras.tree.map_structure(keras.ops.convert_to_numpy, result)
    return time.perf_counter() - start


def measure(
    candidates, batch, steps, features, units, repeats, warmup=2, warm=False
):
    """Returns `{candidate: {mode: {"median_s", "ratio", "baseline"}}}`.

    Each repeat times every candidate once, in turn, so that load on the
    machine falls on all of them alike; the ratio is of medians. With
    `warm`, each timed call follows an untimed call of the same function
    (as in a loop over batches; `mdlstm_speed.py` times so), instead of
    following the other candidates' calls.
    """
    x = keras.ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(batch, steps, features)),
        dtype="float32",
    )
    functions = {
        name: _functions(factory, batch, steps, features, units)
        for name, (_, factory) in candidates.items()
    }
    times = {
        name: {mode: [] for mode in fns} for name, fns in functions.items()
    }
    for _ in range(warmup):
        for fns in functions.values():
            for function in fns.values():
                _time(function, x)
    for _ in range(repeats):
        for name, fns in functions.items():
            for mode, function in fns.items():
                if warm:
                    _time(function, x)
                times[name][mode].append(_time(function, x))
    results = {}
    for name, (baseline, _) in candidates.items():
        results[name] = {}
        for mode, samples in times[name].items():
            median = statistics.median(samples)
            base = statistics.median(times[baseline][mode])
            results[name][mode] = {
                "median_s": median,
                "ratio": median / base,
                "baseline": baseline,
            }
    return results


def _print(title, results):
    print(f"\n{title}")
    print(f"{'candidate':24s} {'forward':>22s} {'forward+backward':>22s}   vs")
    for name, modes in results.items():
        cells = [
            f"{m['median_s'] * 1e3:9.1f} ms {m['ratio']:5.2f}x"
            for m in modes.values()
        ]
        baseline = next(iter(modes.values()))["baseline"]
        print(f"{name:24s} {cells[0]:>22s} {cells[1]:>22s}   {baseline}")


def plot(report, path):
    """Bar charts of the ratios: the main row, then the scan against T."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main, *others = report["rows"]
    # The loop-vs-scan rows (not the "wide" one, which has no scan).
    long_rows = [
        row for row in others if "kg.SRU(parallel_scan)" in row["results"]
    ]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [3, 2]}
    )
    names = list(main["results"])
    y = np.arange(len(names))
    for offset, mode in [(-0.2, "forward"), (0.2, "forward+backward")]:
        ratios = [main["results"][n][mode]["ratio"] for n in names]
        left.barh(y + offset, ratios, height=0.4, label=mode)
    left.axvline(1.0, color="black", linewidth=0.8)
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlabel("time / time of keras.layers.LSTM or GRU (lower is faster)")
    left.set_title(main["title"], fontsize=9)
    left.legend(loc="lower right")

    if long_rows:
        steps = [row["shape"]["steps"] for row in long_rows]
        x = np.arange(len(steps))
        for offset, mode in [(-0.2, "forward"), (0.2, "forward+backward")]:
            ratios = [
                row["results"]["kg.SRU(parallel_scan)"][mode]["ratio"]
                for row in long_rows
            ]
            right.bar(x + offset, ratios, width=0.4, label=mode)
        right.axhline(1.0, color="black", linewidth=0.8)
        right.set_xticks(x, [f"T={t}" for t in steps])
        right.set_ylabel("parallel scan / sequential loop (lower is faster)")
        right.set_title("SRU without v: parallel scan vs loop", fontsize=9)
        right.legend()
    fig.suptitle(report["machine"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def machine_description():
    # The CPU model, not just the architecture: ratios move between CPUs
    # (issue 11: Keras' LSTM trains twice as fast on an AVX-512 Xeon as on
    # the EPYC of the committed table).
    features = machine.cpu_features()
    what = (
        f"{machine.cpu_model()}"
        + (f" ({features})" if features else "")
        + f", {os.cpu_count()} cores"
    )
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        what += f", {jax.devices()[0].device_kind}"
        version = f"JAX {jax.__version__}"
    else:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            what += f", {details.get('device_name', 'GPU')}"
        version = f"TensorFlow {tf.__version__}"
    return (
        f"{what}; {version}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}"
    )


def replot(folder):
    """Redraws `results.png` from the `results.json` in `folder`."""
    folder = pathlib.Path(folder)
    plot(
        json.loads((folder / "results.json").read_text()),
        folder / "results.png",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--long-steps",
        type=int,
        nargs="*",
        default=None,
        help="sequence lengths of the SRU loop vs scan rows",
    )
    parser.add_argument(
        "--rows",
        nargs="*",
        choices=["main", "wide", "long"],
        default=["main", "wide", "long"],
        help="which tables to measure",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="candidates of the main row to time (their baselines are "
        "added), e.g. --only kg.SRU",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="time each call right after an untimed call of the same "
        "function (the published tables are timed without)",
    )
    parser.add_argument(
        "--out",
        default=str(pathlib.Path(__file__).parent / "results"),
        help="folder for results.json and results.png",
    )
    args = parser.parse_args(argv)

    if args.quick:
        main_shape = dict(batch=16, steps=20, features=32, units=64)
        long_steps = args.long_steps or [100, 1000]
        repeats = args.repeats or 5
    else:
        main_shape = dict(batch=64, steps=100, features=128, units=256)
        long_steps = args.long_steps or [100, 1000, 10000]
        repeats = args.repeats or 15

    report = {
        "machine": machine_description(),
        "cpu": machine.cpu_model(),
        "warm": args.warm,
        "rows": [],
    }
    print(report["machine"])
    shape = ", ".join(f"{k}={v}" for k, v in main_shape.items())
    title = f"float32, {shape}"
    if "main" in args.rows:
        candidates = CANDIDATES
        if args.only:
            wanted = set(args.only) | {CANDIDATES[n][0] for n in args.only}
            candidates = {n: c for n, c in CANDIDATES.items() if n in wanted}
        results = measure(
            candidates, repeats=repeats, warm=args.warm, **main_shape
        )
        _print(title, results)
        report["rows"].append(
            {"title": title, "shape": main_shape, "results": results}
        )

    if "wide" in args.rows:
        wide = {**main_shape, "features": 1024 if not args.quick else 256}
        wide["units"] = 128 if not args.quick else 32
        title = f"wide input: {', '.join(f'{k}={v}' for k, v in wide.items())}"
        results = measure(
            WIDE_CANDIDATES, repeats=repeats, warm=args.warm, **wide
        )
        _print(title, results)
        report["rows"].append(
            {"title": title, "shape": wide, "results": results}
        )

    for steps in long_steps if "long" in args.rows else []:
        shape = {**main_shape, "steps": steps}
        title = (
            f"long sequences: {', '.join(f'{k}={v}' for k, v in shape.items())}"
        )
        long_repeats = max(3, repeats // (1 + steps // 1000))
        results = measure(
            LONG_CANDIDATES, repeats=long_repeats, warm=args.warm, **shape
        )
        _print(title, results)
        report["rows"].append(
            {"title": title, "shape": shape, "results": results}
        )

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    plot(report, out / "results.png")
    print(f"\nwrote {out / 'results.json'} and {out / 'results.png'}")
    return report


if __name__ == "__main__":
    main()
