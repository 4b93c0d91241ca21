"""The registry's cells as parametrization cases (tests/registry.py)."""

import keras
import numpy as np
import pytest

from tests import registry

# Every cell in the registry; the registry's entries carry the references.
CELL_CLASSES = [entry.cls for entry in registry.RNN_CELLS]
FUSABLE_CELL_CLASSES = [entry.cls for entry in registry.fusable_cells()]

all_cells = pytest.mark.parametrize(
    "cell_class", CELL_CLASSES, ids=lambda c: c.__name__
)
# The cells that keep the project/step protocol (`FusableCell`).
fusable_cells = pytest.mark.parametrize(
    "cell_class", FUSABLE_CELL_CLASSES, ids=lambda c: c.__name__
)


def cells_keeping(part):
    """Parametrizes over the cells keeping an optional contract part."""
    return pytest.mark.parametrize(
        "cell_class",
        [entry.cls for entry in registry.cells_keeping(part)],
        ids=lambda c: c.__name__,
    )


weights_of = registry.weights_of
randomize = registry.randomize


def reference_step(cell):
    """The NumPy step of `cell`, with its current weights and options."""
    return registry.rnn_cell(cell).reference(cell)


def zero_states(cell, batch):
    return [np.zeros((batch, size)) for size in cell.state_size]


def keras_rnn_masking(masked, unroll, go_backwards, zero_output_for_mask):
    """What `keras.layers.RNN` outputs at masked steps, on this backend.

    Returns the `initial_output` of `numpy_reference.run_rnn`: Keras' JAX
    scan (`unroll=False`) repeats the initial `states[0]` at masked steps
    before the first valid one, its other loops repeat zeros. Returns
    `None` where Keras' own loop is wrong (docs/backends.md, pinned in
    tests/test_keras_loops.py): its unrolled loops mishandle
    `zero_output_for_mask` (JAX ignores it; TensorFlow and PyTorch apply
    the mask unreversed with `go_backwards`). keras_gated's own layers
    have none of these differences.
    """
    backend = keras.backend.backend()
    if masked and unroll and zero_output_for_mask:
        if backend == "jax" or go_backwards:
            return None
    if backend == "jax" and not unroll:
        return "state"
    return "zeros"
