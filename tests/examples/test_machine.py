"""`keras_gated.examples.machine`: what every figure records of its machine."""

import json
import os

import keras

import keras_gated as kg
from keras_gated.examples import machine


def test_describe_names_the_cpu_cores_and_versions():
    described = machine.describe()
    assert described["cpu"] == machine.cpu_model()
    assert described["cpu"] and described["cpu"] != "unknown CPU"
    assert described["cores"] == os.cpu_count()
    assert described["keras"] == keras.__version__
    assert described["keras_gated"] == kg.__version__
    assert described["backend"] == keras.backend.backend()
    json.dumps(described)  # JSON-ready, for the reports


def test_cpu_features_lists_only_the_known_extensions():
    assert set(machine.cpu_features().split()) <= {"avx2", "avx512f", "amx"}


def test_one_line_carries_the_cpu_and_the_versions():
    line = machine.one_line()
    assert machine.cpu_model() in line
    assert f"Keras {keras.__version__}" in line
    assert f"{os.cpu_count()} cores" in line
