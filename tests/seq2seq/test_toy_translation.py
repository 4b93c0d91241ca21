"""End to end: train on the toy task, decode, save, export `translate`.

TensorFlow only: the accuracy thresholds hold for TensorFlow's random
stream (on JAX the same recipe reaches 93% exact match, not 97%), and the
export is a SavedModel. Decoding and training on JAX are covered by the
other seq2seq tests and the property tests.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.seq2seq.toy_task import MAX_WORDS
from tests.seq2seq.toy_task import Translator
from tests.seq2seq.toy_task import exact_match
from tests.seq2seq.toy_task import make_data
from tests.seq2seq.toy_task import token_accuracy

pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    translator = Translator()
    history = translator.fit(make_data(2000, seed=0))
    return translator, history


@pytest.fixture(scope="module")
def held_out():
    return make_data(200, seed=1)


def test_fit_learns_to_reverse(trained, held_out):
    translator, history = trained
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.05 * losses[0]
    assert token_accuracy(translator, held_out) >= 0.99


@pytest.mark.parametrize("beam_width", [None, 1, 3])
def test_decoding_reverses_held_out_sources(trained, held_out, beam_width):
    translator, _ = trained
    result = translator.translate(held_out[0], beam_width=beam_width)
    assert exact_match(result, held_out) >= 0.97
    lengths = (held_out[0] != 0).sum(-1) + 1
    assert np.mean(np.asarray(result.lengths) == lengths) >= 0.97


def test_coverage_penalty_with_real_alignments(trained, held_out):
    translator, _ = trained
    result = translator.translate(
        held_out[0][:50], beam_width=3, length_penalty=0.6, coverage_penalty=0.2
    )
    assert np.all(np.isfinite(result.scores))
    assert exact_match(result, [h[:50] for h in held_out]) >= 0.97


def test_keras_file_round_trip(trained, held_out, tmp_path):
    translator, _ = trained
    path = tmp_path / "translator.keras"
    translator.model.save(path)
    loaded = Translator(keras.saving.load_model(path))
    data = [held_out[0][:20], held_out[1][:20]]
    np.testing.assert_array_equal(loaded.model(data), translator.model(data))
    np.testing.assert_array_equal(
        loaded.translate(data[0]).sequences,
        translator.translate(data[0]).sequences,
    )


def test_saved_model_translate_endpoint_equals_eager_decoding(
    trained, held_out, tmp_path
):
    translator, _ = trained

    def translate(source):
        result = translator.translate(source, beam_width=3, length_penalty=0.6)
        return result._asdict()

    archive = keras.export.ExportArchive()
    archive.track(translator.model)
    archive.add_endpoint(
        "translate",
        translate,
        input_signature=[tf.TensorSpec((None, None), tf.int32)],
    )
    path = str(tmp_path / "translator")
    archive.write_out(path, verbose=False)

    serving = tf.saved_model.load(path)
    for source in (held_out[0][:7], held_out[0][7:10, :4]):
        exported = serving.translate(tf.constant(source))
        eager = translator.translate(source, beam_width=3, length_penalty=0.6)
        assert exported["sequences"].shape == (len(source), MAX_WORDS + 1)
        np.testing.assert_array_equal(exported["sequences"], eager.sequences)
        np.testing.assert_array_equal(exported["lengths"], eager.lengths)
        np.testing.assert_allclose(exported["scores"], eager.scores, atol=1e-5)


def test_xla_compiled_translation_equals_eager(trained, held_out):
    translator, _ = trained
    source = held_out[0][:8]
    compiled = tf.function(
        lambda s: translator.translate(s, beam_width=3), jit_compile=True
    )(tf.constant(source))
    eager = translator.translate(source, beam_width=3)
    np.testing.assert_array_equal(compiled.sequences, eager.sequences)
    np.testing.assert_allclose(compiled.scores, eager.scores, atol=1e-4)
