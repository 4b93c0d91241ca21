"""`kg.Grid1GRUCell`: its reference, options, layout and config.

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
    ],
)
def test_matches_numpy_reference_with_random_weights(kwargs):
    cases.reference_with_random_weights(kg.Grid1GRUCell, **kwargs)


def test_layout_of_the_docstring():
    cases.layout(
        kg.Grid1GRUCell,
        ("h0",),
        {
            "gates_kernel": (3, 6),
            "gates_bias": (6,),
            "candidate_kernel": (3, 3),
            "candidate_bias": (3,),
        },
    )


def test_config_holds_its_own_arguments():
    own = {}
    cases.config_holds_its_own_arguments(kg.Grid1GRUCell, own, **own)


def test_the_gate_bias_starts_at_one():
    cell = cases.layout(
        kg.Grid1GRUCell,
        ("h0",),
        {
            "gates_kernel": (3, 6),
            "gates_bias": (6,),
            "candidate_kernel": (3, 3),
            "candidate_bias": (3,),
        },
    )
    for inner in cell.cells:
        np.testing.assert_array_equal(
            inner.gates_bias, np.ones(2 * cases.UNITS)
        )
