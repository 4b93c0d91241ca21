"""`MemoryInitialState`: tanh(W_k ā + b_k) from the masked mean of the memory.

The generic contracts (NumPy reference, float64 gradients, `.keras` and
SavedModel) run from its entry in `tests/registry.py`.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.seq2seq.cases import MEMORY_DIM
from tests.seq2seq.cases import SOURCE_LEN
from tests.seq2seq.cases import UNITS
from tests.seq2seq.cases import inputs
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import memory
from tests.seq2seq.cases import randomize

SOURCE_MASK = length_mask([6, 4, 1], SOURCE_LEN)


def _built(**kwargs):
    layer = kg.MemoryInitialState(UNITS, **kwargs)
    layer.build((None, None, MEMORY_DIM))
    randomize(layer)
    return layer


def _numpy_states(layer, m, mask):
    """From the docstring: ā the masked mean, s_k = σ(ā W_k + b_k)."""
    kernel = np.asarray(layer.kernel, "float64")
    bias = np.asarray(layer.bias, "float64") if layer.use_bias else 0.0
    valid = np.ones(m.shape[:2]) if mask is None else mask.astype("float64")
    mean = (valid[:, :, None] * m).sum(1) / np.maximum(
        valid.sum(1, keepdims=True), 1.0
    )
    projected = mean @ kernel + bias
    return [
        projected[:, k * UNITS : (k + 1) * UNITS]
        for k in range(layer.num_states)
    ]


@pytest.mark.parametrize("with_mask", [False, True])
def test_matches_numpy_with_and_without_a_memory_mask(with_mask):
    layer = _built()
    m = memory()
    mask = SOURCE_MASK if with_mask else None
    h0, c0 = layer(m, memory_mask=mask)
    expected = _numpy_states(layer, m.astype("float64"), mask)
    np.testing.assert_allclose(h0, np.tanh(expected[0]), atol=1e-6)
    np.testing.assert_allclose(c0, np.tanh(expected[1]), atol=1e-6)


def test_masked_positions_do_not_change_the_states():
    layer = _built()
    m = memory()
    changed = m.copy()
    changed[~SOURCE_MASK] = 100.0
    for got, want in zip(
        layer(changed, memory_mask=SOURCE_MASK),
        layer(m, memory_mask=SOURCE_MASK),
    ):
        np.testing.assert_array_equal(got, want)


def test_an_all_masked_row_starts_from_the_bias():
    layer = _built()
    mask = SOURCE_MASK.copy()
    mask[2] = False
    h0, c0 = layer(memory(), memory_mask=mask)
    bias = np.asarray(layer.bias)
    np.testing.assert_allclose(h0[2], np.tanh(bias[:UNITS]), atol=1e-6)
    np.testing.assert_allclose(c0[2], np.tanh(bias[UNITS:]), atol=1e-6)


def test_weight_layout_num_states_and_options():
    layer = _built(num_states=3, activation="relu", use_bias=False)
    assert [w.name for w in layer.weights] == ["kernel"]
    assert tuple(layer.kernel.shape) == (MEMORY_DIM, 3 * UNITS)
    states = layer(memory())
    assert len(states) == 3
    expected = _numpy_states(layer, memory().astype("float64"), None)
    for got, want in zip(states, expected):
        np.testing.assert_allclose(got, np.maximum(want, 0.0), atol=1e-6)
    gru = _built(num_states=1)
    (h0,) = gru(memory())
    assert tuple(h0.shape) == (3, UNITS)


def test_the_mask_of_the_memory_is_used_in_a_functional_model():
    ids = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(10, MEMORY_DIM, mask_zero=True)(ids)
    layer = kg.MemoryInitialState(UNITS)
    model = keras.Model(ids, layer(embedded))
    tokens = np.array([[3, 4, 0, 0], [5, 6, 7, 8]])
    h0, _ = model(tokens)
    vectors = np.asarray(model.layers[1](tokens), "float64")
    expected = _numpy_states(layer, vectors, tokens != 0)
    np.testing.assert_allclose(h0, np.tanh(expected[0]), atol=1e-6)


def test_feeds_a_show_attend_tell_decoder():
    # The documented use: the states are the wrapped cell's [h, c].
    layer = _built()
    m = memory()
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            keras.layers.LSTMCell(UNITS),
            "bahdanau",
            wiring="show_attend_tell",
            context_gate=True,
        ),
        return_sequences=True,
        return_state=True,
    )
    x = inputs()
    h0, c0 = layer(m, memory_mask=SOURCE_MASK)
    sequence, *states = decoder(
        x, memory=m, memory_mask=SOURCE_MASK, initial_state=[h0, c0]
    )
    cell_states = decoder.cell.get_initial_state(m, [h0, c0])
    np.testing.assert_array_equal(cell_states[3], h0)
    output, _ = decoder.cell(
        x[:, 0], cell_states, memory=m, memory_mask=SOURCE_MASK
    )
    np.testing.assert_allclose(sequence[:, 0], output, atol=1e-6)


def test_config_round_trip():
    layer = kg.MemoryInitialState(
        5,
        num_states=1,
        activation="sigmoid",
        use_bias=False,
        kernel_regularizer="l2",
        name="init",
    )
    config = layer.get_config()
    clone = kg.MemoryInitialState.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "keras_gated>MemoryInitialState"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, r"`units`.*0"),
        ({"units": 2, "num_states": 0}, r"`num_states`.*0"),
        ({"units": 2, "use_bias": "no"}, r"`use_bias`.*'no'"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kg.MemoryInitialState(**kwargs)


def test_bad_memory_and_masks_are_clear_errors():
    layer = _built()
    with pytest.raises(ValueError, match=r"memory.*\(batch_size, source_len"):
        layer(np.zeros((3, 4, 4, MEMORY_DIM), "float32"))
    with pytest.raises(
        ValueError, match=f"built for a memory with {MEMORY_DIM}"
    ):
        layer(memory(dim=MEMORY_DIM + 1))
    with pytest.raises(ValueError, match=r"`memory_mask`"):
        layer(memory(), memory_mask=np.ones((3, SOURCE_LEN + 1), bool))
    with pytest.raises(ValueError, match=r"`memory_mask`.*str"):
        layer(memory(), memory_mask=np.array([["x"] * SOURCE_LEN] * 3))
