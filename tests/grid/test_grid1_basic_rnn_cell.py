"""`kg.Grid1BasicRNNCell`: its reference, options, layout and config.

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
    ],
)
def test_matches_numpy_reference_with_random_weights(kwargs):
    cases.reference_with_random_weights(kg.Grid1BasicRNNCell, **kwargs)


def test_layout_of_the_docstring():
    cases.layout(
        kg.Grid1BasicRNNCell, ("h0",), {"kernel": (3, 3), "bias": (3,)}
    )


def test_config_holds_its_own_arguments():
    own = {}
    cases.config_holds_its_own_arguments(kg.Grid1BasicRNNCell, own, **own)
