"""SeparableLSTM2D: rows, then columns, against a NumPy double pass."""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.multidim import numpy_multidim as ref
from tests.registry import randomize
from tests.registry import weights_of

NAMES = ("row_forward", "row_backward", "column_forward", "column_backward")


def _layer(units=5, hidden_units=None):
    layer = kg.SeparableLSTM2D(units, hidden_units=hidden_units)
    layer.build((None, None, None, 2))
    randomize(layer, seed=0)
    return layer


def _reference(layer, images, mask=None):
    weights = {name: weights_of(getattr(layer, name)) for name in NAMES}
    return ref.separable_lstm2d(weights, images.astype("float64"), mask)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _images(shape=(2, 4, 5, 2)):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


@pytest.mark.parametrize("hidden_units", [None, 4])
def test_matches_the_numpy_reference(hidden_units):
    layer = _layer(hidden_units=hidden_units)
    images = _images()
    np.testing.assert_allclose(
        _numpy(layer(images)), _reference(layer, images), atol=1e-5
    )


def test_odd_units_split_as_contrib_does():
    layer = _layer(units=5, hidden_units=3)
    assert [getattr(layer, n).units for n in NAMES] == [1, 2, 2, 3]


def test_a_padded_image_gives_the_numbers_of_the_cropped_one():
    layer = _layer()
    images = _images()
    sizes = np.array([[4, 5], [2, 3]])
    padded = images.copy()
    padded[1, 2:] = 7.0
    padded[1, :, 3:] = -7.0
    got = _numpy(layer(padded, sizes=sizes))
    for k, (height, width) in enumerate(sizes):
        cropped = _numpy(layer(images[k : k + 1, :height, :width]))
        np.testing.assert_allclose(
            got[k : k + 1, :height, :width], cropped, atol=1e-5
        )
        assert not got[k, height:].any() and not got[k, :, width:].any()


def test_config_round_trip():
    layer = kg.SeparableLSTM2D(4, hidden_units=6)
    again = kg.SeparableLSTM2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"units": 1}, "units"), ({"units": 4, "hidden_units": 0}, "hidden")],
)
def test_bad_arguments_are_refused(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}"):
        kg.SeparableLSTM2D(**kwargs)


def test_bad_ranks_are_refused():
    with pytest.raises(ValueError, match="rank 4"):
        kg.SeparableLSTM2D(2)(np.zeros((2, 3, 4), "float32"))
