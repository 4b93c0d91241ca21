"""Deterministic weights and inputs for the pinned-number tests.

The pinned numbers were produced once by the implementation and agree with
`tests/numpy_reference.py` to 3e-7; they catch a change of equation even if
the reference were changed along with it. Constant weights would be no good
here: layer norm maps a constant vector to `beta`.
"""

import keras
import numpy as np

FIXED_INPUTS = (np.arange(1, 1 + 2 * 3 * 4).reshape(2, 3, 4) / 10).astype(
    "float32"
)


def set_fixed_weights(cell):
    """Weight number k gets `0.5 * cos(0.7 * arange(size) + k)`."""
    for k, w in enumerate(cell.weights):
        size = int(np.prod(w.shape))
        values = 0.5 * np.cos(0.7 * np.arange(size) + k)
        w.assign(values.reshape(w.shape).astype("float32"))


def run_with_fixed_weights(cell):
    """Returns `(sequence, states)` of `RNN(cell)` on `FIXED_INPUTS`."""
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    rnn.build((None, None, FIXED_INPUTS.shape[-1]))
    set_fixed_weights(cell)
    sequence, *states = rnn(FIXED_INPUTS)
    return np.asarray(sequence), [np.asarray(s) for s in states]
