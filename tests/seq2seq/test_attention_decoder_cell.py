import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.seq2seq.cases import BATCH
from tests.seq2seq.cases import FEATURES
from tests.seq2seq.cases import MEMORY_DIM
from tests.seq2seq.cases import SOURCE_LEN
from tests.seq2seq.cases import UNITS
from tests.seq2seq.cases import all_inner_cells
from tests.seq2seq.cases import all_mechanisms
from tests.seq2seq.cases import inputs
from tests.seq2seq.cases import length_mask
from tests.seq2seq.cases import memory
from tests.seq2seq.cases import randomize
from tests.seq2seq.cases import reference_attention

SOURCE_MASK = length_mask([6, 4, 1], SOURCE_LEN)


def _built_cell(inner_class=kg.LNLSTMCell, attention="luong", **kwargs):
    cell = kg.AttentionDecoderCell(inner_class(UNITS), attention, **kwargs)
    cell.build((None, FEATURES), (None, None, MEMORY_DIM))
    randomize(cell)
    return cell


def _random_states(cell, seed=3):
    rng = np.random.default_rng(seed)
    m = memory()
    states = cell.get_initial_state(m)
    return [
        rng.normal(scale=0.5, size=s.shape).astype("float32") for s in states
    ]


@all_inner_cells
@pytest.mark.parametrize("output_attention", [True, False])
def test_one_step_matches_the_equations(inner_class, output_attention):
    cell = _built_cell(inner_class, output_attention=output_attention)
    x, m = inputs()[:, 0], memory()
    output_tm1, attention_tm1, alignments_tm1, *cell_states = _random_states(
        cell
    )
    output, states = cell(
        x,
        [output_tm1, attention_tm1, alignments_tm1, *cell_states],
        memory=m,
        memory_mask=SOURCE_MASK,
    )

    # The wrapped cell, trusted, on the input fed with a_{t-1}.
    h, expected_cell_states = cell.cell(
        np.concatenate([x, attention_tm1], -1), cell_states
    )
    h = np.asarray(h, "float64")
    w = np.asarray(cell.attention.memory_kernel, "float64")
    context, alignments = reference_attention(
        np.einsum("bd,btd->bt", h, m @ w), m, SOURCE_MASK
    )
    attention = np.tanh(
        np.concatenate([h, context], -1) @ np.asarray(cell.attention_kernel)
    )
    expected_output = attention if output_attention else h

    np.testing.assert_allclose(output, expected_output, atol=1e-5)
    np.testing.assert_allclose(states[0], expected_output, atol=1e-5)
    np.testing.assert_allclose(states[1], attention, atol=1e-5)
    np.testing.assert_allclose(states[2], alignments, atol=1e-6)
    for state, expected in zip(states[3:], expected_cell_states):
        np.testing.assert_allclose(state, expected, atol=1e-5)


def test_without_input_feeding_the_cell_sees_the_input_alone():
    cell = _built_cell(kg.LNGRUCell, input_feeding=False)
    assert tuple(cell.cell.kernel.shape)[0] == FEATURES
    x, m = inputs()[:, 0], memory()
    states = _random_states(cell)
    h, _ = cell.cell(x, states[3:])
    _, new_states = cell(x, states, memory=m)
    np.testing.assert_allclose(new_states[3], h, atol=1e-6)


@all_inner_cells
def test_state_layout(inner_class):
    cell = kg.AttentionDecoderCell(inner_class(UNITS), attention_units=3)
    inner_sizes = cell.cell_state_size
    assert cell.state_size == [3, 3, None, *inner_sizes]
    assert cell.output_size == 3
    states = cell.get_initial_state(memory())
    assert [tuple(s.shape) for s in states] == [
        (BATCH, 3),
        (BATCH, 3),
        (BATCH, SOURCE_LEN),
        *[(BATCH, size) for size in inner_sizes],
    ]
    for state in states:
        np.testing.assert_array_equal(state, 0.0)

    bahdanau_style = kg.AttentionDecoderCell(
        inner_class(UNITS), attention_units=3, output_attention=False
    )
    assert bahdanau_style.output_size == UNITS
    assert bahdanau_style.state_size[:2] == [UNITS, 3]


def test_get_initial_state_takes_the_wrapped_cells_states():
    cell = kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS))
    h, c = np.ones((BATCH, UNITS)), 2 * np.ones((BATCH, UNITS))
    states = cell.get_initial_state(memory(), [h, c])
    np.testing.assert_array_equal(states[3], h)
    np.testing.assert_array_equal(states[4], c)
    with pytest.raises(ValueError, match="2 states.*received 1"):
        cell.get_initial_state(memory(), [h])


def test_precomputed_keys_equal_computing_them_in_the_step():
    cell = _built_cell(attention="bahdanau")
    m = memory()
    states = _random_states(cell)
    x = inputs()[:, 0]
    keys = cell.project_memory(m)
    with_keys = cell(x, states, memory=m, keys=keys)
    without = cell(x, states, memory=m)
    np.testing.assert_allclose(with_keys[0], without[0], atol=1e-6)


def test_project_memory_needs_a_built_cell_and_the_built_memory_size():
    with pytest.raises(ValueError, match="project_memory.*built"):
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS)).project_memory(memory())
    cell = _built_cell()
    with pytest.raises(ValueError, match="memory"):
        cell.project_memory(np.zeros((BATCH, 3, MEMORY_DIM + 1), "float32"))


@pytest.mark.parametrize(
    "name, mechanism",
    [("luong", kg.LuongAttention), ("Bahdanau", kg.BahdanauAttention)],
)
def test_attention_by_name(name, mechanism):
    assert (
        type(kg.AttentionDecoderCell(kg.LNGRUCell(2), name).attention)
        is mechanism
    )


@pytest.mark.parametrize(
    "kwargs, argument, received",
    [
        ({"attention": "dot"}, "attention", "'dot'"),
        ({"attention": keras.layers.Attention()}, "attention", "Attention"),
        ({"attention_units": 0}, "attention_units", "0"),
        ({"output_attention": "yes"}, "output_attention", "'yes'"),
        ({"input_feeding": 1}, "input_feeding", "1"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument, received):
    with pytest.raises(ValueError, match=f"`{argument}`.*{received}"):
        kg.AttentionDecoderCell(kg.LNGRUCell(2), **kwargs)


def test_attention_that_reaches_nothing_is_refused():
    with pytest.raises(
        ValueError, match="output_attention=False with input_feeding=False"
    ):
        kg.AttentionDecoderCell(
            kg.LNGRUCell(2), output_attention=False, input_feeding=False
        )


def test_inputs_with_a_keras_mask_are_accepted_and_no_mask_is_returned():
    # A decoding step embeds tokens; `mask_zero` attaches a mask to them.
    cell = kg.AttentionDecoderCell(kg.LNGRUCell(UNITS))
    tokens = np.array([0, 3, 5])
    embedded = keras.layers.Embedding(8, FEATURES, mask_zero=True)(tokens)
    m = memory()
    output, _ = cell(embedded, cell.get_initial_state(m), memory=m)
    assert getattr(output, "_keras_mask", None) is None


def test_cells_without_a_flat_state_are_refused():
    with pytest.raises(ValueError, match="`cell`.*flat list"):
        kg.AttentionDecoderCell(keras.layers.Dense(3))
    stacked = keras.layers.StackedRNNCells([kg.LNGRUCell(2), kg.LNLSTMCell(2)])
    with pytest.raises(ValueError, match="`cell`.*flat list"):
        kg.AttentionDecoderCell(stacked)


def test_wrong_input_rank_is_a_clear_error():
    cell = kg.AttentionDecoderCell(kg.LNGRUCell(2))
    with pytest.raises(ValueError, match=r"\(batch_size, features\)"):
        cell.build((None, 3, FEATURES), (None, None, MEMORY_DIM))


@all_inner_cells
def test_config_round_trip(inner_class):
    cell = kg.AttentionDecoderCell(
        inner_class(5, dropout=0.25, name="inner"),
        kg.BahdanauAttention(units=4, normalize=True),
        attention_units=6,
        attention_activation="relu",
        output_attention=False,
        kernel_regularizer="l2",
        name="my_cell",
    )
    config = cell.get_config()
    clone = kg.AttentionDecoderCell.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == "keras_gated>AttentionDecoderCell"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored.cell) is inner_class
    assert restored.cell.get_config() == cell.cell.get_config()
    assert restored.attention.get_config() == cell.attention.get_config()
    assert restored.get_config() == config


# --- The Show-Attend-Tell wiring ---------------------------------------------

NUMPY_INNER_CELLS = [kg.LNLSTMCell, kg.LNGRUCell, kg.SRUCell]


def _show_attend_tell_cell(
    inner_class=kg.LNLSTMCell, mechanism_class=kg.BahdanauAttention, **kwargs
):
    cell = kg.AttentionDecoderCell(
        inner_class(UNITS),
        mechanism_class(),
        wiring="show_attend_tell",
        **kwargs,
    )
    cell.build((None, FEATURES), (None, None, MEMORY_DIM))
    randomize(cell)
    return cell


@pytest.mark.parametrize(
    "inner_class", NUMPY_INNER_CELLS, ids=lambda c: c.__name__
)
@all_mechanisms
@pytest.mark.parametrize("context_gate", [False, True], ids=["no_gate", "gate"])
@pytest.mark.parametrize("output_context", [False, True])
def test_show_attend_tell_step_matches_numpy(
    inner_class, mechanism_class, context_gate, output_context
):
    cell = _show_attend_tell_cell(
        inner_class,
        mechanism_class,
        context_gate=context_gate,
        output_context=output_context,
    )
    x, m = inputs()[:, 0], memory()
    states = _random_states(cell)
    output, new_states = cell(x, states, memory=m, memory_mask=SOURCE_MASK)

    inner = cell.cell
    expected = ref.show_attend_tell_step(
        registry.rnn_cell(inner).reference(inner),
        registry.mechanism_scores(cell.attention),
        x.astype("float64"),
        m.astype("float64"),
        SOURCE_MASK,
        [s.astype("float64") for s in states[3:]],
        gate=registry.show_attend_tell_gate(cell),
        output_context=output_context,
    )
    expected_output, context, alignments, inner_states = expected
    np.testing.assert_allclose(output, expected_output, atol=1e-5)
    np.testing.assert_allclose(new_states[0], expected_output, atol=1e-5)
    np.testing.assert_allclose(new_states[1], context, atol=1e-5)
    np.testing.assert_allclose(new_states[2], alignments, atol=1e-6)
    assert len(new_states) == 3 + len(inner_states)
    for state, want in zip(new_states[3:], inner_states):
        np.testing.assert_allclose(state, want, atol=1e-5)
    # The query is h_{t-1}: the alignments do not depend on x_t.
    _, other = cell(x + 1.0, states, memory=m, memory_mask=SOURCE_MASK)
    np.testing.assert_array_equal(other[2], new_states[2])
    np.testing.assert_array_equal(np.asarray(alignments)[~SOURCE_MASK], 0.0)


def test_the_gate_is_one_scalar_per_example():
    cell = _show_attend_tell_cell(context_gate=True)
    ungated = kg.AttentionDecoderCell(
        kg.LNLSTMCell(UNITS),
        kg.BahdanauAttention(),
        wiring="show_attend_tell",
    )
    ungated.build((None, FEATURES), (None, None, MEMORY_DIM))
    ungated.cell.set_weights(cell.cell.get_weights())
    ungated.attention.set_weights(cell.attention.get_weights())
    x, m = inputs()[:, 0], memory()
    states = _random_states(cell)
    _, gated_states = cell(x, states, memory=m)
    _, plain_states = ungated(x, states, memory=m)
    ratio = np.asarray(gated_states[1]) / np.asarray(plain_states[1])
    beta = 1.0 / (
        1.0
        + np.exp(
            -(
                states[3] @ np.asarray(cell.gate_kernel)
                + np.asarray(cell.gate_bias)
            )
        )
    )
    np.testing.assert_allclose(
        ratio, np.broadcast_to(beta, ratio.shape), rtol=1e-4
    )
    np.testing.assert_array_equal(gated_states[2], plain_states[2])


@all_inner_cells
def test_show_attend_tell_state_layout(inner_class):
    cell = kg.AttentionDecoderCell(
        inner_class(UNITS), wiring="show_attend_tell", output_context=True
    )
    inner_sizes = cell.cell_state_size
    assert cell.state_size == [None, None, None, *inner_sizes]
    cell.build((None, FEATURES), (None, None, MEMORY_DIM))
    assert cell.output_size == UNITS + MEMORY_DIM
    assert cell.state_size == [
        UNITS + MEMORY_DIM,
        MEMORY_DIM,
        None,
        *inner_sizes,
    ]
    states = cell.get_initial_state(memory())
    assert [tuple(s.shape) for s in states] == [
        (BATCH, UNITS + MEMORY_DIM),
        (BATCH, MEMORY_DIM),
        (BATCH, SOURCE_LEN),
        *[(BATCH, size) for size in inner_sizes],
    ]
    # No W_c; the wrapped cell reads [x_t; z_t]; the query is its state.
    assert not hasattr(cell, "attention_kernel")
    kernel = next(w for w in cell.cell.weights if w.name == "kernel")
    assert tuple(kernel.shape)[0] == FEATURES + MEMORY_DIM
    plain = kg.AttentionDecoderCell(
        inner_class(UNITS), wiring="show_attend_tell"
    )
    assert plain.output_size == UNITS
    assert plain.state_size[0] == UNITS


def test_show_attend_tell_config_round_trip():
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(5, name="inner"),
        kg.LuongAttention(use_scale=True),
        wiring="show_attend_tell",
        context_gate=True,
        output_context=True,
        kernel_regularizer="l2",
        name="sat",
    )
    config = cell.get_config()
    assert config["wiring"] == "show_attend_tell"
    assert config["context_gate"] and config["output_context"]
    for name in ("attention_units", "output_attention", "input_feeding"):
        assert name not in config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(cell)
    )
    assert restored.get_config() == config
    assert restored.wiring == "show_attend_tell"
    # The default wiring's config names its wiring too, and old configs
    # without the key load as the default wiring.
    default = kg.AttentionDecoderCell(kg.LNGRUCell(3)).get_config()
    assert default["wiring"] == "default"
    for name in ("wiring", "context_gate", "output_context"):
        del default[name]
    assert kg.AttentionDecoderCell.from_config(default).wiring == "default"


@pytest.mark.parametrize(
    "kwargs, argument, received",
    [
        ({"wiring": "bahdanau"}, "wiring", "'bahdanau'"),
        ({"wiring": None}, "wiring", "None"),
        ({"context_gate": "yes"}, "context_gate", "'yes'"),
        ({"output_context": 1}, "output_context", "1"),
        ({"context_gate": True}, "context_gate", "wiring='default'"),
        ({"output_context": True}, "output_context", "wiring='default'"),
        (
            {"wiring": "show_attend_tell", "attention_units": 4},
            "attention_units",
            "4",
        ),
        (
            {"wiring": "show_attend_tell", "input_feeding": True},
            "input_feeding",
            "True",
        ),
        (
            {"wiring": "show_attend_tell", "output_attention": False},
            "output_attention",
            "False",
        ),
        (
            {"wiring": "show_attend_tell", "attention_activation": "relu"},
            "attention_activation",
            "'relu'",
        ),
    ],
)
def test_show_attend_tell_bad_arguments_name_the_argument(
    kwargs, argument, received
):
    with pytest.raises(ValueError, match=f"`{argument}`.*{received}"):
        kg.AttentionDecoderCell(kg.LNGRUCell(2), **kwargs)
