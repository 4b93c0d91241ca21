import numpy as np
import pytest
import tensorflow as tf

from keras_gated.layers._linear_scan import linear_recurrence


def _reference(a, b, c):
    out = []
    for t in range(a.shape[1]):
        c = a[:, t] * c + b[:, t]
        out.append(c)
    return np.stack(out, axis=1)


@pytest.mark.float64
@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5, 15, 16, 17, 99, 100])
def test_matches_the_sequential_recurrence(steps):
    rng = np.random.default_rng(steps)
    a = rng.uniform(0, 1, size=(2, steps, 3))
    b = rng.normal(size=(2, steps, 3))
    c_0 = rng.normal(size=(2, 3))
    np.testing.assert_allclose(
        linear_recurrence(a, b, c_0), _reference(a, b, c_0), atol=1e-12
    )


@pytest.mark.tensorflow_only
def test_unknown_length_uses_fixed_blocks():
    @tf.function(
        input_signature=[tf.TensorSpec((2, None, 3), tf.float64)] * 2
        + [tf.TensorSpec((2, 3), tf.float64)]
    )
    def scan(a, b, c_0):
        return linear_recurrence(a, b, c_0)

    rng = np.random.default_rng(0)
    for steps in (1, 31, 32, 33, 70):
        a = rng.uniform(0, 1, size=(2, steps, 3))
        b = rng.normal(size=(2, steps, 3))
        c_0 = rng.normal(size=(2, 3))
        np.testing.assert_allclose(
            scan(a, b, c_0), _reference(a, b, c_0), atol=1e-12
        )


@pytest.mark.parametrize("steps", [1, 2, 17, 100])
def test_unrolled_equals_the_scan(steps):
    rng = np.random.default_rng(steps)
    a = rng.uniform(0, 1, size=(2, steps, 3)).astype("float32")
    b = rng.normal(size=(2, steps, 3)).astype("float32")
    c_0 = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(
        linear_recurrence(a, b, c_0, unroll=True),
        linear_recurrence(a, b, c_0),
        atol=1e-6,
    )
