"""Export: LiteRT with builtin ops only, and a SavedModel in a fresh process.

One model holds every cell of the registry (in `keras.layers.RNN`), every
fused-layer variant (the SRU also as a parallel scan) and the attention
decoder, so that one conversion covers them all. See docs/export.md.
"""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import registry
from tests.cell_cases import randomize

pytestmark = pytest.mark.tensorflow_only

BATCH, STEPS, FEATURES, UNITS, SOURCE_LEN, MEMORY_DIM = 3, 5, 3, 4, 6, 7


def _every_layer(unroll, steps):
    """A model with an output per cell and layer, named after it."""
    x = keras.Input((steps, FEATURES), name="x")
    memory = keras.Input(
        (None if steps is None else SOURCE_LEN, MEMORY_DIM), name="memory"
    )
    kw = {"return_sequences": True, "unroll": unroll}
    # Every registry cell in `keras.layers.RNN`, every fused-layer variant.
    outputs = {
        entry.name: keras.layers.RNN(entry.cls(UNITS), **kw)(x)
        for entry in registry.RNN_CELLS
    }
    for name, make in registry.fused_layers().items():
        outputs[name.replace("-", "_")] = make(UNITS, **kw)(x)
    outputs["AttentionDecoder"] = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(UNITS), "bahdanau"), **kw
    )(x, memory=memory)
    model = keras.Model([x, memory], outputs)
    for seed, layer in enumerate(model.layers):
        randomize(layer, seed=seed)
    return model


def _data(batch=BATCH, steps=STEPS, source_len=SOURCE_LEN, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(batch, steps, FEATURES)).astype("float32"),
        "memory": rng.normal(size=(batch, source_len, MEMORY_DIM)).astype(
            "float32"
        ),
    }


def _interpreter(path):
    """ai-edge-litert's interpreter (the successor of `tf.lite`'s)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - platforms without the wheel
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its deprecation notice
            return tf.lite.Interpreter(model_path=path)
    return Interpreter(model_path=path)


def test_litert_unrolled_converts_with_builtin_ops_only(tmp_path):
    import tensorflow as tf

    model = _every_layer(unroll=True, steps=STEPS)
    path = str(tmp_path / "model.tflite")
    # TFLITE_BUILTINS alone: the conversion fails on any op that would
    # need the Flex delegate (SELECT_TF_OPS).
    model.export(
        path,
        format="litert",
        verbose=False,
        target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]},
    )
    with open(path, "rb") as f:
        assert b"Flex" not in f.read()
    interpreter = _interpreter(path)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not any(
        name.startswith("Flex") or name == "CUSTOM" for name in ops
    ), ops
    runner = interpreter.get_signature_runner()
    for batch in (BATCH, 1):  # the batch size is dynamic
        data = _data(batch=batch)
        got = runner(**data)
        expected = model([data["x"], data["memory"]])
        assert sorted(got) == sorted(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(
                got[name], value, atol=1e-5, err_msg=name
            )


@pytest.mark.parametrize("batch", [None, 2], ids=["dynamic", "static"])
def test_litert_time_loop_needs_flex(tmp_path, batch):
    # The documented limitation (docs/export.md): a time loop that is not
    # unrolled becomes TensorList ops, which builtin LiteRT lacks, whatever
    # the batch size.
    import tensorflow as tf

    x = keras.Input((STEPS, FEATURES), batch_size=batch)
    model = keras.Model(x, kg.LNGRU(UNITS)(x))
    with pytest.raises(Exception, match="TensorListReserve"):
        model.export(
            str(tmp_path / "loop.tflite"),
            format="litert",
            verbose=False,
            target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]},
        )


SERVE = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf

    path, data_path = sys.argv[1:]
    data = np.load(data_path)
    serving = tf.saved_model.load(path)
    for case in ("a", "b"):
        outputs = serving.serve([data[case + "/x"], data[case + "/memory"]])
        for name, value in outputs.items():
            diff = np.max(np.abs(value.numpy() - data[case + "/" + name]))
            print(case, name, diff)
            assert diff < 1e-5, (case, name, diff)
    assert "keras_gated" not in sys.modules
    print("served")
    """
)


def test_saved_model_serves_the_same_numbers_in_a_fresh_process(tmp_path):
    model = _every_layer(unroll=False, steps=None)
    path = str(tmp_path / "saved_model")
    model.export(path, verbose=False)
    arrays = {}
    # Two shapes: the signature has a dynamic batch, time and source length.
    for case, data in (("a", _data()), ("b", _data(2, 9, 4, seed=1))):
        outputs = model([data["x"], data["memory"]])
        for name, value in {**data, **outputs}.items():
            arrays[f"{case}/{name}"] = np.asarray(value)
    np.savez(tmp_path / "data.npz", **arrays)
    result = subprocess.run(
        [sys.executable, "-c", SERVE, path, str(tmp_path / "data.npz")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "served" in result.stdout
