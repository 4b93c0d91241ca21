"""Layer normalization over the last axis, in at least float32 (private).

The one home of layer norm for every keras_gated layer: the normalization
itself, its weights, and the normalized input projection.
"""

import keras
from keras import ops

from keras_gated._ops import sequence_matmul


def layer_norm(x, gamma, beta, epsilon):
    """Normalizes `x` over its last axis, then scales by `gamma`, adds `beta`.

    `LN(x) = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta`, with the
    mean and (biased) variance taken over the last axis.

    The statistics are computed in float32 when `x` is float16 or bfloat16
    (mixed precision), and in `x`'s own dtype when it is float32 or float64;
    the result is cast back to `x`'s dtype. `gamma` and `beta` are expected
    in the computation dtype (keras_gated creates them with
    `autocast=False`, so they stay float32 under mixed precision).

    The gradient is the closed form of layer norm's, which keeps fewer
    intermediates alive than differentiating the steps above, a saving
    that counts inside a time loop (docs/design/0005).
    """
    dtype = keras.backend.standardize_dtype(x.dtype)
    compute_dtype = "float64" if dtype == "float64" else "float32"

    @ops.custom_gradient
    def normalize(x, gamma, beta):
        mean = ops.mean(x, axis=-1, keepdims=True)
        centered = x - mean
        variance = ops.mean(ops.square(centered), axis=-1, keepdims=True)
        rstd = ops.rsqrt(variance + epsilon)
        normalized = centered * rstd

        def grad(*args, upstream=None):
            # TensorFlow and JAX pass the upstream gradient positionally,
            # PyTorch as `upstream`.
            if upstream is None:
                (upstream,) = args
            scaled = upstream * gamma
            dx = rstd * (
                scaled
                - ops.mean(scaled, axis=-1, keepdims=True)
                - normalized
                * ops.mean(scaled * normalized, axis=-1, keepdims=True)
            )
            batch_axes = tuple(range(len(upstream.shape) - 1))
            dgamma = ops.sum(upstream * normalized, axis=batch_axes)
            dbeta = ops.sum(upstream, axis=batch_axes)
            return dx, dgamma, dbeta

        return normalized * gamma + beta, grad

    y = normalize(
        ops.cast(x, compute_dtype),
        ops.cast(gamma, compute_dtype),
        ops.cast(beta, compute_dtype),
    )
    return ops.cast(y, dtype)


def layer_norm_of_product(x, kernel, gamma, beta, epsilon):
    """Returns `layer_norm(x @ kernel, gamma, beta, epsilon)`, computed cheaply.

    For a whole sequence of inputs, `x @ kernel` is 4 (LSTM) or 3 (GRU)
    times wider than `x`, and each pass of a plain layer norm over it
    (mean, centering, variance, scaling) streams that wide tensor through
    memory. The same numbers follow from the narrow side, since with
    `W_c = kernel - mean(kernel, axis=1)` (each row centered):

    - `x @ W_c` is `x @ kernel` already centered;
    - its variance is the quadratic form `x · (x @ M)` with
      `M = W_c W_cᵀ / n`, an `(in, in)` matrix;

    so `LN(x @ kernel) = (x ⊙ rsqrt(var + ε)) @ (W_c ⊙ γ) + β`: the
    per-row scale applies to the narrow `x`, and the wide tensor is written
    once, by a matrix product with a bias (which TensorFlow fuses). Used for
    float32 and float64 inputs; the statistics are those of `layer_norm`,
    up to rounding. Whether it is the cheaper route depends on the shapes:
    `layer_norm_of_projection` decides.
    """
    units = kernel.shape[-1]
    centered = kernel - ops.mean(kernel, axis=1, keepdims=True)
    moments = ops.matmul(centered, ops.transpose(centered)) / units
    variance = ops.sum(ops.matmul(x, moments) * x, axis=-1, keepdims=True)
    # The quadratic form is >= 0 in exact arithmetic; rounding may not be.
    rstd = ops.rsqrt(ops.maximum(variance, 0) + epsilon)
    scaled_kernel = centered * ops.cast(gamma, x.dtype)
    return ops.matmul(x * rstd, scaled_kernel) + ops.cast(beta, x.dtype)


# `layer_norm_of_product` replaces passes over the `n`-wide product by a
# `(d, d)` quadratic form, `d²` more multiply-adds per row. Measured on a
# 2-core CPU (TensorFlow 2.21, 6 400 rows, forward and forward+backward),
# it is faster for `d <= n / 4` (e.g. 0.4-0.7x at d=64-256, n=1024) and
# slower beyond (1.3-3x at d >= n / 2): docs/design/0005.
PRODUCT_ROUTE_MAX_RATIO = 4


def layer_norm_of_projection(x, kernel, gamma, beta, epsilon):
    """`layer_norm(x @ kernel, gamma, beta, epsilon)`, by the cheaper route.

    `x` is one step `(batch, d)` or a sequence `(batch, time, d)`, `kernel`
    is `(d, n)`. A float32/float64 sequence whose projection is at least
    `PRODUCT_ROUTE_MAX_RATIO` times wider than its input takes
    `layer_norm_of_product`; everything else (one step, a wide input,
    mixed precision, whose statistics must stay in float32) normalizes the
    product itself. The numbers agree up to rounding either way.
    """
    dtype = keras.backend.standardize_dtype(x.dtype)
    features, width = kernel.shape
    if (
        len(x.shape) == 3
        and dtype in ("float32", "float64")
        and features * PRODUCT_ROUTE_MAX_RATIO <= width
    ):
        shape = ops.shape(x)
        flat = ops.reshape(x, (-1, shape[-1]))
        normalized = layer_norm_of_product(flat, kernel, gamma, beta, epsilon)
        return ops.reshape(normalized, (shape[0], shape[1], width))
    return layer_norm(sequence_matmul(x, kernel), gamma, beta, epsilon)


def add_layer_norm_weights(
    layer, name, size, gamma_initializer, beta_initializer
):
    """Creates the gain `{name}_gamma` and shift `{name}_beta` of one norm.

    They are never autocast, so they stay float32 under mixed precision
    and layer norm is computed in float32 (`layer_norm`).
    """
    gamma = layer.add_weight(
        shape=(size,),
        name=f"{name}_gamma",
        initializer=gamma_initializer,
        autocast=False,
    )
    beta = layer.add_weight(
        shape=(size,),
        name=f"{name}_beta",
        initializer=beta_initializer,
        autocast=False,
    )
    return gamma, beta
