"""What Keras' own time loops output at masked steps, backend by backend.

`keras.layers.RNN(any_cell)` runs Keras' loop, whose masked-step outputs
differ across backends; keras_gated's own layers (`LNLSTM`, `LNGRU`, `SRU`,
`AttentionDecoder`) correct them to the TensorFlow `while_loop`'s semantics
on every backend (docs/design/0006; the property tests check them). These
tests pin Keras' behaviour with Keras' own `SimpleRNNCell`, so that a Keras
release that changes it is noticed: the xfails are strict, they fail the
day Keras fixes the bug, and `docs/backends.md` must then be updated.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg

BACKEND = keras.backend.backend()
X = np.ones((1, 3, 1), "float32")
H0 = np.full((1, 2), 5.0, "float32")
Y = np.tanh(1.0)  # every valid step: tanh(x W + h U) with W = 1, U = 0


def _keras_rnn(**kwargs):
    cell = keras.layers.SimpleRNNCell(
        2,
        use_bias=False,
        kernel_initializer="ones",
        recurrent_initializer="zeros",
    )
    return keras.layers.RNN(cell, return_sequences=True, **kwargs)


def _sru(**kwargs):
    """A fused layer with the same three steps: `h_t = tanh(1) = Y`."""
    layer = kg.SRU(
        2,
        activation="tanh",
        use_recurrent_kernel=False,
        use_bias=False,
        return_sequences=True,
        **kwargs,
    )
    layer.build((None, None, 1))
    # x̃ = 1, f = σ(-inf) = 0, r = σ(inf) = 1: h = tanh(x̃) = Y at valid steps.
    layer.cell.kernel.assign(np.array([[1, 1, -1e4, -1e4, 1e4, 1e4, 0, 0]]))
    return layer


def test_scan_before_the_first_valid_step():
    # Left padding with a nonzero initial state: TensorFlow (and the
    # unrolled loops) output zeros there, JAX's scan the initial state.
    mask = np.array([[False, True, True]])
    out = np.asarray(_keras_rnn()(X, initial_state=[H0], mask=mask))
    expected_first = H0[0] if BACKEND == "jax" else [0.0, 0.0]
    np.testing.assert_allclose(out[0, 0], expected_first)
    np.testing.assert_allclose(out[0, 1:], Y, rtol=1e-6)
    # Ours: zeros on every backend.
    ours = np.asarray(_sru()(X, initial_state=[H0, H0], mask=mask))
    np.testing.assert_allclose(ours[0], [[0, 0], [Y, Y], [Y, Y]], rtol=1e-6)


# Two cases where Keras' unrolled loops are wrong: (flags, mask, the outputs).
GO_BACKWARDS = (
    {"unroll": True, "go_backwards": True, "zero_output_for_mask": True},
    np.array([[True, True, False]]),  # processed as [False, True, True]
    [[0, 0], [Y, Y], [Y, Y]],
)
HOLE = (
    {"unroll": True, "zero_output_for_mask": True},
    np.array([[True, False, True]]),
    [[Y, Y], [0, 0], [Y, Y]],
)


@pytest.mark.parametrize(
    "case", [GO_BACKWARDS, HOLE], ids=["go_backwards", "hole"]
)
def test_ours_unrolled_zero_output_for_mask(case):
    flags, mask, expected = case
    out = np.asarray(_sru(**flags)(X, mask=mask))
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)


@pytest.mark.xfail(
    BACKEND == "tensorflow",
    reason="Keras' unrolled TensorFlow loop zeros the outputs of the wrong "
    "steps with go_backwards and zero_output_for_mask (it applies the mask "
    "unreversed)",
    raises=AssertionError,
    strict=True,
)
@pytest.mark.xfail(
    BACKEND == "torch",
    reason="Keras' unrolled PyTorch loop cannot reverse a mask: "
    "`torch.flip` of a tuple raises AttributeError",
    raises=AttributeError,
    strict=True,
)
def test_keras_unrolled_go_backwards_zero_output_for_mask():
    flags, mask, expected = GO_BACKWARDS
    out = np.asarray(_keras_rnn(**flags)(X, mask=mask))
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)


@pytest.mark.xfail(
    BACKEND == "jax",
    reason="Keras' unrolled JAX loop ignores zero_output_for_mask",
    strict=True,
)
def test_keras_unrolled_zero_output_for_mask_with_a_hole():
    flags, mask, expected = HOLE
    out = np.asarray(_keras_rnn(**flags)(X, mask=mask))
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)
