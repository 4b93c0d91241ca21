import keras
import numpy as np
import pytest
from keras import ops

from keras_gated._layer_norm import layer_norm
from tests import numpy_reference as ref


def test_matches_the_reference():
    rng = np.random.default_rng(0)
    x, gamma, beta = (
        rng.normal(size=(3, 7)),
        rng.normal(size=7),
        rng.normal(size=7),
    )
    np.testing.assert_allclose(
        layer_norm(x.astype("float32"), gamma, beta, 1e-3),
        ref.layer_norm(x, gamma, beta, 1e-3),
        atol=1e-5,
    )


@pytest.mark.float64
def test_float64_stays_float64():
    rng = np.random.default_rng(0)
    x, gamma, beta = (
        rng.normal(size=(3, 7)),
        rng.normal(size=7),
        rng.normal(size=7),
    )
    out = layer_norm(ops.convert_to_tensor(x), gamma, beta, 1e-3)
    assert keras.backend.standardize_dtype(out.dtype) == "float64"
    np.testing.assert_allclose(
        out, ref.layer_norm(x, gamma, beta, 1e-3), atol=1e-14
    )


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_statistics_are_computed_in_float32(dtype):
    # Squares of ~300 overflow float16 (max 65504): the variance would be
    # inf and the result 0 if it were computed in float16.
    x = np.array([[300.0, -300.0, 100.0, -100.0]], "float32")
    gamma, beta = np.ones(4, "float32"), np.zeros(4, "float32")
    out = layer_norm(ops.cast(x, dtype), gamma, beta, 1e-3)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    expected = ref.layer_norm(x.astype("float64"), gamma, beta, 1e-3)
    np.testing.assert_allclose(ops.cast(out, "float32"), expected, rtol=1e-2)


def test_zero_variance_gives_beta():
    x = np.full((2, 5), 3.0, "float32")
    gamma, beta = np.full(5, 2.0, "float32"), np.arange(5, dtype="float32")
    np.testing.assert_allclose(layer_norm(x, gamma, beta, 1e-3), [beta, beta])


@pytest.mark.parametrize(
    "features, width, product_route",
    [(8, 32, True), (8, 64, True), (16, 32, False), (32, 32, False)],
)
def test_layer_norm_of_projection_takes_the_route_its_cost_decides(
    monkeypatch, features, width, product_route
):
    """The product route only where the projection is >= 4x wider."""
    from keras_gated import _layer_norm

    calls = []
    real = _layer_norm.layer_norm_of_product
    monkeypatch.setattr(
        _layer_norm,
        "layer_norm_of_product",
        lambda *a: calls.append(1) or real(*a),
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, features)).astype("float32")
    kernel = rng.normal(size=(features, width)).astype("float32")
    gamma, beta = rng.normal(size=width), rng.normal(size=width)
    out = _layer_norm.layer_norm_of_projection(x, kernel, gamma, beta, 1e-3)
    assert bool(calls) == product_route
    expected = ref.layer_norm(
        x.astype("float64") @ kernel.astype("float64"), gamma, beta, 1e-3
    )
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
