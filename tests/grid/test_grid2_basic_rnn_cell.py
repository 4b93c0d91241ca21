"""`kg.Grid2BasicRNNCell`: its reference, options, layout and config.

The generic RNN contract runs on it from tests/registry.py; contrib's
values in tests/grid/test_contrib_values.py.
"""

import pytest

import keras_gated as kg
from tests.grid import preset_cases as cases


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"tied": True}, id="tied"),
        pytest.param({"non_recurrent_activation": "relu"}, id="non_recurrent"),
        pytest.param(
            {"tied": True, "non_recurrent_activation": "tanh"},
            id="tied_non_recurrent",
        ),
    ],
)
def test_matches_numpy_reference_with_random_weights(kwargs):
    cases.reference_with_random_weights(kg.Grid2BasicRNNCell, **kwargs)


def test_layout_of_the_docstring():
    cases.layout(
        kg.Grid2BasicRNNCell, ("h0", "h1"), {"kernel": (6, 3), "bias": (3,)}
    )


def test_config_holds_its_own_arguments():
    own = {"tied": True, "non_recurrent_activation": "tanh"}
    cases.config_holds_its_own_arguments(kg.Grid2BasicRNNCell, own, **own)


def test_a_non_recurrent_dimension_0_gives_the_output_its_own_state():
    cell = kg.Grid2BasicRNNCell(cases.UNITS, non_recurrent_activation="relu")
    assert cell.state_names == ("output", "h1")
    assert cell.non_recurrent_dims == [0]


def test_tied_shares_one_inner_cell():
    assert len(kg.Grid2BasicRNNCell(cases.UNITS, tied=True).cells) == 1
    assert len(kg.Grid2BasicRNNCell(cases.UNITS).cells) == 2
