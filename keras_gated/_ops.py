"""Small tensor helpers shared by the layers (private)."""

import keras
from keras import ops


def sequence_matmul(x, kernel, bias=None):
    """`x @ kernel (+ bias)`, for one step or a whole sequence.

    A sequence is flattened to `(batch * time, features)` so that the
    backend runs one large matrix product, and the bias is added to that
    2-D product, where TensorFlow fuses it into the MatMul.
    """
    if len(x.shape) == 2:
        out = ops.matmul(x, kernel)
        return out if bias is None else out + bias
    shape = ops.shape(x)
    out = ops.matmul(ops.reshape(x, (-1, shape[-1])), kernel)
    if bias is not None:
        out = out + bias
    return ops.reshape(out, (shape[0], shape[1], kernel.shape[-1]))


def static_loop(step, state, steps):
    """Returns `state` after `steps` calls of `step(k, *state) -> state`.

    `steps` is a Python int; `k` runs from 0 to `steps - 1` as a scalar
    int32 tensor. The trip count is static, which both compilers need to
    differentiate the loop: TensorFlow under XLA only through
    `ops.while_loop(..., maximum_iterations=steps)` (Keras 3.15's
    `ops.fori_loop` and `ops.scan` do not pass the bound, and fail
    `fit(jit_compile=True)`); JAX reverse-differentiates the `lax.scan`
    that `ops.fori_loop` with Python bounds lowers to, but not a
    `while_loop`.
    """
    state = tuple(state)
    if keras.backend.backend() == "tensorflow":

        def body(k, *values):
            return (k + 1, *step(k, *values))

        _, *final = ops.while_loop(
            lambda k, *values: k < steps,
            body,
            (ops.convert_to_tensor(0, "int32"), *state),
            maximum_iterations=steps,
        )
        return tuple(final)

    def fori_body(k, values):
        return tuple(step(ops.cast(k, "int32"), *values))

    return tuple(ops.fori_loop(0, steps, fori_body, state))
