"""Checks every convenience Grid class's own test file runs on it."""

import keras
import numpy as np

from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.grid.grid_reference import grid_step

BATCH, STEPS, FEATURES, UNITS = 3, 4, 5, 3


def reference_with_random_weights(cls, seed=0, **kwargs):
    """`RNN(cls(UNITS, **kwargs))` equals the NumPy reference."""
    cell = cls(UNITS, **kwargs)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    rnn.build((None, None, FEATURES))
    randomize(cell, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    initial = [
        rng.normal(scale=0.5, size=(BATCH, s)).astype("float32")
        for s in cell.state_size
    ]
    sequence, *states = rnn(x, initial_state=initial)
    expected, expected_states = ref.run_rnn(
        grid_step(cell), x.astype("float64"), initial
    )
    np.testing.assert_allclose(sequence, expected, atol=1e-5)
    for state, want in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(state, want, atol=1e-5)


def config_holds_its_own_arguments(cls, own, **kwargs):
    """The config holds the class's arguments, not the fixed dimensions."""
    cell = cls(UNITS, name="grid", **kwargs)
    config = cell.get_config()
    for fixed in ("num_dims", "input_dims", "output_dims", "cell"):
        assert fixed not in config
    for key, value in own.items():
        assert config[key] == value, key
    clone = cls.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(cell)
    )
    assert type(restored) is cls and restored.get_config() == config


def layout(cls, state_names, inner_weights, **kwargs):
    """The state names and the inner cells' weights by name and shape."""
    cell = cls(UNITS, **kwargs)
    cell.build((None, FEATURES))
    assert cell.state_names == state_names
    for inner in cell.cells:
        assert {w.name: tuple(w.shape) for w in inner.weights} == (
            inner_weights
        )
    return cell
