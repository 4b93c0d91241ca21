"""The contract every keras_gated cell keeps inside `keras.layers.RNN`.

Parametrized over the registry's cells (tests/registry.py); the protocol
tests (`project`, `step`) over those that keep `FusableCell`'s. Each cell's
own file tests what is specific to it (fixed values, options, weight
layout).
"""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import keras_gated as kg
from tests import numpy_reference as ref
from tests import registry
from tests.cell_cases import all_cells
from tests.cell_cases import cells_keeping
from tests.cell_cases import fusable_cells
from tests.cell_cases import keras_rnn_masking
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.gradients import assert_float64_gradients_match_finite_differences

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 6


def _inputs(seed=0, batch=BATCH, steps=STEPS, features=FEATURES):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, steps, features)).astype("float32")


def _random_states(cell, seed=1, batch=BATCH):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(scale=0.5, size=(batch, s)).astype("float32")
        for s in cell.state_size
    ]


def _built_rnn(cell_class, seed=0, features=FEATURES, **rnn_kwargs):
    cell = cell_class(UNITS)
    rnn = keras.layers.RNN(cell, **rnn_kwargs)
    rnn.build((None, None, features))
    randomize(cell, seed=seed)
    return rnn, cell


# --- The math -------------------------------------------------------------


@all_cells
def test_matches_numpy_reference_with_random_weights(cell_class):
    rnn, cell = _built_rnn(cell_class, return_sequences=True, return_state=True)
    x = _inputs()
    initial = _random_states(cell)
    sequence, *states = rnn(x, initial_state=initial)

    expected_sequence, expected_states = ref.run_rnn(
        reference_step(cell), x.astype("float64"), initial
    )
    np.testing.assert_allclose(sequence, expected_sequence, atol=1e-5)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, atol=1e-5)


@pytest.mark.float64
@all_cells
def test_float64_matches_reference_to_float64_precision(cell_class):
    cell = cell_class(UNITS, dtype="float64")
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    rnn.build((None, None, FEATURES))
    randomize(cell)
    x = _inputs().astype("float64")
    out = rnn(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float64"
    expected, _ = ref.run_rnn(
        reference_step(cell), x, [np.zeros((BATCH, s)) for s in cell.state_size]
    )
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


@all_cells
def test_stepping_the_cell_by_hand_equals_the_loop(cell_class):
    rnn, cell = _built_rnn(cell_class, return_sequences=True, return_state=True)
    x = _inputs()
    sequence, *final_states = rnn(x)

    states = cell.get_initial_state(BATCH)
    for t in range(STEPS):
        output, states = cell(x[:, t], states)
        np.testing.assert_allclose(output, sequence[:, t], atol=1e-6)
    for state, expected in zip(states, final_states):
        np.testing.assert_allclose(state, expected, atol=1e-6)


@fusable_cells
def test_call_is_project_then_step(cell_class):
    rnn, cell = _built_rnn(cell_class)
    x = _inputs()[:, 0]
    states = _random_states(cell)
    expected_output, expected_states = cell(x, states)
    output, new_states = cell.step(cell.project(x), states)
    np.testing.assert_allclose(output, expected_output, atol=1e-6)
    for state, expected in zip(new_states, expected_states):
        np.testing.assert_allclose(state, expected, atol=1e-6)


@fusable_cells
def test_project_of_a_sequence_equals_project_of_each_step(cell_class):
    rnn, cell = _built_rnn(cell_class)
    x = _inputs()
    whole = cell.project(x)
    for t in range(STEPS):
        np.testing.assert_allclose(
            whole[:, t], cell.project(x[:, t]), atol=1e-6
        )


@fusable_cells
def test_project_shares_one_dropout_mask_over_time(cell_class):
    cell = cell_class(UNITS, dropout=0.5, seed=2)
    cell.build((None, FEATURES))
    x = np.ones((BATCH, STEPS, FEATURES), "float32")
    projection = np.asarray(cell.project(x, training=True))
    cell.reset_dropout_mask()
    for t in range(1, STEPS):
        np.testing.assert_allclose(
            projection[:, t], projection[:, 0], atol=1e-6
        )
    assert not np.allclose(projection[:, 0], np.asarray(cell.project(x[:, 0])))


# --- keras.layers.RNN semantics -------------------------------------------


@all_cells
def test_return_sequences_and_return_state_semantics(cell_class):
    x = keras.random.normal((32, 10, 8))
    cell = cell_class(4)
    n_states = len(cell.state_size)

    assert keras.layers.RNN(cell)(x).shape == (32, 4)
    assert keras.layers.RNN(cell, return_sequences=True)(x).shape == (32, 10, 4)

    output, *states = keras.layers.RNN(cell, return_state=True)(x)
    assert len(states) == n_states
    assert output.shape == (32, 4)
    np.testing.assert_array_equal(output, states[0])

    sequence, *states = keras.layers.RNN(
        cell, return_sequences=True, return_state=True
    )(x)
    assert sequence.shape == (32, 10, 4)
    np.testing.assert_array_equal(sequence[:, -1], states[0])


@all_cells
def test_right_padded_mask_equals_running_the_valid_prefix(cell_class):
    rnn, cell = _built_rnn(cell_class, return_sequences=True, return_state=True)
    x = _inputs()
    lengths = [5, 3, 1]
    mask = np.arange(STEPS)[None, :] < np.array(lengths)[:, None]
    sequence, *states = rnn(x, mask=mask)

    for b, length in enumerate(lengths):
        prefix_sequence, *prefix_states = rnn(x[b : b + 1, :length])
        for state, prefix_state in zip(states, prefix_states):
            np.testing.assert_allclose(state[b], prefix_state[0], atol=1e-6)
        np.testing.assert_allclose(
            sequence[b, :length], prefix_sequence[0], atol=1e-6
        )
        # Masked steps repeat the last output.
        for t in range(length, STEPS):
            np.testing.assert_array_equal(
                sequence[b, t], sequence[b, length - 1]
            )


@all_cells
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masks_with_holes_and_left_padding_match_reference(
    cell_class, go_backwards, zero_output_for_mask
):
    rnn, cell = _built_rnn(
        cell_class,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    x = _inputs()
    initial = _random_states(cell)
    mask = np.array(
        [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1]], dtype=bool
    )
    sequence, *states = rnn(x, initial_state=initial, mask=mask)
    expected_sequence, expected_states = ref.run_rnn(
        reference_step(cell),
        x.astype("float64"),
        initial,
        mask=mask,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
        initial_output=keras_rnn_masking(
            True, False, go_backwards, zero_output_for_mask
        ),
    )
    np.testing.assert_allclose(sequence, expected_sequence, atol=1e-5)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, atol=1e-5)


@all_cells
def test_go_backwards_equals_running_on_reversed_inputs(cell_class):
    forward, cell = _built_rnn(cell_class, return_sequences=True)
    backward = keras.layers.RNN(cell, return_sequences=True, go_backwards=True)
    x = _inputs()
    np.testing.assert_allclose(backward(x), forward(x[:, ::-1]), atol=1e-6)


@all_cells
def test_stateful_in_two_halves_equals_one_pass_and_reset_state(cell_class):
    x = _inputs()
    whole, cell = _built_rnn(cell_class, return_state=True)
    expected_output, *expected_states = whole(x)

    stateful = keras.layers.RNN(cell, stateful=True, return_state=True)
    stateful.build((BATCH, None, FEATURES))
    stateful(x[:, :2])
    output, *states = stateful(x[:, 2:])
    np.testing.assert_allclose(output, expected_output, atol=1e-6)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, atol=1e-6)

    stateful.reset_state()
    for variable in stateful.states:
        np.testing.assert_array_equal(variable, np.zeros(variable.shape))
    output, *_ = stateful(x)
    np.testing.assert_allclose(output, expected_output, atol=1e-6)


@all_cells
def test_unroll_equals_the_loop(cell_class):
    looped, cell = _built_rnn(cell_class, return_sequences=True)
    unrolled = keras.layers.RNN(cell, return_sequences=True, unroll=True)
    x = _inputs()
    mask = np.array([[1, 1, 1, 0, 0]] * BATCH, dtype=bool)
    np.testing.assert_allclose(unrolled(x), looped(x), atol=1e-6)
    np.testing.assert_allclose(
        unrolled(x, mask=mask), looped(x, mask=mask), atol=1e-6
    )


@all_cells
def test_bidirectional_halves_are_the_two_directions(cell_class):
    layer = keras.layers.Bidirectional(
        keras.layers.RNN(cell_class(UNITS), return_sequences=True)
    )
    x = _inputs()
    out = layer(x)
    assert out.shape == (BATCH, STEPS, 2 * UNITS)
    np.testing.assert_allclose(
        out[..., :UNITS], layer.forward_layer(x), atol=1e-6
    )
    # Bidirectional re-reverses the backward layer's outputs into time order.
    np.testing.assert_allclose(
        out[..., UNITS:],
        np.asarray(layer.backward_layer(x))[:, ::-1],
        atol=1e-6,
    )


@all_cells
def test_stacked_cells_chain_the_references(cell_class):
    cells = [cell_class(UNITS), cell_class(UNITS + 1)]
    rnn = keras.layers.RNN(cells, return_sequences=True, return_state=True)
    rnn.build((None, None, FEATURES))
    for i, cell in enumerate(cells):
        randomize(cell, seed=i)
    x = _inputs()
    sequence, *states = rnn(x)
    # Keras returns one list of states per cell.
    assert [len(s) for s in states] == [len(c.state_size) for c in cells]

    lower, _ = ref.run_rnn(
        reference_step(cells[0]),
        x.astype("float64"),
        [np.zeros((BATCH, s)) for s in cells[0].state_size],
    )
    upper, upper_states = ref.run_rnn(
        reference_step(cells[1]),
        lower,
        [np.zeros((BATCH, s)) for s in cells[1].state_size],
    )
    np.testing.assert_allclose(sequence, upper, atol=1e-5)
    np.testing.assert_allclose(states[1][0], upper_states[0], atol=1e-5)


# --- Training, saving, export ---------------------------------------------


def _model(cell_class, steps=None, **cell_kwargs):
    inputs = keras.Input((steps, FEATURES))
    hidden = keras.layers.RNN(cell_class(UNITS, **cell_kwargs))(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    return keras.Model(inputs, outputs)


@all_cells
def test_fit_a_few_steps_gives_finite_decreasing_loss(cell_class):
    dropout = {"dropout": 0.1, "recurrent_dropout": 0.1}
    keeps = registry.rnn_cell(cell_class).keeps
    model = _model(cell_class, **(dropout if "dropout" in keeps else {}))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = _inputs(batch=16)
    y = x.sum(axis=(1, 2))[:, None] / 10
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@all_cells
def test_keras_file_round_trip_is_bit_identical(cell_class, tmp_path):
    model = _model(cell_class)
    x = _inputs()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    cell = loaded.layers[1].cell
    assert type(cell) is cell_class
    assert cell.get_config() == model.layers[1].cell.get_config()


@pytest.mark.tensorflow_only
@all_cells
def test_saved_model_export_serves_the_same_numbers(cell_class, tmp_path):
    model = _model(cell_class)
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    serving = tf.saved_model.load(path)
    for batch, steps in [(2, 3), (5, 7)]:
        x = _inputs(batch=batch, steps=steps)
        np.testing.assert_allclose(serving.serve(x), model(x), atol=1e-6)


@pytest.mark.tensorflow_only
@all_cells
def test_every_trainable_weight_gets_a_finite_nonzero_gradient(cell_class):
    rnn, cell = _built_rnn(cell_class)
    x = tf.constant(_inputs())
    with tf.GradientTape() as tape:
        loss = ops.sum(ops.square(rnn(x)))
    grads = tape.gradient(loss, rnn.trainable_variables)
    assert len(grads) == len(cell.trainable_weights) > 0
    for variable, grad in zip(rnn.trainable_variables, grads):
        assert grad is not None, variable.name
        assert np.all(np.isfinite(grad)), variable.name
        assert np.any(grad != 0), variable.name


@pytest.mark.tensorflow_only
@all_cells
def test_float64_gradients_match_finite_differences(cell_class):
    cell = cell_class(3, dtype="float64")
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    rnn.build((None, None, 2))
    randomize(cell)
    assert_float64_gradients_match_finite_differences(rnn)


# --- Dropout and precision ------------------------------------------------


@cells_keeping("dropout")
def test_dropout_is_deterministic_in_inference_and_random_in_training(
    cell_class,
):
    cell = cell_class(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=3)
    rnn = keras.layers.RNN(cell)
    x = _inputs()
    first, second = rnn(x), rnn(x)
    np.testing.assert_array_equal(first, second)
    train_1, train_2 = rnn(x, training=True), rnn(x, training=True)
    assert not np.allclose(train_1, first)
    assert not np.allclose(train_1, train_2)


@all_cells
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_keeps_float32_weights(cell_class, policy):
    x = _inputs()
    reference, cell32 = _built_rnn(cell_class, return_sequences=True)

    cell = cell_class(UNITS, dtype=policy)
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype=policy)
    rnn.build((None, None, FEATURES))
    rnn.set_weights(reference.get_weights())

    out = rnn(x)
    compute = policy.split("_")[1]
    assert keras.backend.standardize_dtype(out.dtype) == compute
    for w in cell.weights:
        assert w.dtype == "float32", w.name
    out = ops.convert_to_numpy(ops.cast(out, "float32"))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, reference(x), atol=0.05)


# --- The cell API ----------------------------------------------------------


@all_cells
def test_get_initial_state_takes_an_int_or_a_tensor(cell_class):
    cell = cell_class(UNITS, dtype="mixed_float16")
    for batch in (4, ops.convert_to_tensor(4)):
        states = cell.get_initial_state(batch)
        assert len(states) == len(cell.state_size)
        for state, size in zip(states, cell.state_size):
            assert tuple(state.shape) == (4, size)
            assert keras.backend.standardize_dtype(state.dtype) == "float16"
            np.testing.assert_array_equal(state, np.zeros((4, size)))


def _takes(cell_class, argument):
    return argument in inspect.signature(cell_class).parameters


@cells_keeping("gated_arguments")
def test_config_round_trip(cell_class):
    norm = {"norm_epsilon": 1e-5} if _takes(cell_class, "norm_epsilon") else {}
    cell = cell_class(
        5,
        dropout=0.25,
        recurrent_dropout=0.125 if cell_class is not kg.SRUCell else 0.0,
        seed=7,
        kernel_regularizer="l2",
        bias_constraint="non_neg",
        name="my_cell",
        **norm,
    )
    config = cell.get_config()
    clone = cell_class.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == f"keras_gated>{cell_class.__name__}"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is cell_class
    assert restored.get_config() == config


# --- Errors ----------------------------------------------------------------


@all_cells
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"units": 0}, "units"),
        ({"units": -3}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": "4"}, "units"),
        ({"units": True}, "units"),
    ],
)
def test_bad_units_name_the_argument(cell_class, kwargs, argument):
    received = repr(kwargs[argument])
    with pytest.raises(ValueError, match=f"`{argument}`.*{received}"):
        cell_class(**kwargs)


@cells_keeping("gated_arguments")
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"units": 4, "dropout": -0.1}, "dropout"),
        ({"units": 4, "dropout": 1.0}, "dropout"),
        ({"units": 4, "recurrent_dropout": 1.5}, "recurrent_dropout"),
        ({"units": 4, "norm_epsilon": 0.0}, "norm_epsilon"),
        ({"units": 4, "use_bias": "yes"}, "use_bias"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(
    cell_class, kwargs, argument
):
    if not _takes(cell_class, argument):
        pytest.skip(f"{cell_class.__name__} has no `{argument}`")
    received = repr(kwargs[argument])
    with pytest.raises(ValueError, match=f"`{argument}`.*{received}"):
        cell_class(**kwargs)


@all_cells
def test_wrong_input_rank_is_a_clear_error(cell_class):
    with pytest.raises(
        ValueError, match=r"\(batch_size, timesteps, features\)"
    ):
        keras.layers.RNN(cell_class(4))(np.zeros((2, 3), "float32"))


@all_cells
def test_wrong_feature_size_after_build_is_a_clear_error(cell_class):
    rnn = keras.layers.RNN(cell_class(4))
    rnn(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="expected axis -1.*value 5.*7"):
        rnn(np.zeros((2, 3, 7), "float32"))


@all_cells
def test_state_names_name_every_state(cell_class):
    cell = cell_class(UNITS)
    names = getattr(cell, "state_names", None)
    if names is not None:
        assert len(names) == len(cell.state_size)
        assert cell.state_layout == "[" + ", ".join(names) + "]"


@fusable_cells
def test_keeps_the_fusable_cell_protocol(cell_class):
    from keras_gated.cells._fusable_cell import FusableCell

    cell = cell_class(UNITS)
    assert isinstance(cell, FusableCell)
    for member in ("project", "step", "state_size", "state_names"):
        assert getattr(type(cell), member, None) is not None or hasattr(
            cell, member
        ), member
