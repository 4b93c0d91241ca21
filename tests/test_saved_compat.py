"""Models saved by an earlier keras_gated still load and compute the same.

`tests/data/every_class.keras` uses every public class; it was saved by
`tests/data/make_saved_models.py`, with the outputs it computed then in
`tests/data/every_class.npz`. A change to a config key, a weight name or
layout, or the equations fails here. Runs on every backend: a `.keras`
file saved on TensorFlow must load on JAX.
"""

import inspect
import pathlib

import keras
import numpy as np

import keras_gated as kg
from tests.data.make_saved_models import call

DATA = pathlib.Path(__file__).parent / "data"


def _every_layer(layer):
    yield layer
    for attribute in ("cell", "attention", "forward_layer", "backward_layer"):
        inner = getattr(layer, attribute, None)
        if isinstance(inner, keras.layers.Layer):
            yield from _every_layer(inner)


def test_the_saved_model_computes_the_recorded_outputs():
    model = keras.saving.load_model(DATA / "every_class.keras")
    recorded = np.load(DATA / "every_class.npz")
    inputs = {
        name.split("/", 1)[1]: recorded[name]
        for name in recorded.files
        if name.startswith("inputs/")
    }
    expected = {
        name.split("/", 1)[1]: recorded[name]
        for name in recorded.files
        if name.startswith("outputs/")
    }
    outputs = call(model, inputs)
    assert sorted(outputs) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(
            outputs[name], value, atol=1e-5, err_msg=name
        )


def test_the_saved_model_uses_every_public_class():
    model = keras.saving.load_model(DATA / "every_class.keras")
    used = {
        type(inner) for layer in model.layers for inner in _every_layer(layer)
    }
    public = {
        getattr(kg, name)
        for name in kg.__all__
        if inspect.isclass(getattr(kg, name))
    }
    assert public <= used, public - used
