"""`kg.Grid2BasicLSTMCell`: its reference, options, layout and config.

The generic RNN contract runs on it from tests/registry.py; contrib's
values in tests/grid/test_contrib_values.py.
"""

import numpy as np
import pytest

import keras_gated as kg
from tests.grid import preset_cases as cases


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"forget_bias": 0.5}, id="options"),
        pytest.param({"forget_bias": 0.5, "tied": True}, id="tied"),
        pytest.param(
            {"forget_bias": 0.5, "non_recurrent_activation": "relu"},
            id="non_recurrent",
        ),
        pytest.param(
            {
                "forget_bias": 0.5,
                "tied": True,
                "non_recurrent_activation": "tanh",
            },
            id="tied_non_recurrent",
        ),
    ],
)
def test_matches_numpy_reference_with_random_weights(kwargs):
    cases.reference_with_random_weights(kg.Grid2BasicLSTMCell, **kwargs)


def test_layout_of_the_docstring():
    cases.layout(
        kg.Grid2BasicLSTMCell,
        ("h0", "c0", "h1", "c1"),
        {"kernel": (6, 12), "bias": (12,)},
    )


def test_config_holds_its_own_arguments():
    own = {"forget_bias": 0.5, "tied": True, "non_recurrent_activation": "tanh"}
    cases.config_holds_its_own_arguments(kg.Grid2BasicLSTMCell, own, **own)


def test_forget_bias_is_added_at_run_time_not_in_the_bias():
    cell = cases.layout(
        kg.Grid2BasicLSTMCell,
        ("h0", "c0", "h1", "c1"),
        {"kernel": (6, 12), "bias": (12,)},
        forget_bias=2.0,
    )
    assert cell.forget_bias == 2.0
    for inner in cell.cells:
        np.testing.assert_array_equal(inner.bias, np.zeros(inner.bias.shape))


def test_a_non_recurrent_dimension_0_gives_the_output_its_own_state():
    cell = kg.Grid2BasicLSTMCell(cases.UNITS, non_recurrent_activation="relu")
    assert cell.state_names == ("output", "h1", "c1")
    assert cell.non_recurrent_dims == [0]


def test_tied_shares_one_inner_cell():
    assert len(kg.Grid2BasicLSTMCell(cases.UNITS, tied=True).cells) == 1
    assert len(kg.Grid2BasicLSTMCell(cases.UNITS).cells) == 2
