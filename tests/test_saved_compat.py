"""Models saved by an earlier keras_gated still load and compute the same.

The policy is docs/design/0008. Every `tests/data/*.keras` file is a fixture
from a released version, saved by the generator script beside it, with the
inputs and the outputs it computed then in the `.npz` of the same name
(`inputs/<name>`, `outputs/<name>`). Fixtures are never regenerated; a
release that adds public classes adds a fixture. A change to a config key,
a weight name or layout, or the equations fails here. Runs on every
backend: a `.keras` file saved on TensorFlow must load on JAX.

A fixture's `.npz` names the order of the model's inputs in `input_order`;
0.1's `every_class.npz` predates that and is called as its generator
(`make_saved_models.call`) calls it.
"""

import inspect
import pathlib
import warnings

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.data import make_saved_models

DATA = pathlib.Path(__file__).parent / "data"
FIXTURES = sorted(DATA.glob("*.keras"))


def _every_layer(layer):
    yield layer
    for attribute in (
        "cell",
        "cells",
        "attention",
        "forward_layer",
        "backward_layer",
        "layer",
        "layers",
    ):
        inner = getattr(layer, attribute, None)
        for item in inner if isinstance(inner, (list, tuple)) else [inner]:
            if isinstance(item, keras.layers.Layer) and item is not layer:
                yield from _every_layer(item)


def _load(path):
    with warnings.catch_warnings():
        # An old file loads without a warning (0008); the suite's
        # `filterwarnings = error` makes any warning fail here too.
        warnings.simplefilter("error")
        return keras.saving.load_model(path)


def _named(recorded, prefix):
    return {
        name.split("/", 1)[1]: recorded[name]
        for name in recorded.files
        if name.startswith(prefix + "/")
    }


def _call(model, recorded):
    inputs = _named(recorded, "inputs")
    if "input_order" not in recorded.files:
        return make_saved_models.call(model, inputs)
    outputs = model([inputs[name] for name in recorded["input_order"]])
    return {
        name: keras.ops.convert_to_numpy(value)
        for name, value in outputs.items()
    }


def test_there_is_a_fixture_of_version_0_1():
    assert DATA / "every_class.keras" in FIXTURES


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_saved_model_computes_the_recorded_outputs(path):
    model = _load(path)
    recorded = np.load(path.with_suffix(".npz"))
    expected = _named(recorded, "outputs")
    outputs = _call(model, recorded)
    assert sorted(outputs) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(
            outputs[name], value, atol=1e-5, err_msg=name
        )


def test_every_public_class_is_in_a_fixture():
    used = {
        type(inner)
        for path in FIXTURES
        for layer in _load(path).layers
        for inner in _every_layer(layer)
    }
    public = {
        getattr(kg, name)
        for name in kg.__all__
        if inspect.isclass(getattr(kg, name))
    }
    assert public <= used, public - used
