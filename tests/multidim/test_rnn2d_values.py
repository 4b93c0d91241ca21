"""`MultiDirectional(MDLSTM2D)` against rnn2d's own forward numbers.

`data/rnn2d_values.npz` was written by `data/make_rnn2d_values.py`, which
compiles the forward passes of Joan Puigcerver's rnn2d (C++, the
implementation issue 14 points to) and runs them in float64: its standard
cell for our `"graves"` variant and its stable cell for `"leifert"`, all
four directions at once, with and without per-image sizes. rnn2d's layout
differs from ours only by permutations, undone here:

- images `H x W x N x K` (ours `N x H x W x K`);
- per direction, in rnn2d's order top-left, top-right, bottom-left,
  bottom-right (`MultiDirectional`'s order), the bias `5D`, the input
  weights `K x 5D`, `Ry` (from the pixel before in `y`: our
  `recurrent_kernel_up`) and `Rx` (before in `x`: `recurrent_kernel_left`),
  with the gates in rnn2d's order `a, i, o, f_y, f_x` (ours `i, o, f_y,
  f_x, g`; for the stable cell `f_y` is its forget gate and `f_x` its
  `λ` gate);
- outputs `H x W x N x 4 x D` (ours `N x H x W x 4D`, the directions
  concatenated in the same order).
"""

import pathlib

import keras
import numpy as np
import pytest

import keras_gated as kg

VALUES = np.load(pathlib.Path(__file__).parent / "data" / "rnn2d_values.npz")
CASES = sorted({key.split("/")[0] for key in VALUES.files})
VARIANT = {"standard": "graves", "stable": "leifert"}
# rnn2d's gate blocks a, i, o, f_y, f_x, taken in our order i, o, f_y, f_x, g.
OUR_GATES = [1, 2, 3, 4, 0]


def _case(name):
    prefix = f"{name}/"
    return {
        key[len(prefix) :]: VALUES[key]
        for key in VALUES.files
        if key.startswith(prefix)
    }


def _gates(matrix, units):
    blocks = matrix.reshape(*matrix.shape[:-1], 5, units)
    return blocks[..., OUR_GATES, :].reshape(matrix.shape)


def _model(case, dtype, unroll):
    height, width, batch, channels = case["input"].shape
    units = case["output"].shape[-1]
    variant = VARIANT[str(case["cell"])]
    layer = kg.MultiDirectional(
        kg.MDLSTM2D(units, variant=variant, unroll=unroll, dtype=dtype),
        dtype=dtype,  # the wrapper casts its inputs to its own dtype
    )
    layer.build((batch, height, width, channels))
    size = 5 * units
    params = case["params"].reshape(4, -1)  # one row per direction
    for row, direction in zip(params, layer.layers):
        bias, row = row[:size], row[size:]
        kernel, row = row[: channels * size], row[channels * size :]
        up, left = row[: units * size], row[units * size :]
        direction.kernel.assign(_gates(kernel.reshape(channels, size), units))
        direction.recurrent_kernel_up.assign(
            _gates(up.reshape(units, size), units)
        )
        direction.recurrent_kernel_left.assign(
            _gates(left.reshape(units, size), units)
        )
        direction.bias.assign(_gates(bias, units))
    return layer


def test_the_fixture_covers_both_cells_with_and_without_sizes():
    cells = {(str(_case(n)["cell"]), "sizes" in _case(n)) for n in CASES}
    assert cells == {(c, s) for c in VARIANT for s in (False, True)}


@pytest.mark.parametrize("unroll", [True, False], ids=["diagonals", "loop"])
@pytest.mark.parametrize(
    "dtype, atol",
    [
        pytest.param("float64", 1e-12, marks=pytest.mark.float64),
        ("float32", 2e-6),
    ],
)
@pytest.mark.parametrize("name", CASES)
def test_matches_rnn2d(name, dtype, atol, unroll):
    case = _case(name)
    layer = _model(case, dtype, unroll)
    images = np.transpose(case["input"], (2, 0, 1, 3)).astype(dtype)
    sizes = case.get("sizes")
    outputs = keras.ops.convert_to_numpy(layer(images, sizes=sizes))
    height, width, batch, _, units = case["output"].shape
    expected = np.transpose(case["output"], (2, 0, 1, 3, 4)).reshape(
        batch, height, width, 4 * units
    )
    np.testing.assert_allclose(outputs, expected, rtol=0, atol=atol)
    if sizes is not None:  # off the image: zero, as in rnn2d
        rows = np.arange(height)[None, :, None] < sizes[:, :1, None]
        columns = np.arange(width)[None, None, :] < sizes[:, 1:, None]
        assert np.all(outputs[~(rows & columns)] == 0)
