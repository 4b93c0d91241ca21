"""TF 1.15 contrib's own Grid RNN test values, reproduced.

The numbers are those asserted by
`tensorflow/contrib/grid_rnn/python/kernel_tests/grid_rnn_test.py` at
TF 1.15 (and, at the end, by the same file before TF 1.0, whose cells had a
concatenated state). contrib's tests ran under a constant variable-scope
initializer (0.2 or 0.5): every projection, non-recurrent kernel, inner
kernel and peephole weight takes that constant, every bias is zero
(TF1's cells and `fully_connected` give their biases an explicit zeros
initializer).

**One finding.** The TF 1.15 values of the 2-D cells (`Grid2BasicLSTMCell`,
`Grid2LSTMCell`, `Grid2BasicRNNCell`, tied or not, with or without a
non-recurrent dimension) are reproduced only if the inner cells' kernels
are block-diagonal: the rows of the inner cell's input `s` feed the first
half of the kernel's columns (for an LSTM the gates `i`, `j`), the rows of
its recurrent `r` the second half (`f`, `o`); a uniform kernel misses them
by up to 0.2. A uniform kernel reproduces the 1-D and 3-D values of
TF 1.15, and every 2-D value of the pre-1.0 test file, with the same
wiring. The wiring (which `h` is input, which recurrent, in which order)
is what these tests pin, and it is the same in all of them; we do not
know what made the 2-D kernels of the TF 1.15 run block-diagonal, so the
2-D cases state the kernel they use.

**Not expressible, with the reason:**

- `testGridRNNEdgeCasesNoOutput`: a cell without output dimensions; a
  Keras RNN cell has an output (its first state), so `output_dims=None`
  is refused. The test asserted shapes only, no values.
- The `...WithRNN` tests (`testGrid2LSTMCellWithRNN`,
  `testGrid2LSTMCellReLUWithRNN`, `testGrid3LSTMCellReLUWithRNN`,
  `testGrid1LSTMCellWithRNN`, `testGrid2LSTMCellWithRNNAndDynamicBatchSize`)
  assert shapes and finiteness only: reproduced below as such, in
  `keras.layers.RNN`, with no values to count.
- `Grid1LSTMCell`'s no-input steps fed an input of shape `(0, 0)` (no
  batch); ours is `(1, 0)`, a batch of one with zero features, which our
  cell treats as contrib treated "no input" (the state is not
  overwritten).
- `testGrid2LSTMCellLegacy` (`state_is_tuple=False`): the concatenated
  state `[c0, h0, c1, h1]` is expressed by reordering our `[h0, c0, h1,
  c1]`.

`test_the_count_of_reproduced_values` counts them: 148 values from TF
1.15 and 114 from the pre-1.0 file.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg


def _constant(cell, value, block_diagonal=False):
    """contrib's constant initializer on a built cell (see the docstring)."""
    for w in cell.weights:
        name = w.name
        if "bias" in name:
            w.assign(np.zeros(w.shape, w.dtype))
            continue
        array = np.full(w.shape, value, w.dtype)
        inner_kernel = name == "kernel" and len(w.shape) == 2
        if block_diagonal and inner_kernel:
            rows, columns = w.shape
            r = np.arange(rows)[:, None] < rows // 2
            c = np.arange(columns)[None, :] < columns // 2
            array = np.where(r == c, array, 0.0).astype(w.dtype)
        w.assign(array)


def _states(cell, pairs, output=None):
    """Our flat states from contrib's per-dimension `(c, h)` or `h`."""
    states = []
    if cell.has_output_state:
        states.append(np.zeros((1, cell.state_size[0]), "float32"))
    for pair in pairs:
        if cell.has_memory:
            c, h = pair
            states += [h, c]
        else:
            states.append(pair)
    return [np.asarray(s, "float32") for s in states]


def _as_contrib(cell, states):
    """Our new states as contrib's tuple of `(c, h)` or `h`, in dim order."""
    states = [np.asarray(s) for s in states]
    if cell.has_output_state:
        states = states[1:]
    per_dim = {}
    width = 2 if cell.has_memory else 1
    for k, d in enumerate(cell.state_dims):
        chunk = states[k * width : (k + 1) * width]
        per_dim[d] = (chunk[1], chunk[0]) if cell.has_memory else chunk[0]
    return [per_dim[d] for d in cell.recurrent_dims]


def _run(cell, x, pairs, value, block_diagonal=False):
    x = np.asarray(x, "float32")
    states = _states(cell, pairs)
    if not cell.built:
        cell.build((None, x.shape[-1]))
        _constant(cell, value, block_diagonal)
    output, new_states = cell(x, states)
    return np.asarray(output), _as_contrib(cell, new_states)


def _close(actual, expected):
    np.testing.assert_allclose(
        np.asarray(actual, "float64"), expected, rtol=1e-6, atol=1e-6
    )
    return np.size(expected)


M_2D = [([[0.1, 0.2]], [[0.3, 0.4]]), ([[0.5, 0.6]], [[0.7, 0.8]])]
BASIC_LSTM_1 = (
    [[0.27813572, 0.27813572]],
    [
        ([[0.58389962, 0.58389962]], [[0.27813572, 0.27813572]]),
        ([[0.52472770, 0.60331118]], [[0.27650252, 0.30985516]]),
    ],
)


def _check(output, states, expected):
    expected_output, expected_states = expected
    count = _close(output, expected_output)
    for state, want in zip(states, expected_states, strict=True):
        if isinstance(want, tuple):
            count += _close(state[0], want[0]) + _close(state[1], want[1])
        else:
            count += _close(state, want)
    return count


# --- TF 1.15 ---------------------------------------------------------------


def case_grid2_basic_lstm():
    cell = kg.Grid2BasicLSTMCell(2)
    assert cell.state_size == [2, 2, 2, 2]
    output, states = _run(cell, [[1.0, 1.0, 1.0]], M_2D, 0.2, True)
    n = _check(output, states, BASIC_LSTM_1)
    output, states = _run(cell, [[2.0, 2.0, 2.0]], states, 0.2)
    return n + _check(
        output,
        states,
        (
            [[0.44053382, 0.44053382]],
            [
                ([[1.1822226, 1.18222260]], [[0.44053382, 0.44053382]]),
                ([[0.6710391, 0.73025036]], [[0.30998221, 0.32985979]]),
            ],
        ),
    )


def case_grid2_basic_lstm_tied():
    cell = kg.Grid2BasicLSTMCell(2, tied=True)
    assert len(cell.cells) == 1
    output, states = _run(cell, [[1.0, 1.0, 1.0]], M_2D, 0.2, True)
    n = _check(output, states, BASIC_LSTM_1)
    output, states = _run(cell, [[1.0, 1.0, 1.0]], states, 0.2)
    return n + _check(
        output,
        states,
        (
            [[0.27634764, 0.27634764]],
            [
                ([[0.58274859, 0.58274859]], [[0.27634764, 0.27634764]]),
                ([[0.52718318, 0.58639443]], [[0.25576338, 0.27909029]]),
            ],
        ),
    )


def case_grid2_basic_lstm_relu():
    cell = kg.Grid2BasicLSTMCell(2, non_recurrent_activation="relu")
    assert cell.state_names == ("output", "h1", "c1")
    pairs = [([[0.1, 0.2]], [[0.3, 0.4]])]
    output, states = _run(cell, [[1.0, 1.0, 1.0]], pairs, 0.2, True)
    return _check(
        output,
        states,
        (
            [[0.29142371, 0.29142371]],
            [([[0.20757815, 0.28334612]], [[0.10947458, 0.14764377]])],
        ),
    )


GRID2_LSTM = (
    [[0.83462638, 0.83462638]],
    [
        ([[2.19742370, 2.19742370]], [[0.83462638, 0.83462638]]),
        ([[1.21154201, 1.30832052]], [[0.66558737, 0.69353604]]),
    ],
)


def case_grid2_lstm():
    cell = kg.Grid2LSTMCell(2, use_peepholes=True)
    output, states = _run(cell, [[1.0, 1.0, 1.0]], M_2D, 0.5, True)
    return _check(output, states, GRID2_LSTM)


def case_grid2_lstm_tied():
    cell = kg.Grid2LSTMCell(2, tied=True, use_peepholes=True)
    output, states = _run(cell, [[1.0, 1.0, 1.0]], M_2D, 0.5, True)
    return _check(output, states, GRID2_LSTM)


def case_grid2_lstm_relu():
    cell = kg.Grid2LSTMCell(
        2, use_peepholes=True, non_recurrent_activation="relu"
    )
    pairs = [([[0.1, 0.2]], [[0.3, 0.4]])]
    output, states = _run(cell, [[1.0, 1.0, 1.0]], pairs, 0.5, True)
    return _check(
        output,
        states,
        (
            [[1.98171163, 1.98171163]],
            [([[0.82688755, 0.91509962]], [[0.46301097, 0.50041234]])],
        ),
    )


BASIC_RNN_X = [[1.0, 1.0], [2.0, 2.0]]
BASIC_RNN_M = [[[0.1, 0.1], [0.2, 0.2]], [[0.1, 0.1], [0.2, 0.2]]]
BASIC_RNN = (
    [[0.76159418, 0.40584856], [0.96402758, 0.52317500]],
    [
        [[0.76159418, 0.40584856], [0.96402758, 0.52317500]],
        [[0.76159418, 0.09966799], [0.96402758, 0.19737528]],
    ],
)


def _batch_states(cell, pairs):
    return [np.asarray(p, "float32") for p in pairs]


def case_grid2_basic_rnn():
    cell = kg.Grid2BasicRNNCell(2)
    assert cell.state_size == [2, 2]
    cell.build((None, 2))
    _constant(cell, 0.5, True)
    output, states = cell(
        np.asarray(BASIC_RNN_X, "float32"), _batch_states(cell, BASIC_RNN_M)
    )
    return _check(output, states, BASIC_RNN)


def case_grid2_basic_rnn_tied():
    cell = kg.Grid2BasicRNNCell(2, tied=True)
    cell.build((None, 2))
    _constant(cell, 0.5, True)
    output, states = cell(
        np.asarray(BASIC_RNN_X, "float32"), _batch_states(cell, BASIC_RNN_M)
    )
    return _check(output, states, BASIC_RNN)


def case_grid2_basic_rnn_relu():
    cell = kg.Grid2BasicRNNCell(2, non_recurrent_activation="relu")
    assert cell.state_size == [2, 2]  # [output, h1]
    output, states = _run(cell, [[1.0, 1.0]], [[[0.1, 0.1]]], 0.5, True)
    return _check(
        output,
        states,
        ([[1.43063116, 1.43063116]], [[[0.76159418, 0.09966799]]]),
    )


def case_grid1_lstm():
    cell = kg.Grid1LSTMCell(2, use_peepholes=True)
    assert cell.state_size == [2, 2]
    pairs = [([[0.1, 0.2]], [[0.3, 0.4]])]
    output, states = _run(cell, [[1.0, 1.0, 1.0]], pairs, 0.5)
    n = _check(
        output,
        states,
        (
            [[0.91287315, 0.91287315]],
            [([[2.26285243, 2.26285243]], [[0.91287315, 0.91287315]])],
        ),
    )
    # "No input": the same inner weights (contrib reused its variables),
    # in a cell built for inputs of zero features.
    weights = cell.cells[0].get_weights()
    cell = kg.Grid1LSTMCell(2, use_peepholes=True)
    cell.build((None, 0))
    cell.cells[0].set_weights(weights)
    no_input = np.zeros((1, 0), "float32")
    expected = [
        (0.9032144, 2.79966092),
        (0.92727238, 3.3529923),
    ]
    for h, c in expected:
        output, states = cell(no_input, _states(cell, states))
        states = _as_contrib(cell, states)
        n += _check(
            output,
            states,
            ([[h, h]], [([[c, c]], [[h, h]])]),
        )
    return n


def case_grid3_lstm():
    cell = kg.Grid3LSTMCell(2, use_peepholes=True)
    assert cell.state_size == [2] * 6
    pairs = M_2D + [([[-0.1, -0.2]], [[-0.3, -0.4]])]
    output, states = _run(cell, [[1.0, 1.0, 1.0]], pairs, 0.5)
    return _check(
        output,
        states,
        (
            [[0.96892911, 0.96892911]],
            [
                ([[2.45227885, 2.45227885]], [[0.96892911, 0.96892911]]),
                ([[1.33592629, 1.4373529]], [[0.80867189, 0.83247656]]),
                ([[0.7317788, 0.63205892]], [[0.56548983, 0.50446129]]),
            ],
        ),
    )


def case_edge_like_relu():
    cell = kg.GridRNNCell(
        2,
        num_dims=1,
        input_dims=0,
        output_dims=0,
        non_recurrent_dims=0,
        non_recurrent_activation="relu",
    )
    assert cell.state_names == ("output",)  # contrib: no state at all
    x = np.array([[1.0, -1.0], [-2, 1], [2, -1]], "float32")
    cell.build((None, 2))
    _constant(cell, 0.5)
    output, _ = cell(x, [np.zeros((3, 2), "float32")])
    return _close(output, [[0, 0], [0, 0], [0.5, 0.5]])


def case_grid2_lstm_legacy():
    cell = kg.Grid2LSTMCell(2, use_peepholes=True)
    m = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]], "float32")
    c0, h0, c1, h1 = np.split(m, 4, axis=-1)  # contrib's concatenation
    cell.build((None, 3))
    _constant(cell, 0.5, True)
    output, states = cell(np.ones((1, 3), "float32"), [h0, c0, h1, c1])
    h0, c0, h1, c1 = (np.asarray(s) for s in states)
    n = _close(output, [[0.83462638, 0.83462638]])
    return n + _close(
        np.concatenate([c0, h0, c1, h1], -1),
        [
            [
                *[2.19742370, 2.19742370, 0.83462638, 0.83462638],
                *[1.21154201, 1.30832052, 0.66558737, 0.69353604],
            ]
        ],
    )


TF_1_15 = {
    "testGrid2BasicLSTMCell": case_grid2_basic_lstm,
    "testGrid2BasicLSTMCellTied": case_grid2_basic_lstm_tied,
    "testGrid2BasicLSTMCellWithRelu": case_grid2_basic_lstm_relu,
    "testGrid2LSTMCell": case_grid2_lstm,
    "testGrid2LSTMCellTied": case_grid2_lstm_tied,
    "testGrid2LSTMCellWithRelu": case_grid2_lstm_relu,
    "testGrid2BasicRNNCell": case_grid2_basic_rnn,
    "testGrid2BasicRNNCellTied": case_grid2_basic_rnn_tied,
    "testGrid2BasicRNNCellWithRelu": case_grid2_basic_rnn_relu,
    "testGrid1LSTMCell": case_grid1_lstm,
    "testGrid3LSTMCell": case_grid3_lstm,
    "testGridRNNEdgeCasesLikeRelu": case_edge_like_relu,
    "testGrid2LSTMCellLegacy": case_grid2_lstm_legacy,
}


@pytest.mark.parametrize("name", sorted(TF_1_15))
def test_tf_1_15_values(name):
    assert TF_1_15[name]() > 0


def test_a_uniform_kernel_misses_the_2d_values():
    """The finding of the module docstring, pinned."""
    cell = kg.Grid2LSTMCell(2, use_peepholes=True)
    output, _ = _run(cell, [[1.0, 1.0, 1.0]], M_2D, 0.5)
    assert np.max(np.abs(output - GRID2_LSTM[0])) > 0.1


@pytest.mark.parametrize(
    "make, features",
    [
        (lambda: kg.Grid2LSTMCell(2), 5),
        (lambda: kg.Grid2LSTMCell(2, non_recurrent_activation="relu"), 5),
        (lambda: kg.Grid3LSTMCell(2, non_recurrent_activation="relu"), 5),
        (lambda: kg.Grid1LSTMCell(2), 5),
    ],
    ids=["Grid2LSTM", "Grid2LSTM-relu", "Grid3LSTM-relu", "Grid1LSTM"],
)
@pytest.mark.parametrize("batch", [3, None], ids=["static", "dynamic"])
def test_with_rnn_shapes_and_finite_values(make, features, batch):
    """contrib's `...WithRNN` tests: 6 steps, ones then zeros for Grid1."""
    cell = make()
    inputs = keras.Input((6, features), batch_size=batch)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    model = keras.Model(inputs, rnn(inputs))
    _constant(cell, 0.5)
    x = np.zeros((3, 6, features), "float32")
    x[:, 0] = 1.0
    if not isinstance(cell, kg.Grid1LSTMCell):
        x[:] = 1.0
    sequence, *states = model(x)
    assert sequence.shape == (3, 6, 2)
    assert len(states) == len(cell.state_size)
    for value in [sequence, *states]:
        assert np.all(np.isfinite(value))


def test_no_output_dims_is_refused():
    """`testGridRNNEdgeCasesNoOutput` cannot be expressed (docstring)."""
    with pytest.raises(ValueError, match="`output_dims`.*None"):
        kg.GridRNNCell(
            2,
            num_dims=2,
            input_dims=0,
            output_dims=None,
            non_recurrent_dims=0,
        )


# --- Before TF 1.0: the same wiring, a concatenated state -------------------


def _old(cell, x, m, value):
    """The pre-1.0 cells' state: `[c0, h0, c1, h1, ...]` concatenated."""
    x = np.asarray(x, "float32")
    m = np.asarray(m, "float32")
    width = 2 if cell.has_memory else 1
    parts = np.split(m, m.shape[-1] // cell.units, axis=-1)
    pairs = [
        (parts[k * width], parts[k * width + 1])
        if cell.has_memory
        else parts[k]
        for k in range(len(parts) // width)
    ]
    output, states = _run(cell, x, pairs, value)
    flat = [a for pair in states for a in (pair if cell.has_memory else [pair])]
    return output, np.concatenate(flat, -1)


OLD = [
    # (make, x, m, constant, [(output, state)] per step; m of a later step
    # is the previous step's state, x of a later step in `later_x`)
    (
        lambda: kg.Grid2BasicLSTMCell(2),
        [[[1.0, 1.0, 1.0]], [[2.0, 2.0, 2.0]]],
        [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]],
        0.2,
        [
            (
                [[0.36617181, 0.36617181]],
                [[0.71053141, 0.71053141, 0.36617181, 0.36617181]]
                + [[0.72320831, 0.80555487, 0.39102408, 0.42150158]],
            ),
            (
                [[0.58847463, 0.58847463]],
                [[1.40469193, 1.40469193, 0.58847463, 0.58847463]]
                + [[0.97726452, 1.04626071, 0.4927212, 0.51137757]],
            ),
        ],
    ),
    (
        lambda: kg.Grid2BasicLSTMCell(2, tied=True),
        [[[1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]],
        0.2,
        [
            (
                [[0.36617181, 0.36617181]],
                [[0.71053141, 0.71053141, 0.36617181, 0.36617181]]
                + [[0.72320831, 0.80555487, 0.39102408, 0.42150158]],
            ),
            (
                [[0.36703536, 0.36703536]],
                [[0.71200621, 0.71200621, 0.36703536, 0.36703536]]
                + [[0.80941606, 0.87550586, 0.40108523, 0.42199609]],
            ),
        ],
    ),
    (
        lambda: kg.Grid2BasicLSTMCell(2, non_recurrent_activation="relu"),
        [[[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4]],
        0.2,
        [
            (
                [[0.31667367, 0.31667367]],
                [[0.29530135, 0.37520045, 0.17044567, 0.21292259]],
            )
        ],
    ),
    (
        lambda: kg.Grid2LSTMCell(2, use_peepholes=True),
        [[[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]],
        0.5,
        [
            (
                [[0.95686918, 0.95686918]],
                [[2.41515064, 2.41515064, 0.95686918, 0.95686918]]
                + [[1.38917875, 1.49043763, 0.83884692, 0.86036491]],
            )
        ],
    ),
    (
        lambda: kg.Grid2LSTMCell(2, tied=True, use_peepholes=True),
        [[[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]],
        0.5,
        [
            (
                [[0.95686918, 0.95686918]],
                [[2.41515064, 2.41515064, 0.95686918, 0.95686918]]
                + [[1.38917875, 1.49043763, 0.83884692, 0.86036491]],
            )
        ],
    ),
    (
        lambda: kg.Grid2LSTMCell(
            2, use_peepholes=True, non_recurrent_activation="relu"
        ),
        [[[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4]],
        0.5,
        [
            (
                [[2.1831727, 2.1831727]],
                [[0.92270052, 1.02325559, 0.66159075, 0.70475441]],
            )
        ],
    ),
    (
        lambda: kg.Grid2BasicRNNCell(2),
        [[[1.0, 1.0], [2.0, 2.0]]],
        [[0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2]],
        0.5,
        [
            (
                [[0.94685763, 0.94685763], [0.99480951, 0.99480951]],
                [
                    [0.94685763, 0.94685763, 0.80049908, 0.80049908],
                    [0.99480951, 0.99480951, 0.97574311, 0.97574311],
                ],
            )
        ],
    ),
    (
        lambda: kg.Grid2BasicRNNCell(2, tied=True),
        [[[1.0, 1.0], [2.0, 2.0]]],
        [[0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2]],
        0.5,
        [
            (
                [[0.94685763, 0.94685763], [0.99480951, 0.99480951]],
                [
                    [0.94685763, 0.94685763, 0.80049908, 0.80049908],
                    [0.99480951, 0.99480951, 0.97574311, 0.97574311],
                ],
            )
        ],
    ),
    (
        lambda: kg.Grid2BasicRNNCell(2, non_recurrent_activation="relu"),
        [[[1.0, 1.0]]],
        [[0.1, 0.1]],
        0.5,
        [([[1.80049896, 1.80049896]], [[0.80049896, 0.80049896]])],
    ),
    (
        lambda: kg.Grid3LSTMCell(2, use_peepholes=True),
        [[[1.0, 1.0, 1.0]]],
        [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, -0.1, -0.2, -0.3, -0.4]],
        0.5,
        [
            (
                [[0.96892911, 0.96892911]],
                [[2.45227885, 2.45227885, 0.96892911, 0.96892911]]
                + [[1.33592629, 1.4373529, 0.80867189, 0.83247656]]
                + [[0.7317788, 0.63205892, 0.56548983, 0.50446129]],
            )
        ],
    ),
]


def _old_count(case):
    make, xs, m, value, steps = case
    cell = make()
    n = 0
    for x, (want_output, want_state) in zip(xs, steps, strict=True):
        output, state = _old(cell, x, m, value)
        want_state = np.asarray(want_state)
        if len(want_state) != len(np.asarray(want_output)):
            want_state = want_state.reshape(1, -1)  # one row, in parts
        n += _close(output, want_output) + _close(state, want_state)
        m = state
    return n


@pytest.mark.parametrize("k", range(len(OLD)))
def test_pre_1_0_values(k):
    assert _old_count(OLD[k]) > 0


def test_the_count_of_reproduced_values():
    tf_1_15 = sum(case() for case in TF_1_15.values())
    assert tf_1_15 == 148
    assert sum(_old_count(case) for case in OLD) == 114
