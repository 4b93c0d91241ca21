"""Test-wide setup: Keras state, hypothesis profiles, backend markers.

Hypothesis profiles (select with the `HYPOTHESIS_PROFILE` environment
variable; the default is `ci`):

- `ci`: 200 examples per property, derandomized (a fixed seed, the same
  examples on every run), no example database. What CI runs on TensorFlow.
- `ci-fast`: the same, 10 examples per property. What CI runs on JAX,
  where every call of a time loop compiles.
- `dev`: 2 000 random examples per property, new ones on every run, with
  the failing ones kept in `.hypothesis/`. Run it locally before a release:
  `HYPOTHESIS_PROFILE=dev pytest tests/properties`.

Backends: tests marked `tensorflow_only` need TensorFlow (`tf.function`,
`GradientTape`, SavedModel, LiteRT, `tf.distribute`, or a comparison that
holds on TensorFlow only) and are skipped when `KERAS_BACKEND` is another
backend; tests marked `float64` are skipped on JAX unless `jax_enable_x64`
is on. CI runs everything on TensorFlow, then a selection with
`KERAS_BACKEND=jax` (see `.ci/run`).
"""

import os

import keras
import pytest
from hypothesis import HealthCheck
from hypothesis import settings

_COMMON = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile(
    "ci", max_examples=200, derandomize=True, database=None, **_COMMON
)
settings.register_profile(
    "ci-fast", max_examples=10, derandomize=True, database=None, **_COMMON
)
settings.register_profile("dev", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _float64_available():
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def pytest_collection_modifyitems(config, items):
    backend = keras.backend.backend()
    skips = {}
    if backend != "tensorflow":
        skips["tensorflow_only"] = pytest.mark.skip(
            reason=f"needs the TensorFlow backend, not {backend!r}"
        )
    if not _float64_available():
        skips["float64"] = pytest.mark.skip(
            reason="float64 needs jax_enable_x64 on JAX"
        )
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)


if keras.backend.backend() == "torch":
    import torch

    # The tests compare outputs with NumPy (`np.asarray`, `assert_allclose`),
    # which PyTorch refuses for a tensor that requires grad. Users call
    # `keras.ops.convert_to_numpy`; the tests detach instead.
    _tensor_array = torch.Tensor.__array__

    def _detached_array(self, *args, **kwargs):
        return _tensor_array(self.detach().cpu(), *args, **kwargs)

    torch.Tensor.__array__ = _detached_array


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from float32 and a fresh name scope."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(1337)
    yield
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session(free_memory=False)
