"""Image captioning with visual attention, on scenes of coloured shapes.

Everything is generated locally with NumPy: a 64×64 `uint8` scene holds one
to three coloured shapes on a 3×3 layout, and its caption says what they
are and where:

```
one shape                      a red circle
two different shapes           a red circle above a blue square
(on one row: "left of")        a green triangle left of a red circle
two or three identical shapes  two yellow squares / three blue circles
```

The first shape named is the upper one ("above"), or the left one on a
row ("left of"), so the caption is a function of the image. Colours, counts
and relations all have to be read off the image; the relations need to
know *where* each shape is.

The captioner is Show, Attend and Tell (Xu et al. 2015):

```
uint8 image ─ small CNN ─ 8×8 grid of features + position embedding ─ memory
memory ─ MemoryInitialState ─ [h0, c0]
<start> words ─ Embedding ─ AttentionDecoder(LSTM, "show_attend_tell")
                  └──────────── [h_t; z_t; E y_{t-1}] ─ Dense ─ logits
```

At every step the decoder attends over the 64 grid cells with `h_{t-1}`
(Bahdanau attention), gates the context with `β_t`, and feeds it to the
LSTM; the logits are a `Dense` layer of `[h_t; z_t; E y_{t-1}]` (the
paper's deep output, linear). The loss adds the doubly stochastic penalty
`λ Σ_i (1 − Σ_t α_ti)²`, averaged over the cells (`PENALTY_REDUCTION`,
the scale of sgrvinod's PyTorch tutorial, since the cross-entropy is
averaged over the words too). The memory holds a learned embedding of
each cell's position, so the attention can tell the top of the image from
the bottom.

The baseline (`attention=False`) is the same model with a mean-pooled
context: its memory is the mean of the 64 cells, one position, so that the
decoder sees *what* is in the image but no longer *where* (the mean of the
position embeddings is the same for every image).
Its attention over one position is a softmax over an axis of size 1
(always 1), which Keras warns about; the notebook silences that warning.

>>> scenes = make_scenes(4, seed=0)
>>> scenes.images.shape, scenes.images.dtype
((4, 64, 64, 3), dtype('uint8'))
>>> captioner = ShapesCaptioner(units=8, embedding_dim=4, filters=4)
>>> captions = captioner.caption(scenes.images)  # Untrained.
>>> len(captions), all(isinstance(c, str) for c in captions)
(4, True)
"""

import collections
import math
from typing import NamedTuple

import keras
import numpy as np
from keras import ops

import keras_gated as kg

SIZE = 64
GRID = 3  # The shapes sit in the cells of a 3×3 layout.
COLOURS = {
    "red": (220, 50, 47),
    "green": (60, 180, 75),
    "blue": (50, 100, 230),
    "yellow": (240, 210, 40),
}
SHAPES = ("circle", "square", "triangle")
_COUNTS = {2: "two", 3: "three"}

WORDS = (
    "<pad>", "<start>", "<end>", "a", "two", "three", *COLOURS,
    *SHAPES, *(f"{shape}s" for shape in SHAPES), "above", "left", "of",
)  # fmt: skip
PAD, START, END = 0, 1, 2
# The longest caption, "a red circle left of a blue square", and <end>.
MAX_LENGTH = 9
# The penalty's scale: averaged over the 64 grid cells, next to a
# cross-entropy averaged over the words, as in sgrvinod's PyTorch tutorial.
PENALTY_REDUCTION = "mean_over_positions"


class Scenes(NamedTuple):
    """Images and their captions.

    Attributes:
        images: uint8 `(n, 64, 64, 3)`.
        captions: A list of `n` strings.
        shapes: Per image, the list of `(colour, shape, row, column)`.
    """

    images: np.ndarray
    captions: list
    shapes: list


def _draw(image, colour, shape, centre_y, centre_x, radius):
    y, x = np.mgrid[:SIZE, :SIZE]
    dy, dx = y - centre_y, x - centre_x
    if shape == "circle":
        inside = dy**2 + dx**2 <= radius**2
    elif shape == "square":
        inside = (np.abs(dy) <= 0.85 * radius) & (np.abs(dx) <= 0.85 * radius)
    else:  # A triangle pointing up.
        inside = (np.abs(dy) <= radius) & (
            np.abs(dx) <= 0.5 * (dy + radius) * 1.1
        )
    image[inside] = COLOURS[colour]


def describe(shapes):
    """The caption of a scene, from its `(colour, shape, row, column)`s."""
    if not 1 <= len(shapes) <= 3:
        raise ValueError(
            f"Received a scene of {len(shapes)} shapes, expected one to three."
        )
    kinds = {(colour, shape) for colour, shape, _, _ in shapes}
    if len(kinds) == 1:
        colour, shape = next(iter(kinds))
        if len(shapes) == 1:
            return f"a {colour} {shape}"
        return f"{_COUNTS[len(shapes)]} {colour} {shape}s"
    if len(shapes) != 2:
        raise ValueError(
            "Received three shapes that are not all the same, "
            f"{shapes!r}; the captions name three identical shapes only."
        )
    first, second = sorted(shapes, key=lambda s: (s[2], s[3]))
    relation = "above" if first[2] != second[2] else "left of"
    return f"a {first[0]} {first[1]} {relation} a {second[0]} {second[1]}"


def make_scenes(n, seed=0):
    """`n` random scenes and their captions, as `Scenes`.

    70% of the scenes hold two different shapes (a relation), 15% one
    shape, 15% two or three identical shapes (a count). Colours,
    shapes and cells are uniform; each shape is jittered by up to 3 pixels
    in its cell, and its size varies; the background has a little noise.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"Received n={n!r}, expected a positive integer.")
    rng = np.random.default_rng(seed)
    images = np.zeros((n, SIZE, SIZE, 3), dtype=np.uint8)
    captions, layouts = [], []
    cell = SIZE / GRID
    colours, shapes = list(COLOURS), list(SHAPES)
    for index in range(n):
        kind = rng.random()
        cells = rng.permutation(GRID * GRID)
        if kind < 0.15:
            drawn = [(rng.choice(colours), rng.choice(shapes))]
        elif kind < 0.85:
            first = rng.integers(len(colours) * len(shapes))
            second = first + 1 + rng.integers(len(colours) * len(shapes) - 1)
            second %= len(colours) * len(shapes)
            drawn = [
                (colours[k // len(shapes)], shapes[k % len(shapes)])
                for k in (first, second)
            ]
        else:
            count = 2 + rng.integers(2)
            drawn = [(rng.choice(colours), rng.choice(shapes))] * count
        noise = rng.integers(0, 24, (SIZE, SIZE, 1), dtype=np.uint8)
        images[index] = noise
        layout = []
        for (colour, shape), where in zip(drawn, cells):
            row, column = divmod(int(where), GRID)
            centre_y = (row + 0.5) * cell + rng.uniform(-2, 2)
            centre_x = (column + 0.5) * cell + rng.uniform(-2, 2)
            radius = rng.uniform(8.0, 9.5)
            _draw(images[index], colour, shape, centre_y, centre_x, radius)
            layout.append((str(colour), str(shape), row, column))
        layouts.append(layout)
        captions.append(describe(layout))
    return Scenes(images, captions, layouts)


class Vocabulary:
    """Words to ids and back: `WORDS`, with `<pad>`, `<start>`, `<end>`."""

    def __init__(self, words=WORDS):
        self.words = tuple(words)
        self.ids = {word: i for i, word in enumerate(self.words)}
        self.size = len(self.words)

    def encode(self, captions, length=MAX_LENGTH, add_start=False):
        """int32 `(len(captions), length)` ids, `<end>` after each caption.

        With `add_start`, `<start>` comes first (and the last id is cut),
        the decoder's input under teacher forcing.
        """
        rows = np.full((len(captions), length), PAD, dtype=np.int32)
        for i, caption in enumerate(captions):
            words = caption.split()
            unknown = [w for w in words if w not in self.ids]
            if unknown:
                raise ValueError(
                    f"Received the caption {caption!r}, with words outside "
                    f"the vocabulary: {unknown!r}."
                )
            ids = [self.ids[w] for w in words] + [END]
            if add_start:
                ids = [START] + ids
            ids = ids[:length]
            rows[i, : len(ids)] = ids
        return rows

    def decode(self, sequences):
        """Caption strings of id sequences, up to the first `<end>`."""
        captions = []
        for row in np.asarray(sequences):
            words = []
            for token in row.tolist():
                if token == END:
                    break
                if token not in (PAD, START):
                    words.append(self.words[token])
            captions.append(" ".join(words))
        return captions


VOCABULARY = Vocabulary()


def encode_targets(captions):
    """Teacher forcing: `(decoder_input, decoder_target)`, int32 ids."""
    return (
        VOCABULARY.encode(captions, add_start=True),
        VOCABULARY.encode(captions),
    )


@keras.saving.register_keras_serializable(package="keras_gated_examples")
class _GridPositions(keras.layers.Layer):
    """Adds a learned embedding `p_i` to each grid cell: `m_i = f_i + p_i`.

    Weights: `embeddings`, `(cells, channels)`. Input and output
    `(batch, cells, channels)`.
    """

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=tuple(input_shape[1:]),
            initializer=keras.initializers.RandomNormal(stddev=0.1),
            name="embeddings",
        )

    def call(self, inputs):
        return inputs + ops.cast(self.embeddings, inputs.dtype)


def build_encoder(filters=32, name="encoder"):
    """The CNN: uint8 images `(batch, 64, 64, 3)` to `(batch, 64, filters)`.

    Three 3×3 convolutions of stride 2 (64 → 32 → 16 → 8 pixels) and a 1×1
    one, with ReLUs, then the 8×8 grid flattened row by row into 64
    annotation vectors, plus a learned embedding of each cell's position.
    """
    images = keras.Input((SIZE, SIZE, 3), dtype="uint8", name="images")
    x = keras.layers.Rescaling(1 / 255)(images)
    for width in (filters // 2, filters, filters):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(filters, 1, activation="relu")(x)
    x = keras.layers.Reshape((-1, filters))(x)
    memory = _GridPositions(name="positions")(x)
    return keras.Model(images, memory, name=name)


GRID_SIZE = SIZE // 8  # The encoder's grid is 8×8.


def build_model(units=64, embedding_dim=16, filters=32, attention=True,
                attention_penalty=1.0):  # fmt: skip
    """The teacher-forced model, `[images, decoder_input] -> logits`.

    Its layers `"encoder"`, `"initial_state"`, `"decoder"` (returning the
    alignments as its second output), `"word_embedding"` and
    `"projection"` are what `ShapesCaptioner` decodes with. With
    `attention=False` the memory is the mean of the grid (the baseline).
    """
    images = keras.Input((SIZE, SIZE, 3), dtype="uint8", name="images")
    decoder_input = keras.Input((None,), dtype="int32", name="decoder_input")
    memory = build_encoder(filters)(images)
    if not attention:
        memory = keras.layers.GlobalAveragePooling1D(keepdims=True)(memory)
    initial_state = kg.MemoryInitialState(
        units, num_states=2, name="initial_state"
    )(memory)
    words = keras.layers.Embedding(
        VOCABULARY.size, embedding_dim, mask_zero=True, name="word_embedding"
    )(decoder_input)
    outputs, _ = _decoder(units, attention, attention_penalty)(
        words, memory=memory, initial_state=initial_state
    )
    # The deep output of the paper (eq. 7), linear: from [h_t; z_t; E y_t-1].
    deep_output = keras.layers.Concatenate(name="deep_output")([outputs, words])
    logits = keras.layers.Dense(VOCABULARY.size, name="projection")(deep_output)
    return keras.Model(
        [images, decoder_input],
        logits,
        name="captioner" if attention else "baseline",
    )


def _decoder(units, attention, attention_penalty):
    cell = kg.AttentionDecoderCell(
        keras.layers.LSTMCell(units),
        "bahdanau",
        wiring="show_attend_tell",
        context_gate=True,
        output_context=True,
    )
    return kg.AttentionDecoder(
        cell,
        return_sequences=True,
        return_alignments=True,
        # The baseline's one position always gets a weight of one: no
        # penalty there (it would be a constant).
        attention_penalty=attention_penalty if attention else 0.0,
        attention_penalty_reduction=PENALTY_REDUCTION,
        name="decoder",
    )


def exact_match(predictions, references):
    """The fraction of `predictions` equal to `references` (strings)."""
    _check_pairs(predictions, references)
    return float(np.mean([p == r for p, r in zip(predictions, references)]))


def _check_pairs(predictions, references):
    if len(predictions) != len(references) or not references:
        raise ValueError(
            "Received predictions and references of lengths "
            f"{len(predictions)} and {len(references)}; expected equal, "
            "non-zero lengths."
        )


def _ngrams(words, n):
    return collections.Counter(
        tuple(words[i : i + n]) for i in range(len(words) - n + 1)
    )


def bleu(predictions, references, max_order=4):
    """Corpus BLEU of caption strings, one reference each (Papineni 2002).

    ```
    p_n  = Σ clipped matching n-grams / Σ predicted n-grams   (corpus sums)
    BP   = 1 if c > r else exp(1 − r / c)     c, r: total words
    BLEU = BP · exp(Σ_{n=1..N} log(p_n) / N)
    ```

    The count of a predicted n-gram is clipped to its count in the
    reference. No smoothing: BLEU is 0 when some `p_n` is 0 (as
    `nltk.translate.bleu_score.corpus_bleu` and sacrebleu without
    smoothing), and when nothing was predicted.

    Reference:
        K. Papineni, S. Roukos, T. Ward, W.-J. Zhu. "BLEU: a Method for
        Automatic Evaluation of Machine Translation", ACL 2002.
    """
    _check_pairs(predictions, references)
    if int(max_order) != max_order or max_order < 1:
        raise ValueError(
            f"Received max_order={max_order!r}, expected a positive integer."
        )
    matches, totals = [0] * max_order, [0] * max_order
    predicted_length = reference_length = 0
    for prediction, reference in zip(predictions, references):
        prediction, reference = prediction.split(), reference.split()
        predicted_length += len(prediction)
        reference_length += len(reference)
        for n in range(1, max_order + 1):
            predicted = _ngrams(prediction, n)
            wanted = _ngrams(reference, n)
            matches[n - 1] += sum(
                min(count, wanted[gram]) for gram, count in predicted.items()
            )
            totals[n - 1] += sum(predicted.values())
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals))
    brevity = min(0.0, 1.0 - reference_length / predicted_length)
    return math.exp(brevity + log_precision / max_order)


class ShapesCaptioner:
    """The captioner: training, decoding, attention maps and export.

    Args:
        units: The size of the LSTM state. Default: 64.
        embedding_dim: The size of the word embeddings. Default: 16.
        filters: The channels of the CNN and of the memory. Default: 32.
        attention: `False` for the mean-pooled baseline. Default: `True`.
        attention_penalty: `λ` of the doubly stochastic penalty (added to
            the loss by the decoder). Default: 1.0.
        model: A model from `build_model` (e.g. loaded from a `.keras`
            file) to use instead of a new one.
    """

    def __init__(self, units=64, embedding_dim=16, filters=32,
                 attention=True, attention_penalty=1.0,
                 model=None):  # fmt: skip
        self.model = model or build_model(
            units, embedding_dim, filters, attention, attention_penalty
        )
        layers = {layer.name: layer for layer in self.model.layers}
        images = self.model.inputs[0]
        memory = layers["initial_state"].input
        self.state_model = keras.Model(
            images, [memory, *layers["initial_state"].output]
        )
        self.alignment_model = keras.Model(
            self.model.inputs, layers["decoder"].output[1]
        )
        self.word_embedding = layers["word_embedding"]
        self.cell = layers["decoder"].cell
        self.projection = layers["projection"]

    @classmethod
    def load(cls, path):
        """Loads a captioner saved with `captioner.model.save(path)`."""
        return cls(model=keras.saving.load_model(path))

    def fit(self, scenes, epochs=10, batch_size=32, learning_rate=3e-3,
            validation=None, verbose="auto"):  # fmt: skip
        """Trains on `Scenes` with teacher forcing; returns the history.

        The loss is the cross-entropy of every word and the end token, plus
        the decoder's attention penalty; `validation` (more `Scenes`)
        adds `val_loss` and the teacher-forced `val_accuracy` per word.
        """
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=PAD
            ),
            metrics=["accuracy"],
        )
        validation_data = None
        if validation is not None:
            validation_data = self._training_arrays(validation)
        return self.model.fit(
            *self._training_arrays(scenes),
            batch_size=batch_size,
            epochs=epochs,
            validation_data=validation_data,
            verbose=verbose,
        )

    @staticmethod
    def _training_arrays(scenes):
        decoder_input, decoder_target = encode_targets(scenes.captions)
        return (scenes.images, decoder_input), decoder_target

    def initial_state(self, images):
        """The decoding state of uint8 images `(batch, 64, 64, 3)`."""
        memory, *cell_states = self.state_model(images)
        return {
            "memory": memory,
            "keys": self.cell.project_memory(memory),
            "decoder": self.cell.get_initial_state(memory, cell_states),
        }

    def step_fn(self, tokens, state):
        """One decoding step, for `greedy_decode` and `beam_search_decode`."""
        words = self.word_embedding(tokens)
        output, decoder_state = self.cell(
            words,
            state["decoder"],
            memory=state["memory"],
            keys=state["keys"],
        )
        logits = self.projection(ops.concatenate([output, words], axis=-1))
        return logits, {**state, "decoder": decoder_state}

    def decode(self, images, beam_width=None):
        """Decodes uint8 images; returns a `DecodeResult` of word ids.

        `beam_width=None` is greedy decoding, else beam search.
        """
        state = self.initial_state(images)
        if beam_width is None:
            return kg.greedy_decode(
                self.step_fn, START, END, MAX_LENGTH, state=state,
                pad_token=PAD,
            )  # fmt: skip
        return kg.beam_search_decode(
            self.step_fn, START, END, MAX_LENGTH, beam_width, state=state,
            pad_token=PAD,
        )  # fmt: skip

    def caption(self, images, beam_width=None, batch_size=256):
        """Captions uint8 images `(n, 64, 64, 3)`; returns `n` strings."""
        captions = []
        for start in range(0, len(images), batch_size):
            result = self.decode(images[start : start + batch_size], beam_width)
            captions += VOCABULARY.decode(
                ops.convert_to_numpy(result.sequences)
            )
        return captions

    def alignments(self, images, captions):
        """Where the decoder looked while writing each caption.

        Returns one float array per image, `(len(words) + 1, 64)`: row `t`
        is the attention over the 8×8 grid (flattened row by row) while
        writing word `t`, the last row the end token. Turn a row into a map
        with `attention_plot.alignment_maps(rows, 8, 8)`.
        """
        decoder_input = VOCABULARY.encode(captions, add_start=True)
        weights = ops.convert_to_numpy(
            self.alignment_model([images, decoder_input])
        )
        return [
            w[: len(caption.split()) + 1]
            for w, caption in zip(weights, captions)
        ]

    def export(self, path, beam_width=3):
        """Writes a TensorFlow SavedModel with a `caption` endpoint.

        `caption(images)`: uint8 images `(batch, 64, 64, 3)` to a dict of
        `"captions"` (`tf.string` `(batch,)`), `"sequences"` (int32 word
        ids `(batch, 9)`), `"lengths"` and `"scores"`, decoded with beam
        search of `beam_width` in the graph. Load it with
        `tf.saved_model.load(path)`; serving needs no keras_gated.
        """
        import tensorflow as tf

        words = tf.constant(["", "", ""] + list(VOCABULARY.words[3:]))

        def caption(images):
            outputs = self.decode(images, beam_width)._asdict()
            joined = tf.strings.reduce_join(
                tf.gather(words, outputs["sequences"]),
                axis=-1,
                separator=" ",
            )
            outputs["captions"] = tf.strings.strip(
                tf.strings.regex_replace(joined, " +", " ")
            )
            return outputs

        archive = keras.export.ExportArchive()
        archive.track(self.model)
        archive.add_endpoint(
            "caption",
            caption,
            input_signature=[
                tf.TensorSpec((None, SIZE, SIZE, 3), tf.uint8, name="images")
            ],
        )
        archive.write_out(str(path), verbose=False)
