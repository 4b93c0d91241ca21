"""`AttentionDecoder`: the loop, its masks, outputs, saving and errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.seq2seq.cases import BATCH
from tests.seq2seq.cases import FEATURES
from tests.seq2seq.cases import MEMORY_DIM
from tests.seq2seq.cases import SOURCE_LEN
from tests.seq2seq.cases import TARGET_LEN
from tests.seq2seq.cases import UNITS
from tests.seq2seq.cases import all_inner_cells
from tests.seq2seq.cases import all_mechanisms
from tests.seq2seq.cases import built_decoder
from tests.seq2seq.cases import compiled
from tests.seq2seq.cases import inputs
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import memory
from tests.seq2seq.cases import randomize

SOURCE_MASK = length_mask([6, 4, 1], SOURCE_LEN)
TARGET_MASK = length_mask([5, 3, 1], TARGET_LEN)


def _step_by_step(cell, x, m, memory_mask=None, states=None):
    """The cell stepped by hand: outputs, alignments and final states."""
    states = states or cell.get_initial_state(m)
    outputs, alignments = [], []
    for t in range(x.shape[1]):
        output, states = cell(
            x[:, t], states, memory=m, memory_mask=memory_mask
        )
        outputs.append(output)
        alignments.append(states[2])
    return np.stack(outputs, 1), np.stack(alignments, 1), states


# --- The loop is the cell, stepped -----------------------------------------


@all_inner_cells
@all_mechanisms
def test_stepping_the_cell_by_hand_equals_the_decoder(
    inner_class, mechanism_class
):
    decoder = built_decoder(
        inner_class,
        mechanism_class,
        return_sequences=True,
        return_state=True,
        return_alignments=True,
    )
    x, m = inputs(), memory()
    sequence, alignments, *states = decoder(
        x, memory=m, memory_mask=SOURCE_MASK
    )

    expected, expected_alignments, expected_states = _step_by_step(
        decoder.cell, x, m, SOURCE_MASK
    )
    np.testing.assert_allclose(sequence, expected, atol=1e-5)
    np.testing.assert_allclose(alignments, expected_alignments, atol=1e-6)
    assert (
        len(states)
        == len(expected_states)
        == 3 + len(decoder.cell.cell_state_size)
    )
    for state, expected_state in zip(states, expected_states):
        np.testing.assert_allclose(state, expected_state, atol=1e-5)
    # The first state is the output.
    np.testing.assert_array_equal(states[0], sequence[:, -1])


@pytest.mark.parametrize(
    "cell_kwargs",
    [
        {"output_attention": False},
        {"input_feeding": False},
        {"attention_units": 3, "attention_activation": "relu"},
    ],
    ids=["bahdanau_style_output", "no_input_feeding", "attention_units"],
)
def test_options_step_by_step(cell_kwargs):
    decoder = built_decoder(
        kg.LNGRUCell, cell_kwargs=cell_kwargs, return_sequences=True
    )
    x, m = inputs(), memory()
    expected, _, _ = _step_by_step(decoder.cell, x, m)
    np.testing.assert_allclose(decoder(x, memory=m), expected, atol=1e-5)


def test_keys_are_projected_once_per_call_not_per_step():
    decoder = built_decoder(return_sequences=True)
    calls = []
    project = decoder.cell.attention.project_keys

    def counting(memory):
        calls.append(1)
        return project(memory)

    decoder.cell.attention.project_keys = counting
    decoder(inputs(), memory=memory())
    assert len(calls) == 1


# --- Outputs ---------------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_alignments", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_outputs_follow_the_flags(
    return_sequences, return_alignments, return_state
):
    decoder = built_decoder(
        kg.LNLSTMCell,
        return_sequences=return_sequences,
        return_alignments=return_alignments,
        return_state=return_state,
    )
    full = built_decoder(
        kg.LNLSTMCell,
        return_sequences=True,
        return_alignments=True,
        return_state=True,
    )
    x, m = inputs(), memory()
    result = decoder(x, memory=m)
    sequence, alignments, *states = full(x, memory=m)
    expected = [sequence if return_sequences else sequence[:, -1]]
    if return_alignments:
        expected.append(alignments)
    if return_state:
        expected.extend(states)
    if len(expected) == 1:
        result = [result]
    assert len(result) == len(expected)
    for got, want in zip(result, expected):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert alignments.shape == (BATCH, TARGET_LEN, SOURCE_LEN)


def test_alignments_are_distributions_with_zeros_at_masked_memory():
    decoder = built_decoder(return_sequences=True, return_alignments=True)
    _, alignments = decoder(inputs(), memory=memory(), memory_mask=SOURCE_MASK)
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(alignments.sum(-1), 1.0, atol=1e-6)
    masked = np.broadcast_to(~SOURCE_MASK[:, None, :], alignments.shape)
    assert np.all(alignments[masked] == 0.0)
    assert np.all(alignments[~masked] > 0.0)


# --- Masks -----------------------------------------------------------------


def test_target_mask_equals_running_the_valid_prefix():
    decoder = built_decoder(
        return_sequences=True, return_state=True, return_alignments=True
    )
    x, m = inputs(), memory()
    sequence, alignments, *states = decoder(
        x, memory=m, memory_mask=SOURCE_MASK, mask=TARGET_MASK
    )
    for b, length in enumerate(TARGET_MASK.sum(1)):
        prefix, prefix_alignments, *prefix_states = decoder(
            x[b : b + 1, :length],
            memory=m[b : b + 1],
            memory_mask=SOURCE_MASK[b : b + 1],
        )
        np.testing.assert_allclose(sequence[b, :length], prefix[0], atol=1e-5)
        np.testing.assert_allclose(
            alignments[b, :length], prefix_alignments[0], atol=1e-6
        )
        for state, prefix_state in zip(states, prefix_states):
            np.testing.assert_allclose(state[b], prefix_state[0], atol=1e-5)
        for t in range(length, TARGET_LEN):
            # Masked steps repeat the last output and have zero alignments.
            np.testing.assert_array_equal(
                sequence[b, t], sequence[b, length - 1]
            )
            np.testing.assert_array_equal(alignments[b, t], 0.0)


def test_zero_output_for_mask():
    decoder = built_decoder(return_sequences=True, zero_output_for_mask=True)
    sequence = decoder(inputs(), memory=memory(), mask=TARGET_MASK)
    np.testing.assert_array_equal(np.asarray(sequence)[~TARGET_MASK], 0.0)


def test_masks_come_from_keras_masks_in_a_functional_model():
    source = keras.Input((None,), dtype="int32")
    target = keras.Input((None,), dtype="int32")
    encoded, h = keras.layers.RNN(
        kg.LNGRUCell(UNITS), return_sequences=True, return_state=True
    )(keras.layers.Embedding(10, MEMORY_DIM, mask_zero=True)(source))
    embedded = keras.layers.Embedding(10, FEATURES, mask_zero=True)(target)
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNGRUCell(UNITS), "luong"),
        return_sequences=True,
        return_alignments=True,
    )
    # With `initial_state` too: Keras' automatic `mask` would be lost.
    outputs, alignments = decoder(embedded, memory=encoded, initial_state=[h])
    model = keras.Model([source, target], [outputs, alignments])

    source_ids = np.array([[3, 4, 5, 0], [6, 7, 0, 0]])
    target_ids = np.array([[3, 4, 0], [5, 0, 0]])
    outputs, alignments = model([source_ids, target_ids])
    alignments = np.asarray(alignments)
    # Memory mask from the encoder: no weight on padding.
    np.testing.assert_array_equal(alignments[0, :2, 3:], 0.0)
    np.testing.assert_array_equal(alignments[1, :1, 2:], 0.0)
    # Target mask from the embedding: zero rows at masked steps.
    np.testing.assert_array_equal(alignments[0, 2], 0.0)
    np.testing.assert_array_equal(alignments[1, 1:], 0.0)
    np.testing.assert_allclose(alignments[0, :2].sum(-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_compute_mask_gives_one_mask_per_output(return_sequences):
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS), "luong"),
        return_sequences=return_sequences,
        return_alignments=True,
        return_state=True,
    )
    mask = np.array([[True, True, False]])
    masks = decoder.compute_mask(None, mask)
    # Output, alignments, then [output, attention, alignments, h, c].
    assert len(masks) == 2 + 5
    assert masks[0] is (mask if return_sequences else None)
    assert masks[1] is mask  # The alignments are per step either way.
    assert masks[2:] == [None] * 5
    only_output = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS), "luong"),
        return_sequences=return_sequences,
    )
    assert only_output.compute_mask(None, mask) is masks[0]


@pytest.mark.tensorflow_only
def test_all_false_memory_mask_row_gives_zeros_not_nan():
    decoder = built_decoder(return_sequences=True, return_alignments=True)
    mask = SOURCE_MASK.copy()
    mask[1] = False
    x, m = tf.constant(inputs()), tf.constant(memory())
    with tf.GradientTape() as tape:
        tape.watch(m)
        sequence, alignments = decoder(x, memory=m, memory_mask=mask)
        loss = ops.sum(ops.square(sequence))
    gradient = tape.gradient(loss, [m, *decoder.trainable_variables])
    assert np.all(np.isfinite(sequence))
    np.testing.assert_array_equal(alignments[1], 0.0)
    np.testing.assert_allclose(np.sum(alignments[0], -1), 1.0, atol=1e-6)
    for g in gradient:
        assert np.all(np.isfinite(g))
    # No attention, no gradient to the memory of that row.
    np.testing.assert_array_equal(gradient[0][1], 0.0)


def test_go_backwards_equals_running_on_reversed_inputs():
    forward = built_decoder(return_sequences=True)
    backward = kg.AttentionDecoder(
        forward.cell, return_sequences=True, go_backwards=True
    )
    x, m = inputs(), memory()
    np.testing.assert_allclose(
        backward(x, memory=m), forward(x[:, ::-1], memory=m), atol=1e-6
    )


def test_unroll_equals_the_loop():
    looped = built_decoder(return_sequences=True, return_alignments=True)
    unrolled = kg.AttentionDecoder(
        looped.cell, return_sequences=True, return_alignments=True, unroll=True
    )
    x, m = inputs(), memory()
    for got, want in zip(
        unrolled(x, memory=m, mask=TARGET_MASK),
        looped(x, memory=m, mask=TARGET_MASK),
    ):
        np.testing.assert_allclose(got, want, atol=1e-6)


# --- Initial state ---------------------------------------------------------


@all_inner_cells
def test_initial_state_may_be_the_inner_cells_or_the_full_state(inner_class):
    decoder = built_decoder(
        inner_class, return_sequences=True, return_state=True
    )
    x, m = inputs(), memory()
    rng = np.random.default_rng(5)
    inner_states = [
        rng.normal(size=(BATCH, size)).astype("float32")
        for size in decoder.cell.cell_state_size
    ]
    sequence, *states = decoder(x, memory=m, initial_state=inner_states)
    full = decoder.cell.get_initial_state(m, inner_states)
    expected, _, _ = _step_by_step(decoder.cell, x, m, states=full)
    np.testing.assert_allclose(sequence, expected, atol=1e-5)

    # Continuing from the full returned state equals one longer run.
    first, *middle = decoder(x[:, :2], memory=m, initial_state=inner_states)
    second, *_ = decoder(x[:, 2:], memory=m, initial_state=middle)
    np.testing.assert_allclose(
        np.concatenate([first, second], 1), sequence, atol=1e-5
    )


def test_initial_state_of_the_wrong_length_is_a_clear_error():
    decoder = built_decoder(kg.LNLSTMCell)
    with pytest.raises(ValueError, match="`initial_state`.*2 states.*5.*got 1"):
        decoder(
            inputs(), memory=memory(), initial_state=[np.zeros((BATCH, UNITS))]
        )


# --- Errors ----------------------------------------------------------------


def test_memory_of_rank_other_than_3_is_a_clear_error():
    decoder = built_decoder()
    with pytest.raises(ValueError, match=r"memory.*\(batch_size, source_len"):
        decoder(inputs(), memory=np.zeros((BATCH, 4, 4, MEMORY_DIM), "float32"))
    with pytest.raises(ValueError, match=r"memory.*\(batch_size, source_len"):
        decoder(inputs(), memory=np.zeros((BATCH, MEMORY_DIM), "float32"))


def test_memory_feature_size_after_build_is_a_clear_error():
    decoder = built_decoder()
    with pytest.raises(
        ValueError, match=f"built for a memory with {MEMORY_DIM}"
    ):
        decoder(inputs(), memory=memory(dim=MEMORY_DIM + 1))


def test_target_of_rank_other_than_3_is_a_clear_error():
    decoder = built_decoder()
    with pytest.raises(
        ValueError, match=r"\(batch_size, timesteps, features\)"
    ):
        decoder(inputs()[:, 0], memory=memory())
    unbuilt = kg.AttentionDecoder(kg.AttentionDecoderCell(kg.LNGRUCell(4)))
    with pytest.raises(
        ValueError, match=r"\(batch_size, timesteps, features\)"
    ):
        unbuilt(np.zeros((2, 3), "int32"), memory=memory())


def test_a_plain_cell_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="`cell`.*AttentionDecoderCell"):
        kg.AttentionDecoder(kg.LNLSTMCell(4))


def test_boolean_flags_are_validated():
    cell = kg.AttentionDecoderCell(kg.LNGRUCell(4))
    with pytest.raises(ValueError, match="`return_alignments`.*'yes'"):
        kg.AttentionDecoder(cell, return_alignments="yes")


# --- Dropout, gradients ----------------------------------------------------


@pytest.mark.tensorflow_only
@all_inner_cells
def test_inner_dropout_masks_are_drawn_before_the_loop(inner_class):
    cell = kg.AttentionDecoderCell(
        inner_class(UNITS, dropout=0.5, seed=1), "bahdanau"
    )
    decoder = kg.AttentionDecoder(cell, return_sequences=True)
    x, m = inputs(), memory()
    inference = decoder(x, memory=m)
    np.testing.assert_array_equal(inference, decoder(x, memory=m))
    train = tf.function(lambda x, m: decoder(x, memory=m, training=True))
    first, second = train(x, m), train(x, m)
    assert np.all(np.isfinite(first))
    assert not np.allclose(first, inference)
    assert not np.allclose(first, second)


@pytest.mark.tensorflow_only
@all_mechanisms
def test_every_trainable_weight_gets_a_finite_nonzero_gradient(mechanism_class):
    attention = (
        kg.BahdanauAttention(normalize=True)
        if mechanism_class is kg.BahdanauAttention
        else kg.LuongAttention(use_scale=True)
    )
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS), attention),
        return_sequences=True,
    )
    x, m = tf.constant(inputs()), tf.constant(memory())
    with tf.GradientTape() as tape:
        loss = ops.sum(
            ops.square(decoder(x, memory=m, memory_mask=SOURCE_MASK))
        )
    grads = tape.gradient(loss, decoder.trainable_variables)
    assert len(grads) > 0
    for variable, grad in zip(decoder.trainable_variables, grads):
        assert grad is not None, variable.path
        assert np.all(np.isfinite(grad)), variable.path
        assert np.any(grad != 0), variable.path


@all_mechanisms
def test_mixed_precision(mechanism_class):
    reference = built_decoder(
        kg.LNLSTMCell,
        mechanism_class,
        return_sequences=True,
        return_alignments=True,
    )
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(UNITS, dtype="mixed_float16"),
        mechanism_class(dtype="mixed_float16"),
        dtype="mixed_float16",
    )
    decoder = kg.AttentionDecoder(
        cell,
        return_sequences=True,
        return_alignments=True,
        dtype="mixed_float16",
    )
    decoder.build((None, None, FEATURES), (None, None, MEMORY_DIM))
    decoder.set_weights(reference.get_weights())
    x, m = inputs(), memory()
    outputs, alignments = decoder(x, memory=m, memory_mask=SOURCE_MASK)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
    assert keras.backend.standardize_dtype(alignments.dtype) == "float16"
    expected, expected_alignments = reference(
        x, memory=m, memory_mask=SOURCE_MASK
    )
    outputs = ops.convert_to_numpy(ops.cast(outputs, "float32"))
    alignments = ops.convert_to_numpy(ops.cast(alignments, "float32"))
    np.testing.assert_allclose(outputs, expected, atol=0.05)
    np.testing.assert_allclose(alignments, expected_alignments, atol=0.01)
    np.testing.assert_array_equal(
        alignments[~np.broadcast_to(SOURCE_MASK[:, None], alignments.shape)],
        0.0,
    )


# --- Memory of any kind: an image feature map ------------------------------


def test_attends_over_a_flattened_image_feature_map():
    images = keras.Input((16, 16, 3))
    features = keras.layers.Conv2D(12, 3, strides=4, padding="same")(images)
    assert tuple(features.shape) == (None, 4, 4, 12)
    regions = keras.layers.Reshape((16, 12))(features)
    words = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(20, 8)(words)
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS), "bahdanau"),
        return_sequences=True,
        return_alignments=True,
    )
    outputs, alignments = decoder(embedded, memory=regions)
    logits = keras.layers.Dense(20)(outputs)
    model = keras.Model([images, words], [logits, alignments])

    pixels = np.random.default_rng(0).uniform(size=(2, 16, 16, 3))
    caption = np.array([[1, 5, 7], [1, 2, 3]])
    logits, alignments = model([pixels, caption])
    assert logits.shape == (2, 3, 20)
    assert alignments.shape == (2, 3, 16)
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(np.sum(alignments, -1), 1.0, atol=1e-6)


# --- Serialization ---------------------------------------------------------


def test_config_round_trip():
    decoder = built_decoder(
        kg.LNGRUCell,
        kg.BahdanauAttention,
        return_sequences=True,
        return_alignments=True,
        go_backwards=True,
        zero_output_for_mask=True,
        name="my_decoder",
    )
    config = decoder.get_config()
    clone = kg.AttentionDecoder.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(decoder)
    assert serialized["registered_name"] == "keras_gated>AttentionDecoder"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored.cell.cell) is kg.LNGRUCell
    assert type(restored.cell.attention) is kg.BahdanauAttention
    assert restored.get_config() == config


def _functional_model(inner_class=kg.LNLSTMCell):
    target = keras.Input((None, FEATURES), name="target")
    memory_in = keras.Input((None, MEMORY_DIM), name="memory")
    memory_mask = keras.Input((None,), dtype="bool", name="memory_mask")
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(inner_class(UNITS), "bahdanau"),
        return_sequences=True,
        return_alignments=True,
    )
    outputs, alignments = decoder(
        target, memory=memory_in, memory_mask=memory_mask
    )
    return keras.Model(
        [target, memory_in, memory_mask],
        [keras.layers.Dense(3)(outputs), alignments],
    )


@all_inner_cells
def test_keras_file_round_trip_is_bit_identical(inner_class, tmp_path):
    model = _functional_model(inner_class)
    data = [inputs(), memory(), SOURCE_MASK]
    path = tmp_path / "decoder.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for got, want in zip(loaded(data), model(data)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.tensorflow_only
def test_saved_model_export_takes_the_memory_as_an_input(tmp_path):
    model = _functional_model()
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for batch, target_len, source_len in [(2, 3, 4), (3, 5, 6)]:
        data = [
            inputs(batch=batch, steps=target_len),
            memory(batch=batch, length=source_len),
            length_mask(np.arange(batch) + 1, source_len),
        ]
        for got, want in zip(serving.serve(data), model(data)):
            np.testing.assert_allclose(got, want, atol=1e-6)


# --- The Show-Attend-Tell wiring -------------------------------------------


def _show_attend_tell_decoder(
    inner_class=kg.LNLSTMCell,
    mechanism_class=kg.BahdanauAttention,
    context_gate=True,
    output_context=False,
    **decoder_kwargs,
):
    return built_decoder(
        inner_class,
        mechanism_class,
        cell_kwargs={
            "wiring": "show_attend_tell",
            "context_gate": context_gate,
            "output_context": output_context,
        },
        **decoder_kwargs,
    )


@all_inner_cells
@all_mechanisms
def test_show_attend_tell_stepping_the_cell_by_hand_equals_the_decoder(
    inner_class, mechanism_class
):
    decoder = _show_attend_tell_decoder(
        inner_class,
        mechanism_class,
        output_context=True,
        return_sequences=True,
        return_state=True,
        return_alignments=True,
    )
    x, m = inputs(), memory()
    sequence, alignments, *states = decoder(
        x, memory=m, memory_mask=SOURCE_MASK
    )
    expected, expected_alignments, expected_states = _step_by_step(
        decoder.cell, x, m, SOURCE_MASK
    )
    assert sequence.shape == (BATCH, TARGET_LEN, UNITS + MEMORY_DIM)
    np.testing.assert_allclose(sequence, expected, atol=1e-5)
    np.testing.assert_allclose(alignments, expected_alignments, atol=1e-6)
    for state, expected_state in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(state, expected_state, atol=1e-5)
    np.testing.assert_array_equal(states[0], sequence[:, -1])
    # The output carries z_t, which is the second state.
    np.testing.assert_array_equal(sequence[:, -1, UNITS:], states[1])


@pytest.mark.parametrize("context_gate", [False, True])
def test_show_attend_tell_matches_the_numpy_decoder(context_gate):
    decoder = _show_attend_tell_decoder(
        kg.LNGRUCell,
        kg.LuongAttention,
        context_gate=context_gate,
        return_sequences=True,
        return_alignments=True,
    )
    x, m = inputs(), memory()
    rng = np.random.default_rng(4)
    h0 = rng.normal(size=(BATCH, UNITS)).astype("float32")
    sequence, alignments = decoder(
        x, memory=m, memory_mask=SOURCE_MASK, initial_state=[h0]
    )
    cell, inner = decoder.cell, decoder.cell.cell
    want, want_alignments = ref.show_attend_tell_decoder(
        registry.rnn_cell(inner).reference(inner),
        registry.mechanism_scores(cell.attention),
        x.astype("float64"),
        m.astype("float64"),
        SOURCE_MASK,
        [h0.astype("float64")],
        gate=registry.show_attend_tell_gate(cell),
    )
    np.testing.assert_allclose(sequence, want, atol=1e-5)
    np.testing.assert_allclose(alignments, want_alignments, atol=1e-6)


def test_show_attend_tell_masks():
    decoder = _show_attend_tell_decoder(
        return_sequences=True, return_state=True, return_alignments=True
    )
    x, m = inputs(), memory()
    sequence, alignments, *states = decoder(
        x, memory=m, memory_mask=SOURCE_MASK, mask=TARGET_MASK
    )
    alignments = np.asarray(alignments)
    # Memory mask: no weight on padding; distributions elsewhere.
    masked = np.broadcast_to(~SOURCE_MASK[:, None, :], alignments.shape)
    assert np.all(alignments[masked] == 0.0)
    valid = alignments.sum(-1)[TARGET_MASK]
    np.testing.assert_allclose(valid, 1.0, atol=1e-6)
    # Padded memory does not change anything.
    changed = m.copy()
    changed[~SOURCE_MASK] = 50.0
    again = decoder(
        x, memory=changed, memory_mask=SOURCE_MASK, mask=TARGET_MASK
    )
    np.testing.assert_allclose(again[0], sequence, atol=1e-6)
    # Target mask: equal to running the valid prefix, zero rows after it.
    for b, length in enumerate(TARGET_MASK.sum(1)):
        prefix, prefix_alignments, *prefix_states = decoder(
            x[b : b + 1, :length],
            memory=m[b : b + 1],
            memory_mask=SOURCE_MASK[b : b + 1],
        )
        np.testing.assert_allclose(sequence[b, :length], prefix[0], atol=1e-5)
        np.testing.assert_allclose(
            alignments[b, :length], prefix_alignments[0], atol=1e-6
        )
        for state, prefix_state in zip(states, prefix_states):
            np.testing.assert_allclose(state[b], prefix_state[0], atol=1e-5)
        np.testing.assert_array_equal(alignments[b, length:], 0.0)


# --- The doubly stochastic penalty as a loss -------------------------------


def _penalized(**kwargs):
    return _show_attend_tell_decoder(
        attention_penalty=0.7, return_sequences=True, **kwargs
    )


@pytest.mark.parametrize(
    "reduction", ["sum_over_positions", "mean_over_positions"]
)
@pytest.mark.parametrize("return_alignments", [False, True])
def test_attention_penalty_is_added_in_training_calls_only(
    reduction, return_alignments
):
    decoder = _penalized(
        attention_penalty_reduction=reduction,
        return_alignments=return_alignments,
    )
    reference = _show_attend_tell_decoder(
        return_sequences=True, return_alignments=True
    )
    reference.set_weights(decoder.get_weights())
    x, m = inputs(), memory()
    arguments = {"memory": m, "memory_mask": SOURCE_MASK, "mask": TARGET_MASK}
    decoder(x, **arguments)
    assert decoder.losses == []
    trained = decoder(x, training=True, **arguments)
    assert len(decoder.losses) == 1
    _, alignments = reference(x, **arguments)
    expected = 0.7 * kg.doubly_stochastic_penalty(
        alignments, TARGET_MASK, SOURCE_MASK, reduction=reduction
    )
    np.testing.assert_allclose(decoder.losses[0], expected, rtol=1e-5)
    # The outputs are those asked for, as without the penalty.
    if return_alignments:
        np.testing.assert_allclose(trained[1], alignments, atol=1e-6)
    else:
        assert trained.shape == (BATCH, TARGET_LEN, UNITS)


def test_attention_penalty_works_with_the_default_wiring_too():
    decoder = built_decoder(attention_penalty=1.0)
    decoder(inputs(), memory=memory(), training=True)
    assert len(decoder.losses) == 1 and float(decoder.losses[0]) > 0.0


def _captioner(penalty, wiring="show_attend_tell"):
    regions = keras.Input((SOURCE_LEN, MEMORY_DIM), name="regions")
    words = keras.Input((None,), dtype="int32", name="words")
    h0, c0 = kg.MemoryInitialState(UNITS)(regions)
    embedded = keras.layers.Embedding(10, FEATURES, mask_zero=True)(words)
    cell_kwargs = (
        {"wiring": wiring, "context_gate": True, "output_context": True}
        if wiring == "show_attend_tell"
        else {}
    )
    outputs = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            keras.layers.LSTMCell(UNITS), "bahdanau", **cell_kwargs
        ),
        return_sequences=True,
        attention_penalty=penalty,
    )(embedded, memory=regions, initial_state=[h0, c0])
    return keras.Model([regions, words], keras.layers.Dense(10)(outputs))


def _caption_data():
    rng = np.random.default_rng(0)
    words = rng.integers(1, 10, (8, 4))
    words[:, 3:] = 0
    return [memory(batch=8), words], rng.integers(0, 10, (8, 4))


def test_fit_minimizes_the_penalty_and_evaluate_leaves_it_out():
    # Under XLA on TensorFlow (`fit(jit_compile=True)`), jitted on JAX. A
    # learning rate of 0 keeps the weights, so that `fit`'s loss and
    # `evaluate`'s differ by the penalty alone.
    data, targets = _caption_data()
    keras.utils.set_random_seed(0)
    model = _captioner(2.0)
    model.compile(
        keras.optimizers.SGD(0.0),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=keras.backend.backend() == "tensorflow",
    )
    history = model.fit(data, targets, epochs=1, batch_size=4, verbose=0)
    trained = history.history["loss"][0]
    evaluated = model.evaluate(data, targets, batch_size=4, verbose=0)
    assert np.isfinite(trained) and np.isfinite(evaluated)
    # 3 valid steps over 6 positions: the coverages sum to 3, so the
    # penalty is at least 6 · (1 − 3/6)² = 1.5 (all coverages equal), at
    # most 6 − 1 + (1 − 3)² = 9 (all on one position).
    assert 2.0 * 1.5 * 0.99 < trained - evaluated < 2.0 * 9.0


@pytest.mark.tensorflow_only
def test_the_penalty_gradient_reaches_the_attention_weights():
    decoder = _penalized()
    x, m = tf.constant(inputs()), tf.constant(memory())
    with tf.GradientTape() as tape:
        decoder(x, memory=m, memory_mask=SOURCE_MASK, training=True)
        loss = decoder.losses[0]
    weights = decoder.cell.attention.trainable_variables
    grads = tape.gradient(loss, weights)
    for variable, grad in zip(weights, grads):
        assert grad is not None, variable.path
        assert np.any(np.asarray(grad) != 0.0), variable.path


def test_attention_penalty_arguments_are_validated():
    cell = kg.AttentionDecoderCell(kg.LNGRUCell(4), wiring="show_attend_tell")
    with pytest.raises(ValueError, match=r"`attention_penalty`.*-1"):
        kg.AttentionDecoder(cell, attention_penalty=-1.0)
    with pytest.raises(ValueError, match=r"`attention_penalty`.*'big'"):
        kg.AttentionDecoder(cell, attention_penalty="big")
    with pytest.raises(
        ValueError, match=r"`attention_penalty_reduction`.*'sum'"
    ):
        kg.AttentionDecoder(cell, attention_penalty_reduction="sum")
    with pytest.raises(
        ValueError, match=r"`attention_penalty_reduction`.*'none'"
    ):
        kg.AttentionDecoder(cell, attention_penalty_reduction="none")


# --- Decoding and saving with the wiring -----------------------------------


class _Captioner:
    """A decoding step over a Show-Attend-Tell decoder, for the decoders."""

    def __init__(self, seed=0, vocabulary_size=7):
        keras.utils.set_random_seed(seed)
        self.decoder = _show_attend_tell_decoder(
            kg.LNLSTMCell, kg.BahdanauAttention, output_context=True
        )
        self.cell = self.decoder.cell
        self.init = kg.MemoryInitialState(UNITS)
        self.embedding = keras.layers.Embedding(vocabulary_size, FEATURES)
        # A deep output over [h_t; z_t; x_t], as in the paper.
        self.projection = keras.layers.Dense(vocabulary_size)
        self.init.build((None, None, MEMORY_DIM))
        self.embedding.build((None,))
        self.projection.build((None, UNITS + MEMORY_DIM + FEATURES))
        for layer in (self.init, self.embedding, self.projection):
            randomize(layer, seed=seed, scale=1.0)

    def initial_state(self, m, memory_mask):
        return {
            "memory": m,
            "memory_mask": memory_mask,
            "keys": self.cell.project_memory(m),
            "decoder": self.cell.get_initial_state(
                m, self.init(m, memory_mask=memory_mask)
            ),
        }

    def step_fn(self, tokens, state):
        embedded = self.embedding(tokens)
        output, decoder_state = self.cell(
            embedded,
            state["decoder"],
            memory=state["memory"],
            memory_mask=state["memory_mask"],
            keys=state["keys"],
        )
        logits = self.projection(ops.concatenate([output, embedded], -1))
        return logits, {**state, "decoder": decoder_state}, decoder_state[2]


def test_show_attend_tell_greedy_equals_beam_width_1():
    model = _Captioner()
    state = model.initial_state(memory(), SOURCE_MASK)
    greedy = kg.greedy_decode(model.step_fn, 1, 2, 6, state=state)
    beam = kg.beam_search_decode(model.step_fn, 1, 2, 6, 1, state=state)
    np.testing.assert_array_equal(beam.sequences, greedy.sequences)
    np.testing.assert_array_equal(beam.lengths, greedy.lengths)
    np.testing.assert_allclose(beam.scores, greedy.scores, atol=1e-5)
    # Greedy decoding equals teacher forcing on its own output.
    tokens = np.asarray(greedy.sequences)
    inputs_ = np.concatenate([np.ones((BATCH, 1), "int32"), tokens[:, :-1]], 1)
    state = model.initial_state(memory(), SOURCE_MASK)
    for t in range(tokens.shape[1]):
        logits, state, _ = model.step_fn(inputs_[:, t], state)
        live = np.asarray(greedy.lengths) > t
        np.testing.assert_array_equal(
            np.argmax(logits, -1)[live], tokens[live, t]
        )


@pytest.mark.parametrize("jit_compile", [False, True])
def test_show_attend_tell_beam_search_compiles(jit_compile):
    model = _Captioner(seed=1)
    m = memory()
    state = model.initial_state(m, SOURCE_MASK)
    eager = kg.beam_search_decode(
        model.step_fn, 1, 2, 5, 3, state=state, coverage_penalty=0.2
    )

    def decode(m):
        return kg.beam_search_decode(
            model.step_fn,
            1,
            2,
            5,
            3,
            state=model.initial_state(m, SOURCE_MASK),
            coverage_penalty=0.2,
        )

    result = compiled(decode, jit_compile)(m)
    np.testing.assert_array_equal(result.sequences, eager.sequences)
    np.testing.assert_allclose(result.scores, eager.scores, atol=1e-4)


def _show_attend_tell_model():
    target = keras.Input((None, FEATURES), name="target")
    memory_in = keras.Input((None, MEMORY_DIM), name="memory")
    memory_mask = keras.Input((None,), dtype="bool", name="memory_mask")
    h0, c0 = kg.MemoryInitialState(UNITS)(memory_in, memory_mask=memory_mask)
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(
            kg.LNLSTMCell(UNITS),
            "luong",
            wiring="show_attend_tell",
            context_gate=True,
            output_context=True,
        ),
        return_sequences=True,
        return_alignments=True,
        attention_penalty=1.0,
    )
    outputs, alignments = decoder(
        target,
        memory=memory_in,
        memory_mask=memory_mask,
        initial_state=[h0, c0],
    )
    return keras.Model(
        [target, memory_in, memory_mask],
        [keras.layers.Dense(3)(outputs), alignments],
    )


def test_show_attend_tell_keras_file_round_trip_is_bit_identical(tmp_path):
    model = _show_attend_tell_model()
    data = [inputs(), memory(), SOURCE_MASK]
    path = tmp_path / "captioner.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for got, want in zip(loaded(data), model(data)):
        np.testing.assert_array_equal(got, want)
    (decoder,) = [
        layer
        for layer in loaded.layers
        if isinstance(layer, kg.AttentionDecoder)
    ]
    assert decoder.cell.wiring == "show_attend_tell"
    assert decoder.cell.context_gate and decoder.cell.output_context
    assert decoder.attention_penalty == 1.0


@pytest.mark.tensorflow_only
def test_show_attend_tell_saved_model_export(tmp_path):
    model = _show_attend_tell_model()
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for batch, target_len, source_len in [(2, 3, 4), (3, 5, 6)]:
        data = [
            inputs(batch=batch, steps=target_len),
            memory(batch=batch, length=source_len),
            length_mask(np.arange(batch) + 1, source_len),
        ]
        for got, want in zip(serving.serve(data), model(data)):
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_show_attend_tell_unroll_and_go_backwards_equal_the_loop():
    looped = _show_attend_tell_decoder(
        return_sequences=True, return_alignments=True
    )
    x, m = inputs(), memory()
    unrolled = kg.AttentionDecoder(
        looped.cell, return_sequences=True, return_alignments=True, unroll=True
    )
    for got, want in zip(
        unrolled(x, memory=m, mask=TARGET_MASK),
        looped(x, memory=m, mask=TARGET_MASK),
    ):
        np.testing.assert_allclose(got, want, atol=1e-6)
    backward = kg.AttentionDecoder(
        looped.cell, return_sequences=True, go_backwards=True
    )
    np.testing.assert_allclose(
        backward(x, memory=m), looped(x[:, ::-1], memory=m)[0], atol=1e-6
    )


@pytest.mark.tensorflow_only
def test_show_attend_tell_inner_dropout_masks_are_drawn_before_the_loop():
    cell = kg.AttentionDecoderCell(
        keras.layers.LSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.3),
        "bahdanau",
        wiring="show_attend_tell",
        context_gate=True,
    )
    decoder = kg.AttentionDecoder(cell, return_sequences=True)
    x, m = inputs(), memory()
    inference = decoder(x, memory=m)
    np.testing.assert_array_equal(inference, decoder(x, memory=m))
    train = tf.function(lambda x, m: decoder(x, memory=m, training=True))
    first, second = train(x, m), train(x, m)
    assert np.all(np.isfinite(first))
    assert not np.allclose(first, inference)
    assert not np.allclose(first, second)


def test_show_attend_tell_mixed_precision():
    reference = _show_attend_tell_decoder(
        return_sequences=True, return_alignments=True
    )
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(UNITS, dtype="mixed_float16"),
        kg.BahdanauAttention(dtype="mixed_float16"),
        wiring="show_attend_tell",
        context_gate=True,
        dtype="mixed_float16",
    )
    decoder = kg.AttentionDecoder(
        cell,
        return_sequences=True,
        return_alignments=True,
        dtype="mixed_float16",
    )
    decoder.build((None, None, FEATURES), (None, None, MEMORY_DIM))
    decoder.set_weights(reference.get_weights())
    x, m = inputs(), memory()
    outputs, alignments = decoder(x, memory=m, memory_mask=SOURCE_MASK)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
    assert keras.backend.standardize_dtype(alignments.dtype) == "float16"
    expected, expected_alignments = reference(
        x, memory=m, memory_mask=SOURCE_MASK
    )
    outputs = ops.convert_to_numpy(ops.cast(outputs, "float32"))
    alignments = ops.convert_to_numpy(ops.cast(alignments, "float32"))
    np.testing.assert_allclose(outputs, expected, atol=0.05)
    np.testing.assert_allclose(alignments, expected_alignments, atol=0.01)
