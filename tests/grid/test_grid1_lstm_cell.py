"""`kg.Grid1LSTMCell`: its reference, options, layout and config.

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
        pytest.param({"use_peepholes": True, "forget_bias": 0.5}, id="options"),
    ],
)
def test_matches_numpy_reference_with_random_weights(kwargs):
    cases.reference_with_random_weights(kg.Grid1LSTMCell, **kwargs)


def test_layout_of_the_docstring():
    cases.layout(
        kg.Grid1LSTMCell, ("h0", "c0"), {"kernel": (3, 12), "bias": (12,)}
    )


def test_config_holds_its_own_arguments():
    own = {"use_peepholes": True, "forget_bias": 0.5}
    cases.config_holds_its_own_arguments(kg.Grid1LSTMCell, own, **own)


def test_forget_bias_is_added_at_run_time_not_in_the_bias():
    cell = cases.layout(
        kg.Grid1LSTMCell,
        ("h0", "c0"),
        {"kernel": (3, 12), "bias": (12,)},
        forget_bias=2.0,
    )
    assert cell.forget_bias == 2.0
    for inner in cell.cells:
        np.testing.assert_array_equal(inner.bias, np.zeros(inner.bias.shape))


def test_peepholes_add_the_diagonal_weights():
    cases.layout(
        kg.Grid1LSTMCell,
        ("h0", "c0"),
        {
            "kernel": (3, 12),
            "bias": (12,),
            "w_f_diag": (3,),
            "w_i_diag": (3,),
            "w_o_diag": (3,),
        },
        use_peepholes=True,
    )
