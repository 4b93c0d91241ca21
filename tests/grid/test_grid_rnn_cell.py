"""`GridRNNCell`: its configurations, inner cells, layout and errors.

The convenience classes run the registry's generic RNN contract
(tests/registry.py); `GridRNNCell(units)` alone has no output, so its
other configurations are tested here: every kind of inner cell, several
input and output dimensions, priorities, non-recurrent dimensions, tied
or not, against the NumPy reference of tests/grid/grid_reference.py.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import keras_rnn_masking
from tests.cell_cases import randomize
from tests.gradients import assert_float64_gradients_match_finite_differences
from tests.gradients import loss_and_gradients
from tests.grid.grid_reference import grid_step

BATCH, STEPS, UNITS = 3, 4, 3

INNER = {
    "default": None,
    "LSTMCell": keras.layers.LSTMCell(UNITS),
    "GRUCell": keras.layers.GRUCell(UNITS),
    "GRUCell-reset_before": keras.layers.GRUCell(UNITS, reset_after=False),
    "SimpleRNNCell": keras.layers.SimpleRNNCell(UNITS),
    "LNLSTMCell": kg.LNLSTMCell(UNITS),
    "LNGRUCell": kg.LNGRUCell(UNITS),
    "PeepholeLSTMCell": kg.PeepholeLSTMCell(UNITS),
}

CONFIGS = {
    "1d": {"num_dims": 1, "input_dims": 0, "output_dims": 0},
    "2d-priority": {
        "num_dims": 2,
        "input_dims": 0,
        "output_dims": 0,
        "priority_dims": 0,
    },
    "2d-no-priority-output-1": {
        "num_dims": 2,
        "input_dims": 0,
        "output_dims": 1,
    },
    "3d-two-inputs-two-outputs": {
        "num_dims": 3,
        "input_dims": [0, 1],
        "output_dims": [1, 2],
        "priority_dims": [2],
    },
    "3d-non-recurrent": {
        "num_dims": 3,
        "input_dims": [0],
        "output_dims": [0],
        "priority_dims": [0],
        "non_recurrent_dims": [0],
        "non_recurrent_activation": "tanh",
    },
    "3d-two-non-recurrent-tied": {
        "num_dims": 3,
        "input_dims": [0, 2],
        "output_dims": [2],
        "priority_dims": [1],
        "non_recurrent_dims": [0, 2],
        "tied": True,
    },
    "2d-tied": {
        "num_dims": 2,
        "input_dims": 0,
        "output_dims": 0,
        "priority_dims": 0,
        "tied": True,
    },
}


def _features(config):
    inputs = config["input_dims"]
    return 2 * (len(inputs) if isinstance(inputs, list) else 1)


def _built(inner, config, seed=0, dtype=None, **rnn_kwargs):
    cell = kg.GridRNNCell(UNITS, cell=inner, dtype=dtype, **config)
    rnn = keras.layers.RNN(cell, dtype=dtype, **rnn_kwargs)
    rnn.build((None, None, _features(config)))
    randomize(cell, seed=seed)
    return rnn, cell


def _inputs(config, seed=0, batch=BATCH, steps=STEPS):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, steps, _features(config))).astype("float32")


def _random_states(cell, seed=1):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(scale=0.5, size=(BATCH, s)).astype("float32")
        for s in cell.state_size
    ]


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("inner", sorted(INNER))
def test_matches_numpy_reference_with_random_weights(inner, config):
    rnn, cell = _built(
        INNER[inner],
        CONFIGS[config],
        return_sequences=True,
        return_state=True,
    )
    x = _inputs(CONFIGS[config])
    initial = _random_states(cell)
    sequence, *states = rnn(x, initial_state=initial)
    expected, expected_states = ref.run_rnn(
        grid_step(cell), x.astype("float64"), initial
    )
    np.testing.assert_allclose(sequence, expected, atol=1e-5)
    for state, want in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(state, want, atol=1e-5)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_masks_and_go_backwards_match_reference(config):
    rnn, cell = _built(
        INNER["LNLSTMCell"],
        CONFIGS[config],
        return_sequences=True,
        go_backwards=True,
    )
    x = _inputs(CONFIGS[config])
    mask = np.array([[1, 1, 1, 1], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=bool)
    initial = _random_states(cell)
    expected, _ = ref.run_rnn(
        grid_step(cell),
        x.astype("float64"),
        initial,
        mask=mask,
        go_backwards=True,
        initial_output=keras_rnn_masking(True, False, True, False),
    )
    np.testing.assert_allclose(
        rnn(x, initial_state=initial, mask=mask), expected, atol=1e-5
    )


def test_stepping_by_hand_equals_the_loop():
    config = CONFIGS["3d-two-inputs-two-outputs"]
    rnn, cell = _built(
        INNER["LSTMCell"], config, return_sequences=True, return_state=True
    )
    x = _inputs(config)
    sequence, *final = rnn(x)
    states = cell.get_initial_state(BATCH)
    for t in range(STEPS):
        output, states = cell(x[:, t], states)
        np.testing.assert_allclose(output, sequence[:, t], atol=1e-6)
    for state, want in zip(states, final, strict=True):
        np.testing.assert_allclose(state, want, atol=1e-6)


def test_the_first_state_is_the_output():
    config = CONFIGS["3d-two-inputs-two-outputs"]
    rnn, cell = _built(INNER["GRUCell"], config, return_state=True)
    assert cell.state_names == ("output", "h0", "h1", "h2")
    assert cell.state_size == [2 * UNITS, UNITS, UNITS, UNITS]
    output, *states = rnn(_inputs(config))
    np.testing.assert_array_equal(output, states[0])


@pytest.mark.parametrize(
    "config, names",
    [
        ("1d", ("h0", "c0")),
        ("2d-priority", ("h0", "c0", "h1", "c1")),
        ("2d-no-priority-output-1", ("h1", "c1", "h0", "c0")),
        ("3d-non-recurrent", ("output", "h1", "c1", "h2", "c2")),
        ("3d-two-non-recurrent-tied", ("output", "h1", "c1")),
    ],
)
def test_state_layout_of_the_docstring(config, names):
    cell = kg.GridRNNCell(UNITS, **CONFIGS[config])
    assert cell.state_names == names
    assert cell.state_layout == "[" + ", ".join(names) + "]"


def test_weight_layout_by_name_and_shape():
    config = CONFIGS["3d-two-non-recurrent-tied"]
    _, cell = _built(None, config)
    own = {
        w.name: tuple(w.shape)
        for w in cell.weights
        if not any(w is v for c in cell.cells for v in c.weights)
    }
    # Input dimension 0 is non-recurrent: no `project_c_0` (contrib made
    # one that nothing read); dimension 2 is recurrent.
    assert own == {
        "project_m_0": (2, UNITS),
        "project_m_2": (2, UNITS),
        "non_recurrent_kernel": (3 * UNITS, UNITS),
        "non_recurrent_bias": (UNITS,),
    }
    _, untied = _built(None, {**config, "tied": False})
    names = {w.name for w in untied.weights}
    assert {"non_recurrent_kernel_0", "non_recurrent_kernel_2"} <= names
    (inner,) = cell.cells  # only dimension 1 is recurrent
    assert {w.name: tuple(w.shape) for w in inner.weights} == {
        "kernel": (3 * UNITS, 4 * UNITS),
        "bias": (4 * UNITS,),
    }


def test_tied_shares_one_cell_untied_has_one_per_recurrent_dimension():
    tied = kg.GridRNNCell(UNITS, **CONFIGS["2d-tied"])
    untied = kg.GridRNNCell(UNITS, **CONFIGS["2d-priority"])
    assert len(tied.cells) == 1 and len(untied.cells) == 2
    tied.build((None, 2))
    untied.build((None, 2))
    assert len(tied.weights) == len(untied.weights) - 2


def test_the_state_of_an_input_dimension_is_overwritten():
    config = CONFIGS["2d-priority"]
    _, cell = _built(INNER["LSTMCell"], config)
    x = _inputs(config)[:, 0]
    states = _random_states(cell)
    other = [s.copy() for s in states]
    other[0] += 5.0  # h0, c0: dimension 0 is the input dimension
    other[1] -= 3.0
    a, a_states = cell(x, states)
    b, b_states = cell(x, other)
    np.testing.assert_array_equal(a, b)
    for s, t in zip(a_states, b_states, strict=True):
        np.testing.assert_array_equal(s, t)


def test_zero_features_keep_the_state_of_the_input_dimension():
    cell = kg.GridRNNCell(UNITS, num_dims=1, input_dims=0, output_dims=0)
    cell.build((None, 0))
    randomize(cell)
    states = _random_states(cell)
    output, _ = cell(np.zeros((BATCH, 0), "float32"), states)
    expected, _ = grid_step(cell)(np.zeros((BATCH, 0)), states)
    np.testing.assert_allclose(output, expected, atol=1e-6)


def test_cell_as_instance_or_config_is_the_same():
    inner = kg.LNLSTMCell(UNITS, norm_epsilon=1e-4)
    config = keras.saving.serialize_keras_object(inner)
    a = kg.GridRNNCell(UNITS, cell=inner, name="g", **CONFIGS["2d-priority"])
    b = kg.GridRNNCell(UNITS, cell=config, name="g", **CONFIGS["2d-priority"])
    assert a.get_config() == b.get_config()
    assert all(type(c) is kg.LNLSTMCell for c in a.cells + b.cells)
    assert all(c is not inner for c in a.cells)
    assert a.cells[0].norm_epsilon == 1e-4


def test_config_round_trip():
    cell = kg.GridRNNCell(
        UNITS,
        cell=keras.layers.GRUCell(UNITS),
        projection_initializer="orthogonal",
        non_recurrent_regularizer="l2",
        name="grid",
        **CONFIGS["3d-non-recurrent"],
    )
    config = cell.get_config()
    clone = kg.GridRNNCell.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == "keras_gated>GridRNNCell"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert restored.get_config() == config


def _model(config, inner, steps=None):
    x = keras.Input((steps, _features(config)))
    cell = kg.GridRNNCell(UNITS, cell=inner, **config)
    hidden = keras.layers.RNN(cell)(x)
    return keras.Model(x, keras.layers.Dense(1)(hidden))


def test_keras_file_round_trip(tmp_path):
    config = CONFIGS["3d-two-inputs-two-outputs"]
    model = _model(config, INNER["LNGRUCell"])
    randomize(model.layers[1])
    x = _inputs(config)
    path = tmp_path / "grid.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.tensorflow_only
def test_saved_model_export(tmp_path):
    import tensorflow as tf

    config = CONFIGS["3d-non-recurrent"]
    model = _model(config, INNER["LSTMCell"])
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for batch, steps in [(2, 3), (5, 6)]:
        x = _inputs(config, batch=batch, steps=steps)
        np.testing.assert_allclose(serving.serve(x), model(x), atol=1e-6)


@pytest.mark.tensorflow_only
@pytest.mark.float64
@pytest.mark.parametrize(
    "config, inner",
    [
        ("3d-non-recurrent", "LNLSTMCell"),
        ("3d-two-inputs-two-outputs", "GRUCell"),
    ],
)
def test_float64_gradients_match_finite_differences(config, inner):
    config = dict(CONFIGS[config])
    config["input_dims"] = [0]  # the check's inputs have 2 features
    config["output_dims"] = [config["output_dims"][0]]
    cell_config = keras.saving.serialize_keras_object(INNER[inner])
    cell_config["config"]["units"] = 3
    cell = kg.GridRNNCell(3, cell=cell_config, dtype="float64", **config)
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    rnn.build((None, None, 2))
    randomize(cell)
    assert_float64_gradients_match_finite_differences(rnn)


def test_gradients_reach_every_weight_compiled():
    config = CONFIGS["3d-two-non-recurrent-tied"]
    rnn, cell = _built(INNER["LNLSTMCell"], config)
    x = _inputs(config)
    _, grads = loss_and_gradients(rnn, lambda y: keras.ops.sum(y**2), x)
    assert len(grads) == len(cell.trainable_weights)
    for weight, grad in zip(cell.trainable_weights, grads, strict=True):
        assert np.all(np.isfinite(grad)) and np.any(grad != 0), weight.path


@pytest.mark.parametrize(
    "jit_compile", [False, True], ids=["eager-or-graph", "jit"]
)
def test_fit_decreases_the_loss(jit_compile):
    if jit_compile and keras.backend.backend() != "tensorflow":
        jit_compile = "auto"
    config = CONFIGS["2d-priority"]
    model = _model(config, INNER["LNLSTMCell"], steps=STEPS)
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="mse",
        jit_compile=jit_compile,
    )
    x = _inputs(config, batch=16)
    y = x.sum(axis=(1, 2))[:, None] / 10
    losses = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_bidirectional_and_stacked():
    config = CONFIGS["2d-priority"]
    cells = [
        kg.GridRNNCell(UNITS, **config),
        kg.GridRNNCell(UNITS, cell=keras.layers.GRUCell(UNITS), **config),
    ]
    stacked = keras.layers.RNN(cells, return_sequences=True)
    bidirectional = keras.layers.Bidirectional(stacked)
    x = _inputs(config)
    out = bidirectional(x)
    assert out.shape == (BATCH, STEPS, 2 * UNITS)
    np.testing.assert_allclose(
        out[..., :UNITS], bidirectional.forward_layer(x), atol=1e-6
    )


# --- Bad arguments -----------------------------------------------------------

_BASE = {"num_dims": 2, "input_dims": 0, "output_dims": 0}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, r"`units`.*got 0"),
        ({"num_dims": 0}, r"`num_dims`.*got 0"),
        ({"num_dims": 2.0}, r"`num_dims`.*got 2.0"),
        ({"input_dims": 2}, r"`input_dims`.*\[0, 2\).*got 2"),
        ({"output_dims": [0, -1]}, r"`output_dims`.*got \[0, -1\]"),
        ({"priority_dims": "0"}, r"`priority_dims`.*got '0'"),
        ({"output_dims": None}, r"`output_dims`.*at least one.*None"),
        ({"output_dims": []}, r"`output_dims`.*at least one.*\[\]"),
        (
            {"non_recurrent_dims": 1},
            r"`non_recurrent_dims`.*got 1.*dimension 1 is neither",
        ),
        ({"tied": 1}, r"`tied`.*got 1"),
        ({"cell": "lstm"}, r"`cell`.*got 'lstm'"),
        ({"cell": keras.layers.LSTMCell(5)}, r"`cell`.*3 outputs.*LSTMCell"),
        (
            {"cell": keras.layers.LSTMCell(3, dropout=0.1)},
            r"`cell`.*`dropout=0`.*got dropout=0.1",
        ),
        (
            {"cell": {"class_name": "NoSuchCell", "config": {}}},
            r"`cell`.*could not be made",
        ),
        ({"non_recurrent_activation": "nope"}, r"nope"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    arguments = {"units": UNITS, **_BASE, **kwargs}
    with pytest.raises(ValueError, match=match):
        kg.GridRNNCell(**arguments)


def test_features_the_input_dimensions_cannot_share_are_refused():
    cell = kg.GridRNNCell(UNITS, num_dims=2, input_dims=[0, 1], output_dims=0)
    with pytest.raises(ValueError, match=r"5 features.*`input_dims`.*2"):
        keras.layers.RNN(cell)(np.zeros((2, 3, 5), "float32"))


def test_wrong_states_are_a_clear_error():
    cell = kg.GridRNNCell(UNITS, **_BASE)
    cell.build((None, 2))
    with pytest.raises(ValueError, match=r"`states`.*\[h0, c0, h1, c1\]"):
        cell(np.zeros((2, 2), "float32"), [np.zeros((2, UNITS), "float32")])
