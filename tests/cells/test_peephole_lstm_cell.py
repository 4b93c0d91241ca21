"""PeepholeLSTMCell: Addons' numbers, its weight layout, its options.

The generic RNN contract (reference, stepping, masks, saving, export,
gradients, dropout, mixed precision) runs on it from tests/registry.py.
Here: the comparison with TensorFlow Addons' own `PeepholeLSTMCell`
(`data/addons_peephole.npz`, written by `data/make_addons_peephole.py` in
a TensorFlow 2.15 + Addons 0.23 environment), pinned numbers, and what is
specific to this cell.
"""

import inspect
import json
import pathlib

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import numpy_reference as ref
from tests.cell_cases import randomize
from tests.cell_cases import reference_step
from tests.cells.fixed_weights import run_with_fixed_weights

ADDONS = np.load(pathlib.Path(__file__).parent / "data" / "addons_peephole.npz")
CASES = [str(name) for name in ADDONS["cases"]]
WEIGHT_NAMES = [
    "kernel",
    "recurrent_kernel",
    "bias",
    "input_gate_peephole_weights",
    "forget_gate_peephole_weights",
    "output_gate_peephole_weights",
]


def _float64_available():
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def _case(name):
    prefix = name + "/"

    def listed(key):
        found = sorted(
            (k for k in ADDONS.files if k.startswith(prefix + key + "/")),
            key=lambda k: int(k.rsplit("/", 1)[1]),
        )
        return [ADDONS[k] for k in found]

    return {
        "x": ADDONS[prefix + "x"],
        "mask": ADDONS[prefix + "mask"] if prefix + "mask" in ADDONS else None,
        "initial_state": listed("initial_state") or None,
        "weights": listed("weights"),
        "weight_names": [str(n) for n in ADDONS[prefix + "weight_names"]],
        "outputs": ADDONS[prefix + "outputs"],
        "states": listed("states"),
        "rnn_options": json.loads(str(ADDONS[prefix + "rnn_options"])),
        "cell_config": json.loads(str(ADDONS[prefix + "cell_config"])),
    }


def _run_like_addons(case):
    """Our cell, from Addons' config and weights, on the case's inputs."""
    cell = kg.PeepholeLSTMCell.from_config(case["cell_config"])
    dtype = case["cell_config"]["dtype"]
    rnn = keras.layers.RNN(cell, dtype=dtype, **case["rnn_options"])
    rnn.build((None, None, case["x"].shape[-1]))
    cell.set_weights(case["weights"])
    outputs, *states = rnn(
        case["x"], mask=case["mask"], initial_state=case["initial_state"]
    )
    return cell, np.asarray(outputs), [np.asarray(s) for s in states]


def test_the_fixture_was_written_by_addons_0_23():
    assert str(ADDONS["addons_version"]).startswith("0.23.")
    assert str(ADDONS["tensorflow_version"]).startswith("2.15.")
    assert len(CASES) >= 6


@pytest.mark.parametrize("name", CASES)
def test_matches_addons(name):
    case = _case(name)
    float64 = case["cell_config"]["dtype"] == "float64"
    if float64 and not _float64_available():
        pytest.skip("float64 needs jax_enable_x64 on JAX")
    cell, outputs, states = _run_like_addons(case)
    atol = 1e-12 if float64 else 1e-6
    np.testing.assert_allclose(outputs, case["outputs"], rtol=0, atol=atol)
    assert len(states) == len(case["states"]) == 2
    for state, expected in zip(states, case["states"]):
        np.testing.assert_allclose(state, expected, rtol=0, atol=atol)
    # The output is the first state (h), as in Addons.
    np.testing.assert_allclose(states[0], case["states"][0], atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_addons_weights_load_by_set_weights_in_the_same_layout(name):
    case = _case(name)
    cell = kg.PeepholeLSTMCell.from_config(case["cell_config"])
    cell.build((None, case["x"].shape[-1]))
    assert [w.name for w in cell.weights] == case["weight_names"]
    cell.set_weights(case["weights"])
    for variable, value in zip(cell.weights, case["weights"]):
        assert tuple(variable.shape) == value.shape
        np.testing.assert_array_equal(np.asarray(variable), value)


@pytest.mark.parametrize("name", CASES)
def test_addons_config_loads_with_the_same_arguments(name):
    addons = _case(name)["cell_config"]
    ours = kg.PeepholeLSTMCell.from_config(addons).get_config()
    # Every argument of Addons' config survives, with the same value;
    # the initializers' arguments too (Keras 3 adds some of its own).
    for key, value in addons.items():
        if isinstance(value, dict):
            assert ours[key]["class_name"] == value["class_name"], key
            assert value["config"].items() <= ours[key]["config"].items()
        elif key != "dtype":
            assert ours[key] == value, key
    assert set(ours) - set(addons) <= {"seed", "dtype"}


def test_the_numpy_reference_matches_the_addons_numbers():
    # The reference (from our docstring) agrees with Addons itself, so the
    # generic tests that compare with it test Addons' equations.
    case = _case("u4_i3_initial_state")
    names = case["weight_names"]
    w = {n: v.astype("float64") for n, v in zip(names, case["weights"])}
    step = lambda x, s: ref.peephole_lstm_step(w, x, s)  # noqa: E731
    outputs, states = ref.run_rnn(
        step, case["x"].astype("float64"), case["initial_state"]
    )
    np.testing.assert_allclose(outputs, case["outputs"], atol=1e-6)
    np.testing.assert_allclose(states[1], case["states"][1], atol=1e-6)


def test_fixed_weights_give_the_pinned_numbers():
    # Produced once by the implementation; they agree with the NumPy
    # reference to 6e-8 (tests/cells/fixed_weights.py).
    sequence, (h, c) = run_with_fixed_weights(kg.PeepholeLSTMCell(3))
    np.testing.assert_allclose(
        sequence,
        [
            [
                [0.0885309, 0.0678747, 0.0319781],
                [0.1226447, 0.1198778, 0.0755254],
                [0.1211535, 0.1581475, 0.1194397],
            ],
            [
                [0.0488701, 0.1401653, 0.1075817],
                [0.0271339, 0.2004503, 0.1692581],
                [-0.0360362, 0.2326827, 0.2073398],
            ],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(h, sequence[:, -1])
    np.testing.assert_allclose(
        c,
        [
            [0.2102856, 0.3150637, 0.2815933],
            [-0.0511258, 0.3819707, 0.4492333],
        ],
        atol=1e-6,
    )


def test_weight_layout():
    cell = kg.PeepholeLSTMCell(3)
    cell.build((None, 5))
    assert [(w.name, tuple(w.shape)) for w in cell.weights] == [
        ("kernel", (5, 12)),
        ("recurrent_kernel", (3, 12)),
        ("bias", (12,)),
        ("input_gate_peephole_weights", (3,)),
        ("forget_gate_peephole_weights", (3,)),
        ("output_gate_peephole_weights", (3,)),
    ]
    assert cell.state_size == [3, 3]
    assert cell.output_size == 3
    without_bias = kg.PeepholeLSTMCell(3, use_bias=False)
    without_bias.build((None, 5))
    assert [w.name for w in without_bias.weights] == [
        n for n in WEIGHT_NAMES if n != "bias"
    ]


def test_is_a_keras_lstm_cell_like_addons():
    assert isinstance(kg.PeepholeLSTMCell(2), keras.layers.LSTMCell)


def test_the_output_gate_peeks_at_the_new_cell_state():
    # From c_{-1} = 0, p_i and p_f see zeros: only p_o (which sees c_0)
    # can change the first output.
    cell = kg.PeepholeLSTMCell(2)
    cell.build((None, 3))
    randomize(cell)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    zeros = cell.get_initial_state(4)
    before, (_, c_before) = cell(x, zeros)
    cell.input_gate_peephole_weights.assign([5.0, -5.0])
    cell.forget_gate_peephole_weights.assign([-5.0, 5.0])
    unchanged, _ = cell(x, zeros)
    np.testing.assert_allclose(unchanged, before, atol=1e-7)
    cell.output_gate_peephole_weights.assign([5.0, -5.0])
    changed, (_, c_after) = cell(x, zeros)
    np.testing.assert_allclose(c_after, c_before, atol=1e-7)
    assert np.max(np.abs(np.asarray(changed) - np.asarray(before))) > 1e-2


def test_input_and_forget_gates_peek_at_the_previous_cell_state():
    cell = kg.PeepholeLSTMCell(2)
    cell.build((None, 3))
    randomize(cell)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3)).astype("float32")
    states = [rng.normal(size=(4, 2)).astype("float32") for _ in range(2)]
    for name in ("input", "forget"):
        weight = getattr(cell, f"{name}_gate_peephole_weights")
        kept = np.asarray(weight)
        _, (_, before) = cell(x, states)
        weight.assign(kept + 3.0)
        _, (_, after) = cell(x, states)
        weight.assign(kept)
        assert np.max(np.abs(np.asarray(after) - np.asarray(before))) > 1e-2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"use_bias": False},
        {"implementation": 1},
        {"activation": "relu"},
        {"recurrent_activation": "tanh"},
    ],
    ids=["no_bias", "implementation_1", "relu", "tanh_gates"],
)
def test_options_match_the_reference(kwargs):
    cell = kg.PeepholeLSTMCell(5, **kwargs)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn.build((None, None, 4))
    randomize(cell)
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    expected, _ = ref.run_rnn(
        reference_step(cell), x.astype("float64"), [np.zeros((3, 5))] * 2
    )
    np.testing.assert_allclose(rnn(x), expected, atol=1e-5)


def test_implementations_agree_without_dropout():
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    outputs = []
    for implementation in (1, 2):
        cell = kg.PeepholeLSTMCell(5, implementation=implementation)
        rnn = keras.layers.RNN(cell, return_sequences=True)
        rnn.build((None, None, 4))
        randomize(cell)
        outputs.append(np.asarray(rnn(x)))
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-6)


def test_dropout_masks_per_gate_with_implementation_1_as_keras():
    x = np.ones((3, 4), "float32")
    shared = kg.PeepholeLSTMCell(5, dropout=0.5, seed=1)
    assert shared.implementation == 2
    assert not isinstance(shared.get_dropout_mask(x), list)
    per_gate = kg.PeepholeLSTMCell(5, dropout=0.5, implementation=1, seed=1)
    masks = per_gate.get_dropout_mask(x)
    assert isinstance(masks, list) and len(masks) == 4
    assert not np.allclose(masks[0], masks[1])
    # Recurrent dropout selects the per-gate masks, as in Keras 2 and 3.
    recurrent = kg.PeepholeLSTMCell(5, recurrent_dropout=0.5)
    assert recurrent.implementation == 1
    assert recurrent.get_config()["implementation"] == 1


@pytest.mark.parametrize("implementation", [1, 2])
def test_dropout_trains_and_stays_off_in_inference(implementation):
    cell = kg.PeepholeLSTMCell(
        4, dropout=0.5, implementation=implementation, seed=2
    )
    rnn = keras.layers.RNN(cell)
    x = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    inference = np.asarray(rnn(x))
    np.testing.assert_array_equal(inference, np.asarray(rnn(x)))
    assert not np.allclose(np.asarray(rnn(x, training=True)), inference)


def test_config_round_trip_with_every_argument():
    cell = kg.PeepholeLSTMCell(
        5,
        activation="relu",
        recurrent_activation="hard_sigmoid",
        use_bias=False,
        kernel_initializer="he_normal",
        recurrent_initializer="glorot_normal",
        bias_initializer="ones",
        unit_forget_bias=False,
        kernel_regularizer="l2",
        recurrent_regularizer="l1",
        bias_regularizer="l2",
        kernel_constraint="unit_norm",
        recurrent_constraint="non_neg",
        bias_constraint="non_neg",
        dropout=0.25,
        recurrent_dropout=0.125,
        seed=7,
        implementation=1,
        name="peephole",
    )
    config = cell.get_config()
    assert config["implementation"] == 1
    assert config["activation"] == "relu"
    assert config["unit_forget_bias"] is False
    signature = inspect.signature(kg.PeepholeLSTMCell).parameters
    assert set(signature) - {"kwargs"} <= set(config)
    clone = kg.PeepholeLSTMCell.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == "keras_gated>PeepholeLSTMCell"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is kg.PeepholeLSTMCell
    assert restored.get_config() == config


@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_unit_forget_bias(unit_forget_bias):
    cell = kg.PeepholeLSTMCell(2, unit_forget_bias=unit_forget_bias)
    cell.build((None, 3))
    forget = 1.0 if unit_forget_bias else 0.0
    np.testing.assert_array_equal(cell.bias, [0, 0, forget, forget, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"implementation": 3}, "implementation"),
        ({"implementation": 0}, "implementation"),
        ({"implementation": True}, "implementation"),
        ({"implementation": "2"}, "implementation"),
        ({"unit_forget_bias": "yes"}, "unit_forget_bias"),
        ({"use_bias": 1}, "use_bias"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    received = repr(kwargs[argument])
    with pytest.raises(ValueError, match=f"`{argument}`.*{received}"):
        kg.PeepholeLSTMCell(3, **kwargs)


def test_wrong_states_are_a_clear_error():
    cell = kg.PeepholeLSTMCell(3)
    x = np.zeros((2, 4), "float32")
    with pytest.raises(ValueError, match=r"`states`.*\[h, c\]"):
        cell(x, [np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match=r"`states`.*\(2, 5\)"):
        cell(x, [np.zeros((2, 5), "float32")] * 2)


def test_the_docstring_gives_equations_weights_and_references():
    doc = inspect.getdoc(kg.PeepholeLSTMCell)
    for text in [
        "i   = σ(z_i + p_i ⊙ c_{t-1})",
        "f   = σ(z_f + p_f ⊙ c_{t-1})",
        "o   = σ(z_o + p_o ⊙ c_t)",
        "h_t = o ⊙ tanh(c_t)",
        "state = [h_t, c_t];  output = h_t",
        "tfa.rnn.PeepholeLSTMCell",
        "tf.keras.experimental.PeepholeLSTMCell",
        "implementation",
        "Gers",
        "Sak",
        "References:",
        *WEIGHT_NAMES,
    ]:
        assert text in doc, text


def test_exported_from_the_cells_package():
    from keras_gated import cells

    assert cells.PeepholeLSTMCell is kg.PeepholeLSTMCell
    assert "PeepholeLSTMCell" in kg.__all__


def _trained_weights(jit_compile):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 3))
    hidden = keras.layers.RNN(kg.PeepholeLSTMCell(4))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=jit_compile)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] / 10
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    return model.get_weights()


def test_fit_under_xla_equals_fit_without_it():
    compiled = _trained_weights(jit_compile=True)
    for a, b in zip(compiled, _trained_weights(jit_compile=False)):
        np.testing.assert_allclose(a, b, atol=1e-5)
