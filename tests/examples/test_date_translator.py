import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gated.examples import date_data
from keras_gated.examples.date_data import TARGET_VOCABULARY
from keras_gated.examples.date_translator import MAX_LENGTH
from keras_gated.examples.date_translator import DateTranslator
from keras_gated.examples.date_translator import build_model
from keras_gated.examples.date_translator import exact_match

TEXTS = ["3 May 1998", "Sunday, May 3, 1998", "05/03/98", "3.5.1998 é"]


@pytest.fixture(scope="module")
def translator():
    """Untrained: decoding, saving and exporting need no trained weights."""
    keras.utils.set_random_seed(0)
    return DateTranslator(units=8, embedding_dim=4)


def test_build_model_maps_sources_and_teacher_forcing_to_logits():
    model = build_model(units=8, embedding_dim=4)
    source = date_data.encode_sources(TEXTS)
    decoder_input, _ = date_data.encode_targets(["1998-05-03"] * len(TEXTS))
    logits = model([source, decoder_input])
    assert tuple(logits.shape) == (
        len(TEXTS),
        MAX_LENGTH,
        TARGET_VOCABULARY.size,
    )
    assert {layer.name for layer in model.layers if layer.weights} == {
        "source_embedding",
        "encoder",
        "target_embedding",
        "decoder",
        "projection",
    }


def test_fit_reports_the_loss_and_validation_accuracy():
    train, validation = date_data.make_splits(64, 16, seed=0)
    history = DateTranslator(units=8, embedding_dim=4).fit(
        train, epochs=2, batch_size=32, validation=validation, verbose=0
    )
    assert set(history.history) == {
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    }
    assert history.history["loss"][1] < history.history["loss"][0]


@pytest.mark.parametrize("beam_width", [None, 1, 3])
def test_decode_returns_target_ids(translator, beam_width):
    source = date_data.encode_sources(TEXTS)
    result = translator.decode(source, beam_width=beam_width)
    assert tuple(result.sequences.shape) == (len(TEXTS), MAX_LENGTH)
    assert (
        tuple(result.lengths.shape)
        == tuple(result.scores.shape)
        == (len(TEXTS),)
    )
    assert np.all(np.asarray(result.lengths) <= MAX_LENGTH)


def test_beam_width_one_is_greedy(translator):
    source = date_data.encode_sources(TEXTS)
    np.testing.assert_array_equal(
        translator.decode(source).sequences,
        translator.decode(source, beam_width=1).sequences,
    )


def test_translate_decodes_in_batches(translator):
    texts = TEXTS * 2
    translations = translator.translate(texts)
    assert translations == translator.translate(texts, batch_size=3)
    assert all(set(t) <= set("-0123456789") for t in translations)
    ids = translator.decode(date_data.encode_sources(texts))
    assert translations == TARGET_VOCABULARY.decode(ids.sequences)


def test_alignments_cover_each_output_and_source_character(translator):
    # Whatever the decoder wrote: shorter, empty, or 11 characters (no end).
    outputs = ["1998-05-03", "1998", "", "1998-05-03-"]
    alignments = translator.alignments(TEXTS, outputs)
    for weights, text, output in zip(alignments, TEXTS, outputs):
        assert weights.shape == (len(output) + 1, len(text))
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_exact_match():
    assert exact_match(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    with pytest.raises(ValueError, match="lengths 1 and 2"):
        exact_match(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="lengths 0 and 0"):
        exact_match([], [])


def test_keras_file_round_trip(translator, tmp_path):
    path = tmp_path / "dates.keras"
    translator.model.save(path)
    loaded = DateTranslator.load(path)
    assert loaded.translate(TEXTS, beam_width=2) == translator.translate(
        TEXTS, beam_width=2
    )


@pytest.mark.tensorflow_only
def test_saved_model_endpoints_equal_eager_decoding(translator, tmp_path):
    path = str(tmp_path / "saved_model")
    translator.export(path, beam_width=2)
    serving = tf.saved_model.load(path)

    eager = translator.decode(date_data.encode_sources(TEXTS), beam_width=2)
    from_strings = serving.translate(tf.constant(TEXTS))
    from_ids = serving.translate_ids(
        tf.constant(date_data.encode_sources(TEXTS))
    )
    for exported in (from_strings, from_ids):
        np.testing.assert_array_equal(exported["sequences"], eager.sequences)
        np.testing.assert_array_equal(exported["lengths"], eager.lengths)
        np.testing.assert_allclose(exported["scores"], eager.scores, atol=1e-5)
    assert [t.decode() for t in from_strings["translations"].numpy()] == (
        TARGET_VOCABULARY.decode(eager.sequences)
    )
    assert set(from_ids) == {"sequences", "lengths", "scores"}
