import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step

FEATURES, UNITS = 4, 5


def _pair(features=FEATURES, **kwargs):
    """A parallel SRU and a sequential one sharing its weights."""
    parallel = kg.SRU(
        UNITS, use_recurrent_kernel=False, parallel_scan=True, **kwargs
    )
    parallel.build((None, None, features))
    randomize(parallel.cell)
    sequential = kg.SRU(UNITS, use_recurrent_kernel=False, **kwargs)
    sequential.build((None, None, features))
    sequential.set_weights(parallel.get_weights())
    return parallel, sequential


def _inputs(batch, steps, features=FEATURES, seed=0):
    return (
        np.random.default_rng(seed)
        .normal(size=(batch, steps, features))
        .astype("float32")
    )


@pytest.mark.parametrize("steps", [1, 2, 3, 16, 17, 50])
@pytest.mark.parametrize("features", [FEATURES, UNITS], ids=["P", "identity"])
def test_parallel_scan_equals_the_loop(steps, features):
    parallel, sequential = _pair(
        features, return_sequences=True, return_state=True
    )
    x = _inputs(3, steps, features)
    rng = np.random.default_rng(1)
    initial = [rng.normal(size=(3, UNITS)).astype("float32") for _ in range(2)]
    for a, b in zip(
        parallel(x, initial_state=initial), sequential(x, initial_state=initial)
    ):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_parallel_scan_with_masks_equals_the_loop(
    go_backwards, zero_output_for_mask
):
    parallel, sequential = _pair(
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    x = _inputs(4, 9)
    mask = np.array(
        [
            [1, 1, 1, 1, 1, 1, 1, 1, 1],  # full
            [1, 1, 1, 1, 0, 0, 0, 0, 0],  # right padding
            [0, 0, 0, 1, 1, 1, 1, 1, 1],  # left padding
            [0, 1, 0, 0, 1, 1, 0, 1, 0],  # holes
        ],
        dtype=bool,
    )
    rng = np.random.default_rng(2)
    initial = [rng.normal(size=(4, UNITS)).astype("float32") for _ in range(2)]
    for a, b in zip(
        parallel(x, initial_state=initial, mask=mask),
        sequential(x, initial_state=initial, mask=mask),
    ):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_parallel_scan_of_an_all_masked_row_keeps_the_initial_state():
    parallel, _ = _pair(return_state=True)
    x = _inputs(2, 4)
    initial = [
        np.ones((2, UNITS), "float32"),
        2 * np.ones((2, UNITS), "float32"),
    ]
    mask = np.array([[0, 0, 0, 0], [1, 1, 1, 1]], bool)
    output, h, c = parallel(x, initial_state=initial, mask=mask)
    np.testing.assert_array_equal(h[0], initial[0][0])
    np.testing.assert_array_equal(c[0], initial[1][0])
    np.testing.assert_array_equal(output[0], np.zeros(UNITS))  # as Keras' loop


def test_parallel_scan_matches_the_numpy_reference():
    parallel, _ = _pair(return_sequences=True)
    x = _inputs(3, 40)
    expected, _ = ref.run_rnn(
        reference_step(parallel.cell),
        x.astype("float64"),
        [np.zeros((3, UNITS))] * 2,
    )
    np.testing.assert_allclose(parallel(x), expected, atol=1e-5)


def test_parallel_scan_with_unknown_sequence_length():
    parallel, sequential = _pair(return_sequences=True)
    inputs = keras.Input((None, FEATURES))
    model = keras.Model(inputs, parallel(inputs))
    for steps in (1, 31, 33, 100):
        x = _inputs(2, steps)
        np.testing.assert_allclose(
            model.predict(x, verbose=0), sequential(x), atol=1e-5
        )


@pytest.mark.tensorflow_only
def test_parallel_scan_gradients_equal_the_loop_gradients():
    parallel, sequential = _pair(return_sequences=True)
    x = tf.constant(_inputs(2, 20))
    grads = []
    for layer in (parallel, sequential):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.sin(layer(x)))
        grads.append(tape.gradient(loss, [x, *layer.trainable_variables]))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _trained_weights(steps, jit_compile, seed=0):
    """The weights after two SGD steps of a parallel-scan SRU model."""
    keras.utils.set_random_seed(seed)
    parallel, _ = _pair(return_sequences=True)
    inputs = keras.Input((steps, FEATURES))
    model = keras.Model(inputs, parallel(inputs))
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=jit_compile)
    x = _inputs(4, 23, seed=1)
    y = np.tanh(_inputs(4, 23, features=UNITS, seed=2))
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="XLA: TensorFlow and JAX"
)
@pytest.mark.parametrize("steps", [23, None], ids=["static_T", "unknown_T"])
def test_parallel_scan_trains_under_xla(steps):
    # Phase 2 of the scan is a bounded `while_loop`: TensorFlow's XLA
    # cannot differentiate an unbounded one (issue 11), and JAX's
    # reverse mode needs a static trip count.
    compiled = _trained_weights(steps, jit_compile=True)
    for a, b in zip(compiled, _trained_weights(steps, jit_compile=False)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_parallel_scan_with_dropout_equals_the_loop():
    parallel, sequential = _pair(return_sequences=True, dropout=0.4, seed=3)
    state = keras.ops.convert_to_numpy(parallel.cell.seed_generator.state)
    sequential.cell.seed_generator.state.assign(state)
    x = _inputs(3, 8)
    np.testing.assert_allclose(
        parallel(x, training=True), sequential(x, training=True), atol=1e-5
    )


def test_parallel_scan_round_trips_through_a_keras_file(tmp_path):
    parallel, _ = _pair(return_sequences=True)
    inputs = keras.Input((None, FEATURES))
    model = keras.Model(inputs, parallel(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].parallel_scan is True
    x = _inputs(2, 7)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_parallel_scan_needs_no_recurrent_kernel():
    with pytest.raises(
        ValueError, match="parallel_scan=True.*use_recurrent_kernel"
    ):
        kg.SRU(4, parallel_scan=True)
    with pytest.raises(ValueError, match="`parallel_scan`.*'yes'"):
        kg.SRU(4, use_recurrent_kernel=False, parallel_scan="yes")


def test_config_is_flat():
    config = kg.SRU(
        4, use_recurrent_kernel=False, parallel_scan=True
    ).get_config()
    assert config["parallel_scan"] is True
    assert config["use_recurrent_kernel"] is False
    assert "cell" not in config


# --- `layer_norm` renamed `use_layer_norm` -----------------------------------


@pytest.mark.parametrize("make", [kg.SRU, kg.SRUCell], ids=["SRU", "SRUCell"])
def test_the_old_name_layer_norm_still_works_with_a_warning(make):
    with pytest.warns(DeprecationWarning, match="use_layer_norm"):
        layer = make(4, layer_norm=True)
    assert layer.use_layer_norm is True
    assert "layer_norm" not in layer.get_config()


@pytest.mark.parametrize("make", [kg.SRU, kg.SRUCell], ids=["SRU", "SRUCell"])
def test_a_config_saved_with_layer_norm_loads_without_a_warning(make):
    import warnings

    config = make(4, use_layer_norm=True).get_config()
    config["layer_norm"] = config.pop("use_layer_norm")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = make.from_config(config)
    assert layer.use_layer_norm is True


def test_both_names_at_once_is_an_error():
    with pytest.raises(ValueError, match="layer_norm"):
        kg.SRU(4, layer_norm=True, use_layer_norm=True)
