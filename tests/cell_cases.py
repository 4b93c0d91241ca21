"""The three cells as parametrization cases, with their NumPy references."""

import functools

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref

CELL_CLASSES = [kg.LNLSTMCell, kg.LNGRUCell, kg.SRUCell]

all_cells = pytest.mark.parametrize(
    "cell_class", CELL_CLASSES, ids=lambda c: c.__name__
)


def weights_of(cell):
    """The cell's weights as float64 NumPy arrays, by name."""
    return {
        w.name: keras.ops.convert_to_numpy(w).astype(np.float64)
        for w in cell.weights
    }


def randomize(cell, seed=0, scale=0.5):
    """Assigns random normal values to every weight of a built cell."""
    rng = np.random.default_rng(seed)
    for w in cell.weights:
        w.assign(rng.normal(scale=scale, size=w.shape).astype(w.dtype))


def reference_step(cell):
    """The NumPy step of `cell`, with its current weights and options."""
    w = weights_of(cell)
    if isinstance(cell, kg.LNLSTMCell):
        return functools.partial(
            ref.ln_lstm_step,
            w,
            epsilon=cell.norm_epsilon,
            carry_normalized_cell=cell.carry_normalized_cell,
            use_bias=cell.use_bias,
        )
    if isinstance(cell, kg.LNGRUCell):
        return functools.partial(
            ref.ln_gru_step,
            w,
            epsilon=cell.norm_epsilon,
            use_bias=cell.use_bias,
        )
    if isinstance(cell, kg.SRUCell):
        activation = {
            "linear": lambda v: v,
            "tanh": np.tanh,
        }[keras.activations.serialize(cell.activation)]
        return functools.partial(
            ref.sru_step,
            w,
            activation=activation,
            layer_norm_epsilon=cell.norm_epsilon if cell.layer_norm else None,
            use_bias=cell.use_bias,
        )
    raise TypeError(cell)


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
