"""MultiDirectional: four directions with their own weights, merged."""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.registry import randomize


def _wrapped(merge_mode="concat"):
    layer = kg.MultiDirectional(
        kg.MDLSTM2D(3, use_peepholes=True), merge_mode=merge_mode
    )
    layer.build((None, None, None, 2))
    randomize(layer, seed=0)
    return layer


def _images():
    return np.random.default_rng(0).normal(size=(2, 4, 5, 2)).astype("float32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave"])
def test_equals_its_four_parts(merge_mode):
    layer = _wrapped(merge_mode)
    images = _images()
    sizes = np.array([[4, 5], [2, 3]])
    parts = [_numpy(part(images, sizes=sizes)) for part in layer.layers]
    want = {
        "concat": np.concatenate(parts, axis=-1),
        "sum": sum(parts),
        "ave": sum(parts) / 4,
    }[merge_mode]
    got = _numpy(layer(images, sizes=sizes))
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_the_parts_scan_the_four_directions_with_their_own_weights():
    layer = _wrapped()
    assert [part.direction for part in layer.layers] == [
        "top_left",
        "top_right",
        "bottom_left",
        "bottom_right",
    ]
    # kernel, two recurrent kernels, bias, peepholes: five per direction.
    assert len(layer.trainable_weights) == 4 * 5
    kernels = [_numpy(part.kernel) for part in layer.layers]
    assert not np.array_equal(kernels[0], kernels[1])


def test_output_shape_and_config_round_trip():
    layer = _wrapped("sum")
    assert layer.compute_output_shape((2, 4, 5, 2)) == (2, 4, 5, 3)
    assert _wrapped().compute_output_shape((2, 4, 5, 2)) == (2, 4, 5, 12)
    again = kg.MultiDirectional.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    assert again.layers[3].direction == "bottom_right"
    assert again.layers[0].use_peepholes


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="`merge_mode`"):
        kg.MultiDirectional(kg.MDLSTM2D(2), merge_mode="mul")
    with pytest.raises(ValueError, match="`layer`"):
        kg.MultiDirectional(keras.layers.Dense(2))
    with pytest.raises(ValueError, match="`layer`"):
        kg.MultiDirectional("MDLSTM2D")
