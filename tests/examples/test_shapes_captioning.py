import math

import keras
import numpy as np
import pytest

import keras_gated as kg
from keras_gated.examples import shapes_captioning as sc
from keras_gated.examples.shapes_captioning import VOCABULARY
from keras_gated.examples.shapes_captioning import ShapesCaptioner
from keras_gated.examples.shapes_captioning import bleu
from keras_gated.examples.shapes_captioning import describe
from keras_gated.examples.shapes_captioning import exact_match
from keras_gated.examples.shapes_captioning import make_scenes

# The baseline attends over its one mean-pooled position, a softmax over an
# axis of size 1, which Keras warns about.
pytestmark = pytest.mark.filterwarnings(
    "ignore:You are using a softmax over axis -1:UserWarning"
)

SMALL = {"units": 8, "embedding_dim": 4, "filters": 4}


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(6, seed=3)


@pytest.fixture(scope="module")
def captioner():
    """Untrained: decoding, saving and exporting need no trained weights."""
    keras.utils.set_random_seed(0)
    return ShapesCaptioner(**SMALL)


def test_describe_names_colours_counts_and_relations():
    assert describe([("red", "circle", 0, 1)]) == "a red circle"
    assert (
        describe([("blue", "square", 2, 0), ("red", "circle", 0, 2)])
        == "a red circle above a blue square"
    )
    assert (
        describe([("red", "circle", 1, 2), ("green", "triangle", 1, 0)])
        == "a green triangle left of a red circle"
    )
    assert describe([("blue", "square", 0, 0)] * 3) == "three blue squares"
    assert (
        describe([("yellow", "circle", 2, 2), ("yellow", "circle", 0, 0)])
        == "two yellow circles"
    )
    with pytest.raises(ValueError, match="4 shapes"):
        describe([("red", "circle", 0, i) for i in range(4)])
    with pytest.raises(ValueError, match="not all the same"):
        describe(
            [("red", "circle", 0, 0), ("red", "square", 0, 1)] * 1
            + [("red", "circle", 1, 1)]
        )


def test_make_scenes_is_reproducible_and_draws_what_it_says():
    scenes = make_scenes(40, seed=1)
    assert scenes.images.shape == (40, 64, 64, 3)
    assert scenes.images.dtype == np.uint8
    again = make_scenes(40, seed=1)
    np.testing.assert_array_equal(scenes.images, again.images)
    assert scenes.captions == again.captions
    assert make_scenes(40, seed=2).captions != scenes.captions
    for image, caption, shapes in zip(*scenes):
        assert caption == describe(shapes)
        assert len({(row, column) for *_, row, column in shapes}) == len(shapes)
        for colour, _, row, column in shapes:
            # The centre of the shape's cell holds the shape's colour.
            cell = image[
                int((row + 0.5) * 64 / 3), int((column + 0.5) * 64 / 3)
            ]
            np.testing.assert_array_equal(cell, sc.COLOURS[colour])
    kinds = {len(c.split()) for c in scenes.captions}
    assert kinds == {3, 7, 8}  # Shapes and counts; "above"; "left of".
    with pytest.raises(ValueError, match="n=0"):
        make_scenes(0)


def test_vocabulary_round_trip_and_teacher_forcing():
    captions = ["a red circle left of a blue square", "two red squares"]
    ids = VOCABULARY.encode(captions)
    assert ids.shape == (2, sc.MAX_LENGTH) and ids.dtype == np.int32
    assert ids[0, -1] == sc.END and ids[1, 3] == sc.END
    assert VOCABULARY.decode(ids) == captions
    decoder_input, decoder_target = sc.encode_targets(captions)
    assert decoder_input[1].tolist() == [
        sc.START, *decoder_target[1, :-1].tolist()
    ]  # fmt: skip
    with pytest.raises(ValueError, match="'purple'"):
        VOCABULARY.encode(["a purple circle"])
    # Decoding stops at the end token and skips padding.
    a, red, circle, two = (
        VOCABULARY.ids[w] for w in "a red circle two".split()
    )
    assert VOCABULARY.decode(
        [[sc.START, a, red, sc.PAD, circle, sc.END, two, sc.PAD, sc.PAD]]
    ) == ["a red circle"]


def test_exact_match():
    assert exact_match(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    with pytest.raises(ValueError, match="lengths 1 and 2"):
        exact_match(["a"], ["a", "b"])


def test_bleu_on_hand_computed_cases():
    reference = "a red circle above a green square"
    # 6/7 words, 4/6 bigrams, 3/5 trigrams, 2/4 4-grams match.
    assert bleu(["a red circle above a blue square"], [reference]) == (
        pytest.approx((6 / 7 * 4 / 6 * 3 / 5 * 2 / 4) ** 0.25)
    )
    assert bleu([reference], [reference]) == 1.0
    # Short: every n-gram matches, brevity penalty exp(1 - 7/3).
    assert bleu(["a red circle"], [reference], max_order=3) == (
        pytest.approx(math.exp(1 - 7 / 3))
    )
    # No 4-gram in a 3-word caption: no smoothing, so 0.
    assert bleu(["a red circle"], [reference]) == 0.0
    # Clipping: "a" counts once, as in the reference; longer, so BP = 1.
    assert bleu(["a a a a"], ["a red circle"], max_order=1) == 0.25
    # Corpus BLEU pools the counts: unigrams 5/6, bigrams 3/4.
    assert bleu(
        ["a red circle", "two blue squares"],
        ["a red square", "two blue squares"],
        max_order=2,
    ) == pytest.approx(math.sqrt(5 / 6 * 3 / 4))
    with pytest.raises(ValueError, match="lengths 0 and 0"):
        bleu([], [])
    with pytest.raises(ValueError, match="max_order=0"):
        bleu(["a"], ["a"], max_order=0)


@pytest.mark.parametrize("attention", [True, False])
def test_build_model_maps_images_and_teacher_forcing_to_logits(
    scenes, attention
):
    model = sc.build_model(**SMALL, attention=attention)
    decoder_input, _ = sc.encode_targets(scenes.captions)
    logits = model([scenes.images, decoder_input])
    assert tuple(logits.shape) == (6, sc.MAX_LENGTH, VOCABULARY.size)


def test_baseline_attends_over_one_mean_pooled_position(scenes):
    keras.utils.set_random_seed(1)
    baseline = ShapesCaptioner(**SMALL, attention=False)
    memory = baseline.initial_state(scenes.images)["memory"]
    assert tuple(memory.shape) == (6, 1, SMALL["filters"])
    encoder = baseline.model.get_layer("encoder")
    np.testing.assert_allclose(
        memory[:, 0],
        np.mean(encoder(scenes.images), axis=1),
        rtol=1e-5,
        atol=1e-6,
    )
    alignments = baseline.alignments(scenes.images, scenes.captions)
    for weights in alignments:
        np.testing.assert_allclose(weights, 1.0)


def test_the_decoder_is_show_attend_tell_with_the_penalty(scenes):
    keras.utils.set_random_seed(2)
    model = sc.build_model(**SMALL, attention_penalty=0.5)
    decoder = model.get_layer("decoder")
    assert decoder.cell.wiring == "show_attend_tell"
    assert decoder.cell.context_gate and decoder.cell.output_context
    decoder_input, _ = sc.encode_targets(scenes.captions)
    model([scenes.images, decoder_input], training=True)
    (penalty,) = model.losses
    alignments = keras.Model(model.inputs, decoder.output[1])(
        [scenes.images, decoder_input]
    )
    expected = 0.5 * kg.doubly_stochastic_penalty(
        alignments, decoder_input != sc.PAD, reduction=sc.PENALTY_REDUCTION
    )
    np.testing.assert_allclose(penalty, expected, rtol=1e-5)
    baseline = sc.build_model(**SMALL, attention=False)
    baseline([scenes.images, decoder_input], training=True)
    assert baseline.losses == []


def test_fit_lowers_the_loss_and_reports_validation(scenes):
    keras.utils.set_random_seed(0)
    train = make_scenes(32, seed=0)
    history = ShapesCaptioner(**SMALL).fit(
        train, epochs=3, batch_size=16, validation=scenes, verbose=0
    )
    assert set(history.history) == {
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    }
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("beam_width", [None, 1, 3])
def test_decode_returns_word_ids(captioner, scenes, beam_width):
    result = captioner.decode(scenes.images, beam_width=beam_width)
    assert tuple(result.sequences.shape) == (6, sc.MAX_LENGTH)
    assert tuple(result.lengths.shape) == tuple(result.scores.shape) == (6,)
    assert np.all(np.asarray(result.lengths) <= sc.MAX_LENGTH)


def test_beam_width_one_is_greedy(captioner, scenes):
    np.testing.assert_array_equal(
        captioner.decode(scenes.images).sequences,
        captioner.decode(scenes.images, beam_width=1).sequences,
    )


def test_caption_decodes_in_batches(captioner, scenes):
    captions = captioner.caption(scenes.images)
    assert captions == captioner.caption(scenes.images, batch_size=4)
    ids = captioner.decode(scenes.images).sequences
    assert captions == VOCABULARY.decode(keras.ops.convert_to_numpy(ids))


def test_alignments_are_distributions_over_the_grid(captioner, scenes):
    captions = ["a red circle", "", "two blue squares left of of of a"]
    alignments = captioner.alignments(scenes.images[:3], captions)
    for weights, caption in zip(alignments, captions):
        assert weights.shape == (len(caption.split()) + 1, 64)
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_keras_file_round_trip(captioner, scenes, tmp_path):
    path = tmp_path / "captioner.keras"
    captioner.model.save(path)
    loaded = ShapesCaptioner.load(path)
    assert loaded.caption(scenes.images, beam_width=2) == captioner.caption(
        scenes.images, beam_width=2
    )


@pytest.mark.tensorflow_only
def test_saved_model_caption_endpoint_equals_eager_decoding(
    captioner, scenes, tmp_path
):
    import tensorflow as tf

    path = str(tmp_path / "saved_model")
    captioner.export(path, beam_width=2)
    serving = tf.saved_model.load(path)
    outputs = serving.caption(tf.constant(scenes.images))
    eager = captioner.decode(scenes.images, beam_width=2)
    np.testing.assert_array_equal(outputs["sequences"], eager.sequences)
    np.testing.assert_array_equal(outputs["lengths"], eager.lengths)
    np.testing.assert_allclose(outputs["scores"], eager.scores, atol=1e-5)
    assert [c.decode() for c in outputs["captions"].numpy()] == (
        captioner.caption(scenes.images, beam_width=2)
    )
    with pytest.raises((ValueError, TypeError)):
        serving.caption(tf.zeros((1, 64, 64, 3), tf.float32))
