"""Layer normalization over the last axis, in at least float32 (private)."""

import keras
from keras import ops


def layer_norm(x, gamma, beta, epsilon):
    """Normalizes `x` over its last axis, then scales by `gamma`, adds `beta`.

    `LN(x) = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta`, with the
    mean and (biased) variance taken over the last axis.

    The statistics are computed in float32 when `x` is float16 or bfloat16
    (mixed precision), and in `x`'s own dtype when it is float32 or float64;
    the result is cast back to `x`'s dtype. `gamma` and `beta` are expected
    in the computation dtype (keras_gated creates them with
    `autocast=False`, so they stay float32 under mixed precision).
    """
    dtype = keras.backend.standardize_dtype(x.dtype)
    compute_dtype = "float64" if dtype == "float64" else "float32"
    x = ops.cast(x, compute_dtype)
    mean = ops.mean(x, axis=-1, keepdims=True)
    centered = x - mean
    variance = ops.mean(ops.square(centered), axis=-1, keepdims=True)
    scale = ops.rsqrt(variance + epsilon) * ops.cast(gamma, compute_dtype)
    y = centered * scale + ops.cast(beta, compute_dtype)
    return ops.cast(y, dtype)
