"""Masked steps have TensorFlow's semantics in our layers, on every backend.

Keras' JAX loop outputs the initial state at masked steps before the first
valid one, where its TensorFlow loop outputs zeros, and its unrolled loops
mishandle `zero_output_for_mask` (tests/test_keras_loops.py). Our fused
layers and `AttentionDecoder` bring the outputs back to the TensorFlow
`while_loop`'s semantics (docs/design/0006), which `numpy_reference.run_rnn`
encodes: these tests run on every backend (CI runs them on JAX too).
"""

import functools

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.seq2seq.cases import built_decoder

FEATURES, UNITS = 3, 4
# Full, left padding, holes, right padding, empty.
MASK = np.array(
    [
        [1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1],
        [1, 0, 1, 0, 1],
        [1, 1, 1, 0, 0],
        [0, 0, 0, 0, 0],
    ],
    dtype=bool,
)
BATCH, STEPS = MASK.shape

LAYERS = {
    name: functools.partial(make, UNITS)
    for name, make in registry.fused_layers().items()
}
FLAGS = {
    "plain": {},
    "go_backwards": {"go_backwards": True},
    "unrolled_backwards_zero_output": {
        "unroll": True,
        "go_backwards": True,
        "zero_output_for_mask": True,
    },
}


def _data(state_size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    # Nonzero initial states: the case where the backends' loops differ.
    initial = [
        rng.normal(size=(BATCH, size)).astype("float32") for size in state_size
    ]
    return x, initial


@pytest.mark.parametrize("flags", FLAGS.values(), ids=FLAGS.keys())
@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_fused_layers_follow_tensorflow_semantics(make, flags):
    layer = make(return_sequences=True, return_state=True, **flags)
    layer.build((None, None, FEATURES))
    randomize(layer.cell)
    x, initial = _data(layer.cell.state_size)
    sequence, *states = layer(x, initial_state=initial, mask=MASK)
    expected, expected_states = ref.run_rnn(
        reference_step(layer.cell),
        x.astype("float64"),
        initial,
        mask=MASK,
        go_backwards=flags.get("go_backwards", False),
        zero_output_for_mask=flags.get("zero_output_for_mask", False),
    )
    np.testing.assert_allclose(sequence, expected, atol=1e-5)
    for state, expected_state in zip(states, expected_states):
        np.testing.assert_allclose(state, expected_state, atol=1e-5)
    # Left padding: zeros, not the initial state, before the first valid step.
    if not flags.get("go_backwards"):
        np.testing.assert_array_equal(np.asarray(sequence)[1, :2], 0.0)
    # The empty row keeps its initial states and outputs zeros.
    np.testing.assert_array_equal(np.asarray(sequence)[4], 0.0)
    np.testing.assert_allclose(states[0][4], initial[0][4])


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_attention_decoder_follows_tensorflow_semantics(
    go_backwards, return_sequences
):
    decoder = built_decoder(
        kg.LNLSTMCell,
        return_sequences=return_sequences,
        return_state=True,
        return_alignments=True,
        go_backwards=go_backwards,
    )
    cell = decoder.cell
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH, STEPS, 4)).astype("float32")
    memory = rng.normal(size=(BATCH, 6, 7)).astype("float32")
    # A full initial state with a nonzero output, e.g. from an earlier call.
    initial = [
        rng.normal(size=(BATCH, size or 6)).astype("float32")
        for size in cell.state_size
    ]

    def step(x_t, states):
        output, states = cell(
            x_t.astype("float32"),
            [s.astype("float32") for s in states],
            memory=memory,
        )
        return np.asarray(output), [np.asarray(s) for s in states]

    expected, expected_states = ref.run_rnn(
        step, x, initial, mask=MASK, go_backwards=go_backwards
    )
    output, alignments, *states = decoder(
        x, memory=memory, initial_state=initial, mask=MASK
    )
    if return_sequences:
        np.testing.assert_allclose(output, expected, atol=1e-5)
    else:
        np.testing.assert_allclose(output, expected[:, -1], atol=1e-5)
    for state, expected_state in zip(states, expected_states):
        np.testing.assert_allclose(state, expected_state, atol=1e-5)
    processed = MASK[:, ::-1] if go_backwards else MASK
    np.testing.assert_array_equal(np.asarray(alignments)[~processed], 0.0)
    assert keras.backend.standardize_dtype(output.dtype) == "float32"
