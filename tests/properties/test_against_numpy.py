"""Property tests: every cell and fused layer equals the NumPy reference.

Over random batch, time (from 1), feature and unit sizes, cell options,
initial states, masks (right and left padding, holes, empty rows),
`go_backwards`, `return_sequences`, `return_state`, `zero_output_for_mask`
and `unroll`. The reference (`tests/numpy_reference.py`) is float64 and
encodes the masked-step semantics of Keras' TensorFlow loop, which our
layers keep on every backend.

The number of examples comes from the hypothesis profile (see
`tests/conftest.py`): 200 per test in CI on TensorFlow.
"""

import keras
import numpy as np
import pytest
from hypothesis import assume
from hypothesis import given
from hypothesis import strategies as st

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.cell_cases import keras_rnn_masking
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.properties.cases import CELL_OPTIONS
from tests.properties.cases import cases

ATOL = 1e-5

CELLS = [entry.cls for entry in registry.RNN_CELLS]
FUSABLE = [entry.cls for entry in registry.fusable_cells()]
LAYERS = {entry.cls: entry.fused for entry in registry.fusable_cells()}

# Built cells, reused by the examples of one test that share their shapes
# and options (building is most of the cost of a tiny example).
_built = {}


@pytest.fixture(autouse=True)
def _forget_built_cells():
    _built.clear()
    yield
    _built.clear()


def _cell(cell_class, features, units, options):
    key = (cell_class, features, units, tuple(sorted(options.items())))
    if key not in _built:
        cell = cell_class(units, **options)
        cell.build((None, features))
        _built[key] = cell
    return _built[key]


def _expected(case, cell, x, initial, initial_output="zeros"):
    """What `RNN(cell, **flags)(x, initial_state, mask)` should return."""
    if initial is None:
        initial = [np.zeros((case.batch, s)) for s in cell.state_size]
    sequence, states = ref.run_rnn(
        reference_step(cell),
        x.astype("float64"),
        initial,
        mask=case.mask,
        go_backwards=case.go_backwards,
        zero_output_for_mask=case.zero_output_for_mask,
        initial_output=initial_output,
    )
    output = sequence if case.return_sequences else sequence[:, -1]
    return [output, *states] if case.return_state else [output]


def _flags(case):
    return {
        "return_sequences": case.return_sequences,
        "return_state": case.return_state,
        "go_backwards": case.go_backwards,
        "zero_output_for_mask": case.zero_output_for_mask,
        "unroll": case.unroll,
    }


def _assert_matches(actual, expected, case):
    actual = list(actual) if isinstance(actual, (list, tuple)) else [actual]
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(a), e, atol=ATOL, err_msg=repr(case)
        )


@pytest.mark.parametrize("cell_class", CELLS, ids=lambda c: c.__name__)
@given(data=st.data())
def test_rnn_of_cell_matches_numpy(cell_class, data):
    case = data.draw(cases(), label="case")
    masking = keras_rnn_masking(
        case.mask is not None,
        case.unroll,
        case.go_backwards,
        case.zero_output_for_mask,
    )
    assume(masking is not None)
    options = data.draw(CELL_OPTIONS[cell_class.__name__], label="options")
    assume(
        registry.rnn_cell(cell_class).accepts(
            case.features, case.units, options
        )
    )
    cell = _cell(cell_class, case.features, case.units, options)
    randomize(cell, seed=case.seed)
    rnn = keras.layers.RNN(cell, **_flags(case))
    x, initial = case.inputs(), case.initial_states(cell.state_size)
    actual = rnn(x, initial_state=initial, mask=case.mask)
    expected = _expected(case, cell, x, initial, initial_output=masking)
    _assert_matches(actual, expected, case)


@pytest.mark.parametrize(
    "precompute", [True, False], ids=["precomputed", "in_loop"]
)
@pytest.mark.parametrize(
    "cell_class", FUSABLE, ids=lambda c: LAYERS[c].__name__
)
@given(data=st.data())
def test_fused_layer_matches_numpy(cell_class, precompute, data):
    case = data.draw(cases(), label="case")
    options = data.draw(CELL_OPTIONS[cell_class.__name__], label="options")
    assume(
        registry.rnn_cell(cell_class).accepts(
            case.features, case.units, options
        )
    )
    # The SRU's fused loop has a test of its own, below: here the SRU runs
    # Keras' loop, hoisted or not.
    if cell_class is kg.SRUCell:
        options = {**options, "fused_loop": False}
    layer = LAYERS[cell_class](
        case.units, precompute_projection=precompute, **options, **_flags(case)
    )
    layer.build((None, None, case.features))
    randomize(layer.cell, seed=case.seed)
    x, initial = case.inputs(), case.initial_states(layer.cell.state_size)
    actual = layer(x, initial_state=initial, mask=case.mask)
    _assert_matches(actual, _expected(case, layer.cell, x, initial), case)


@given(data=st.data())
def test_sru_fused_loop_matches_numpy(data):
    case = data.draw(cases(), label="case")
    options = data.draw(CELL_OPTIONS["SRUCell"], label="options")
    assume(not case.unroll)
    assume(
        registry.rnn_cell(kg.SRUCell).accepts(
            case.features, case.units, options
        )
    )
    fused_loop = keras.backend.backend() in ("tensorflow", "jax")
    layer = kg.SRU(case.units, fused_loop=fused_loop, **options, **_flags(case))
    layer.build((None, None, case.features))
    randomize(layer.cell, seed=case.seed)
    x, initial = case.inputs(), case.initial_states(layer.cell.state_size)
    actual = layer(x, initial_state=initial, mask=case.mask)
    _assert_matches(actual, _expected(case, layer.cell, x, initial), case)


@given(data=st.data())
def test_sru_parallel_scan_matches_numpy(data):
    case = data.draw(cases(max_steps=12), label="case")
    options = data.draw(CELL_OPTIONS["SRUCell"], label="options")
    options["use_recurrent_kernel"] = False
    assume(
        registry.rnn_cell(kg.SRUCell).accepts(
            case.features, case.units, options
        )
    )
    layer = kg.SRU(case.units, parallel_scan=True, **options, **_flags(case))
    layer.build((None, None, case.features))
    randomize(layer.cell, seed=case.seed)
    x, initial = case.inputs(), case.initial_states(layer.cell.state_size)
    actual = layer(x, initial_state=initial, mask=case.mask)
    _assert_matches(actual, _expected(case, layer.cell, x, initial), case)
