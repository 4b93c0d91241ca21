import math

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.cells.fixed_weights import run_with_fixed_weights


def test_fixed_weights_with_projected_highway():
    # FIXED_INPUTS have 4 features: 3 units need the projection P.
    sequence, (h, c) = run_with_fixed_weights(kg.SRUCell(3))
    np.testing.assert_allclose(
        sequence,
        [
            [
                [0.1059151, 0.0976474, 0.0429543],
                [0.2915894, 0.2382198, 0.0721572],
                [0.4936793, 0.3900912, 0.1008074],
            ],
            [
                [0.6483500, 0.4953722, 0.1122705],
                [0.8961339, 0.6903708, 0.1541243],
                [1.1157384, 0.8524650, 0.1854095],
            ],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(h, sequence[:, -1])
    np.testing.assert_allclose(
        c,
        [[0.4103870, 0.3639629, 0.1000332], [1.0113194, 0.8406734, 0.1882254]],
        atol=1e-6,
    )


def test_fixed_weights_with_identity_highway():
    sequence, (h, c) = run_with_fixed_weights(kg.SRUCell(4))
    np.testing.assert_allclose(
        sequence[:, -1],
        [
            [0.6249214, 0.5525209, 0.3808994, 0.3525498],
            [1.4299082, 1.1029651, 0.6028687, 0.6736989],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        c,
        [
            [0.4317627, 0.3646831, 0.0975601, -0.1777661],
            [1.0643131, 0.8404888, 0.1831742, -0.4507120],
        ],
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, features",
    [
        ({}, 6),
        ({"use_layer_norm": True}, 4),
        ({"use_layer_norm": True}, 6),
        ({"activation": "tanh"}, 4),
        ({"use_recurrent_kernel": False}, 4),
        ({"use_bias": False}, 6),
    ],
    ids=[
        "identity_highway",
        "layer_norm",
        "layer_norm_identity",
        "tanh",
        "no_recurrent_kernel",
        "no_bias",
    ],
)
def test_options_match_the_reference(kwargs, features):
    cell = kg.SRUCell(6, **kwargs)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn.build((None, None, features))
    randomize(cell)
    x = np.random.default_rng(0).normal(size=(3, 5, features)).astype("float32")
    expected, _ = ref.run_rnn(
        reference_step(cell), x.astype("float64"), [np.zeros((3, 6))] * 2
    )
    np.testing.assert_allclose(rnn(x), expected, atol=1e-5)


@pytest.mark.parametrize(
    "features, kwargs, expected",
    [
        (5, {}, {"kernel": (5, 12), "recurrent_kernel": (6,), "bias": (6,)}),
        (3, {}, {"kernel": (3, 9), "recurrent_kernel": (6,), "bias": (6,)}),
        (
            3,
            {"use_recurrent_kernel": False, "use_bias": False},
            {"kernel": (3, 9)},
        ),
        (
            5,
            {"use_layer_norm": True},
            {
                "input_norm_gamma": (5,),
                "input_norm_beta": (5,),
                "kernel": (5, 12),
                "recurrent_kernel": (6,),
                "bias": (6,),
            },
        ),
    ],
)
def test_weight_layout(features, kwargs, expected):
    cell = kg.SRUCell(3, **kwargs)
    cell.build((None, features))
    assert {w.name: tuple(w.shape) for w in cell.weights} == expected
    assert cell.state_size == [3, 3]


def test_default_initialization_follows_the_sru_recipe():
    d, units = 400, 300
    cell = kg.SRUCell(units, seed=0)
    cell.build((None, d))
    kernel = np.asarray(cell.kernel)
    x_tilde, w_f, w_r, p = np.split(kernel, 4, axis=1)
    limit = math.sqrt(3 / d)
    assert np.abs(kernel).max() <= limit
    np.testing.assert_allclose(x_tilde.var(), 1 / d, rtol=0.05)
    np.testing.assert_allclose(p.var(), 1 / d, rtol=0.05)
    np.testing.assert_allclose(w_f.var(), 0.5 / d, rtol=0.05)
    np.testing.assert_allclose(w_r.var(), 0.5 / d, rtol=0.05)
    v = np.asarray(cell.recurrent_kernel)
    assert np.abs(v).max() <= math.sqrt(1.5)
    np.testing.assert_allclose(v.var(), 0.5, rtol=0.15)
    np.testing.assert_array_equal(cell.bias, np.zeros(2 * units))


def test_an_explicit_initializer_is_used_as_given():
    cell = kg.SRUCell(
        2, kernel_initializer="ones", recurrent_initializer="zeros"
    )
    cell.build((None, 3))
    np.testing.assert_array_equal(cell.kernel, np.ones((3, 8)))
    np.testing.assert_array_equal(cell.recurrent_kernel, np.zeros(4))


def test_input_dropout_leaves_the_identity_highway_raw():
    cell = kg.SRUCell(4, dropout=0.5, seed=1)
    cell.build((None, 4))
    x = np.ones((3, 4), "float32")
    projection = np.asarray(cell.project(x, training=True))
    cell.reset_dropout_mask()
    np.testing.assert_array_equal(projection[:, 12:], x)
    # The blocks computed from x W do see the dropped (and rescaled) input.
    assert not np.allclose(
        projection[:, :12], np.asarray(cell.project(x))[:, :12]
    )


def test_recurrent_dropout_needs_the_recurrent_kernel():
    with pytest.raises(
        ValueError, match="recurrent_dropout=0.2.*use_recurrent_kernel"
    ):
        kg.SRUCell(3, use_recurrent_kernel=False, recurrent_dropout=0.2)


@pytest.mark.parametrize("argument", ["use_recurrent_kernel", "use_layer_norm"])
def test_boolean_options_are_validated(argument):
    with pytest.raises(ValueError, match=f"`{argument}`.*1"):
        kg.SRUCell(2, **{argument: 1})
