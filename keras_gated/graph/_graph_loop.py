"""A loop of a static number of steps that trains on every backend (private).

TensorFlow differentiates a loop under XLA only when its trip count bounds
the gradient accumulators: `ops.while_loop(..., maximum_iterations=n)`
(Keras 3.15's `ops.fori_loop` and `ops.scan` do not pass the bound, and
fail `fit(jit_compile=True)`). JAX reverse-differentiates `lax.scan`, which
`ops.fori_loop` with Python bounds lowers to, but not a `while_loop`.
"""

import keras
from keras import ops


def static_loop(step, state, steps):
    """Returns `state` after `steps` calls of `step(k, *state) -> state`.

    `steps` is a Python int; `k` runs from 0 to `steps - 1` as a scalar
    int32 tensor.
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
