"""Speed of MDLSTM2D's wavefront against the same cell run pixel by pixel.

The wavefront is `kg.MDLSTM2D` itself: `H + W - 1` sequential steps, one
per anti-diagonal, on the exact diagonals (`unroll=True`). "Skewed loop"
is the same layer with its default `unroll=False`, a loop over the skewed
image's columns. The pixel loop runs the same cell
(the layer's own pixel step, same weights) over the `H * W` pixels in scan
order, row by row, in Keras' backend loop (TensorFlow `while_loop`, JAX
`scan`), carrying the previous row's states; the pixel above is picked
from that row with a one-hot of the column, which XLA and JAX compile
without dynamic indexing. All three give the same numbers in float64
(checked to 1e-9 before timing; float32 only up to rounding).

All are compiled by `rnn_speed.py`'s `model_functions`: "forward" is the
model in a `tf.function` (JAX: a `jax.jit` `stateless_call`),
"forward+backward" a training step (loss, gradients, SGD update).
Candidates run interleaved, each repeat timing each once, warm: right
after an untimed call of the same function, as in a loop over batches
(`--idle` sleeps instead, the figure of a model called now and then). The
script prints medians and the ratio pixel loop / wavefront.

    python benchmarks/mdlstm_speed.py            # 32x32 and 64x64
    KERAS_BACKEND=jax python benchmarks/mdlstm_speed.py
    python benchmarks/mdlstm_speed.py --sizes 16 --repeats 3   # quick
    python benchmarks/mdlstm_speed.py --sizes 32 --idle 0.05   # cold
    python benchmarks/mdlstm_speed.py --first-epochs   # compilation
"""

import argparse
import contextlib
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from keras import ops

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import rnn_speed  # noqa: E402

import keras_gated as kg  # noqa: E402
from keras_gated._compat import rnn  # noqa: E402
from keras_gated.examples import machine  # noqa: E402


class PixelLoop(keras.layers.Layer):
    """`layer`'s cell over the `H * W` pixels one at a time (top-left)."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def call(self, images):
        layer, units = self.layer, self.layer.units
        batch, height, width, _ = images.shape
        channels = images.shape[-1]
        column = ops.one_hot(ops.arange(width), width, dtype=images.dtype)
        column = ops.broadcast_to(
            column[None, None], (batch, height) + (width,) * 2
        )
        sequence = ops.reshape(
            ops.concatenate([images, column], axis=-1),
            (batch, height * width, channels + width),
        )
        kernel = layer._step_kernel()

        def step(pixel, states):
            h_left, c_left, row_h, row_c = states
            x, here = pixel[:, :channels], pixel[:, channels:]
            here = here[:, :, None]  # (batch, W, 1), one-hot of x
            row_h = ops.reshape(row_h, (batch, width, units))
            row_c = ops.reshape(row_c, (batch, width, units))
            first = here[:, :1]  # x == 0: nothing on the left
            h_left, c_left = (
                h_left * (1 - first[:, 0]),
                c_left * (1 - first[:, 0]),
            )
            h_up = ops.sum(row_h * here, axis=1)
            c_up = ops.sum(row_c * here, axis=1)
            h, c = layer._pixel(x, h_up, c_up, h_left, c_left, kernel)
            row_h = row_h * (1 - here) + h[:, None] * here
            row_c = row_c * (1 - here) + c[:, None] * here
            flat = (batch, width * units)
            return h, [h, c, ops.reshape(row_h, flat), ops.reshape(row_c, flat)]

        zeros = ops.zeros((batch, units), self.compute_dtype)
        row = ops.zeros((batch, width * units), self.compute_dtype)
        _, outputs, _ = rnn(
            step,
            sequence,
            [zeros, zeros, row, row],
            input_length=height * width,
        )
        return ops.reshape(outputs, (batch, height, width, units))


def _models(size, batch, channels, units, dtype):
    """The wavefront, skewed-loop and pixel-loop models, same weights."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((size, size, channels), batch_size=batch)
    layer = kg.MDLSTM2D(units, unroll=True, dtype=dtype)
    wavefront = keras.Model(inputs, layer(inputs))
    pixels = keras.Model(inputs, PixelLoop(layer, dtype=dtype)(inputs))
    looped = kg.MDLSTM2D(units, unroll=False, dtype=dtype)
    skewed = keras.Model(inputs, looped(inputs))
    looped.set_weights(layer.get_weights())
    x = ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(batch, size, size, channels)),
        dtype,
    )
    return wavefront, skewed, pixels, x


def check(size, batch, channels, units):
    """The three compute the same function: equal in float64.

    In float32 they differ by rounding, which the "graves" cell's state,
    growing with the number of paths to a pixel, amplifies on a large
    image (up to about 6e-3 in `h` at 64x64), so the check is in float64
    (on JAX, inside `jax.enable_x64`).
    """
    if keras.backend.backend() == "jax":
        from jax import enable_x64
    else:
        enable_x64 = contextlib.nullcontext
    with enable_x64():
        wavefront, skewed, pixels, x = _models(
            size, batch, channels, units, "float64"
        )
        expected = ops.convert_to_numpy(pixels(x))
        for model in (wavefront, skewed):
            np.testing.assert_allclose(
                ops.convert_to_numpy(model(x)), expected, atol=1e-9
            )


def measure(size, batch, channels, units, repeats, idle=0.0):
    check(size, batch, channels, units)
    wavefront, skewed, pixels, x = _models(
        size, batch, channels, units, "float32"
    )
    functions = {
        "wavefront": rnn_speed.model_functions(wavefront),
        "skewed loop": rnn_speed.model_functions(skewed),
        "pixel loop": rnn_speed.model_functions(pixels),
    }
    times = {
        name: {mode: [] for mode in fns} for name, fns in functions.items()
    }
    for fns in functions.values():  # warm-up: compile
        for function in fns.values():
            rnn_speed._time(function, x)
    # Each timed call follows an untimed call of the same function, as in
    # a loop over batches: what ran just before (another candidate, or
    # nothing for a while) otherwise changes the wavefront's short forward
    # by up to 30% (design note 0010). `idle` instead sleeps before
    # each timed call: the figure of a model called now and then.
    for _ in range(repeats):
        for name, fns in functions.items():
            for mode, function in fns.items():
                if idle:
                    time.sleep(idle)
                else:
                    rnn_speed._time(function, x)
                times[name][mode].append(rnn_speed._time(function, x))
    return {
        mode: {name: statistics.median(times[name][mode]) for name in functions}
        for mode in ("forward", "forward+backward")
    }


def first_epochs(size=12, samples=2000, batch=64):
    """Seconds of the first two `fit(jit_compile=True)` epochs, per unroll.

    Notebook 04's model: `MultiDirectional(MDLSTM2D(4, "leifert"))`, a
    1x1 convolution, max pooling and a logistic output, on `samples`
    random binary `size x size` images. The first epoch is mostly
    compilation.
    """
    rng = np.random.default_rng(0)
    x = (rng.random((samples, size, size, 1)) < 0.7).astype("float32")
    y = rng.integers(0, 2, (samples, 1)).astype("float32")
    seconds = {}
    for unroll in (False, True):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((size, size, 1))
        features = kg.MultiDirectional(
            kg.MDLSTM2D(4, variant="leifert", unroll=unroll)
        )(inputs)
        mixed = keras.layers.Conv2D(8, 1, activation="tanh")(features)
        pooled = keras.layers.GlobalMaxPooling2D()(mixed)
        model = keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(pooled))
        model.compile("adam", "binary_crossentropy", jit_compile=True)
        epochs = []
        for _ in range(2):
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            epochs.append(time.perf_counter() - start)
        seconds[unroll] = epochs
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="sleep this long before each timed call, instead of the "
        "untimed warm-up call of the same function",
    )
    parser.add_argument(
        "--first-epochs",
        action="store_true",
        help="time notebook 04's first two fit(jit_compile=True) epochs "
        "with unroll=False and unroll=True instead",
    )
    args = parser.parse_args(argv)
    print(machine.one_line())
    if args.first_epochs:
        for unroll, (first, second) in first_epochs().items():
            print(
                f"unroll={unroll}: first epoch {first:.1f} s, "
                f"second {second:.1f} s"
            )
        return
    print(
        f"backend {keras.backend.backend()}, batch {args.batch}, "
        f"{args.channels} channels, {args.units} units, float32, "
        f"medians of {args.repeats}, "
        + (f"{args.idle:g} s idle before each call" if args.idle else "warm")
    )
    print(
        "| image | mode | wavefront | skewed loop | pixel loop | "
        "pixel loop / wavefront | pixel loop / skewed loop |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        results = measure(
            size,
            args.batch,
            args.channels,
            args.units,
            args.repeats,
            args.idle,
        )
        for mode, medians in results.items():
            wave, pixel = medians["wavefront"], medians["pixel loop"]
            loop = medians["skewed loop"]
            print(
                f"| {size}x{size} | {mode} | {wave * 1e3:.1f} ms | "
                f"{loop * 1e3:.1f} ms | {pixel * 1e3:.1f} ms | "
                f"{pixel / wave:.1f}x | {pixel / loop:.1f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
