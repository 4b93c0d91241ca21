"""An attention translator from written dates to ISO `YYYY-MM-DD`.

The model reads the characters of a written date (`date_data`) and writes
the ten characters of its ISO form:

```
source ids ─ Embedding ─ LNLSTM encoder ─┬─ memory (every step) ─┐
                                          └─ [h, c] (last step) ──┤
<start> y y y y - m m - d ─ Embedding ─ AttentionDecoder ─ Dense ─ logits
```

The decoder is `AttentionDecoderCell(LNLSTMCell, "luong")`, trained with
teacher forcing; translation runs the same cell one step at a time under
`greedy_decode` or `beam_search_decode`. The attention decoder also returns
its alignments, so one forward pass over a translation gives the heatmap
of which source characters each output character looked at.

>>> translator = DateTranslator(units=8, embedding_dim=4)  # Untrained.
>>> translations = translator.translate(["3 May 1998", "05/03/98"])
>>> len(translations), set("".join(translations)) <= set("-0123456789")
(2, True)
"""

import keras
import numpy as np

import keras_gated as kg
from keras_gated.examples import date_data
from keras_gated.examples.date_data import SOURCE_VOCABULARY
from keras_gated.examples.date_data import TARGET_VOCABULARY

START = TARGET_VOCABULARY["<start>"]
END = TARGET_VOCABULARY["<end>"]
PAD = TARGET_VOCABULARY["<pad>"]
# The ten ISO characters and the end token.
MAX_LENGTH = date_data.ISO_LENGTH + 1


def build_model(units=64, embedding_dim=32):
    """The teacher-forced training model, `[source, decoder_input] -> logits`.

    Its decoder layer (`"decoder"`) returns the alignments too, as its
    second output; `DateTranslator` makes a model of them.
    """
    source = keras.Input((None,), dtype="int32", name="source")
    decoder_input = keras.Input((None,), dtype="int32", name="decoder_input")
    embedded = keras.layers.Embedding(
        SOURCE_VOCABULARY.size, embedding_dim, mask_zero=True,
        name="source_embedding",
    )(source)  # fmt: skip
    # The memory's mask travels from the embedding through the encoder.
    memory, h, c = kg.LNLSTM(
        units, return_sequences=True, return_state=True, name="encoder"
    )(embedded)
    targets = keras.layers.Embedding(
        TARGET_VOCABULARY.size, embedding_dim, name="target_embedding"
    )(decoder_input)
    outputs, _ = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(units), "luong"),
        return_sequences=True,
        return_alignments=True,
        name="decoder",
    )(targets, memory=memory, initial_state=[h, c])
    logits = keras.layers.Dense(TARGET_VOCABULARY.size, name="projection")(
        outputs
    )
    return keras.Model([source, decoder_input], logits, name="date_translator")


def exact_match(predictions, targets):
    """The fraction of `predictions` equal to `targets` (lists of strings)."""
    if len(predictions) != len(targets) or not targets:
        raise ValueError(
            "Received predictions and targets of lengths "
            f"{len(predictions)} and {len(targets)}; expected equal, "
            "non-zero lengths."
        )
    return float(np.mean([p == t for p, t in zip(predictions, targets)]))


class DateTranslator:
    """The date translator: training, decoding, alignments and export.

    Args:
        units: The size of the encoder and decoder states. Default: 64.
        embedding_dim: The size of the character embeddings. Default: 32.
        model: A model from `build_model` (e.g. loaded from a `.keras`
            file) to use instead of a new one.
    """

    def __init__(self, units=64, embedding_dim=32, model=None):
        self.model = model or build_model(units, embedding_dim)
        layers = {layer.name: layer for layer in self.model.layers}
        source = self.model.inputs[0]
        self.encoder = keras.Model(source, layers["encoder"].output)
        self.alignment_model = keras.Model(
            self.model.inputs, layers["decoder"].output[1]
        )
        self.target_embedding = layers["target_embedding"]
        self.cell = layers["decoder"].cell
        self.projection = layers["projection"]

    @classmethod
    def load(cls, path):
        """Loads a translator saved with `translator.model.save(path)`."""
        return cls(model=keras.saving.load_model(path))

    def fit(self, examples, epochs=5, batch_size=64, learning_rate=3e-3,
            validation=None, verbose="auto"):  # fmt: skip
        """Trains on `DateExamples` with teacher forcing; returns the history.

        The loss is the cross-entropy of every ISO character and the end
        token; `validation` (more `DateExamples`) adds `val_loss` and the
        teacher-forced `val_accuracy` per character to the history.
        """
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        validation_data = None
        if validation is not None:
            validation_data = self._training_arrays(validation)
        return self.model.fit(
            *self._training_arrays(examples),
            batch_size=batch_size,
            epochs=epochs,
            validation_data=validation_data,
            verbose=verbose,
        )

    @staticmethod
    def _training_arrays(examples):
        decoder_input, decoder_target = date_data.encode_targets(
            examples.targets
        )
        source = date_data.encode_sources(examples.sources)
        return (source, decoder_input), decoder_target

    def initial_state(self, source):
        """The decoding state of source ids `(batch, source_len)`."""
        memory, h, c = self.encoder(source)
        return {
            "memory": memory,
            "memory_mask": keras.ops.not_equal(source, 0),
            "keys": self.cell.project_memory(memory),
            "decoder": self.cell.get_initial_state(memory, [h, c]),
        }

    def step_fn(self, tokens, state):
        """One decoding step, for `greedy_decode` and `beam_search_decode`."""
        output, decoder_state = self.cell(
            self.target_embedding(tokens),
            state["decoder"],
            memory=state["memory"],
            memory_mask=state["memory_mask"],
            keys=state["keys"],
        )
        logits = self.projection(output)
        # The third element, the alignments, serves the coverage penalty.
        return logits, {**state, "decoder": decoder_state}, decoder_state[2]

    def decode(self, source, beam_width=None, length_penalty=0.0):
        """Decodes source ids; returns a `DecodeResult` of target ids.

        Args:
            source: int32 source ids `(batch, source_len)`, 0 for padding.
            beam_width: `None` for greedy decoding, else the beam width.
            length_penalty: GNMT's length penalty for beam search.
        """
        state = self.initial_state(source)
        if beam_width is None:
            return kg.greedy_decode(
                self.step_fn, START, END, MAX_LENGTH, state=state,
                pad_token=PAD,
            )  # fmt: skip
        return kg.beam_search_decode(
            self.step_fn, START, END, MAX_LENGTH, beam_width, state=state,
            pad_token=PAD, length_penalty=length_penalty,
        )  # fmt: skip

    def translate(self, texts, beam_width=None, batch_size=256):
        """Translates written dates (strings) to ISO strings.

        Args:
            texts: A list of strings.
            beam_width: `None` for greedy decoding, else the beam width.
            batch_size: How many texts to decode at once.
        """
        translations = []
        for start in range(0, len(texts), batch_size):
            source = date_data.encode_sources(texts[start : start + batch_size])
            result = self.decode(source, beam_width)
            translations += TARGET_VOCABULARY.decode(result.sequences)
        return translations

    def alignments(self, texts, translations):
        """The attention of each output character over the source characters.

        Runs the decoder once over each translation (teacher forcing on the
        model's own output, which is what greedy decoding computed).

        Returns:
            One float array per text, `(len(translation) + 1, len(text))`:
            row `t` is where the decoder looked while writing character `t`
            of the translation, the last row the end token.
        """
        source = date_data.encode_sources(texts)
        decoder_input = TARGET_VOCABULARY.encode(translations, add_start=True)
        alignments = keras.ops.convert_to_numpy(
            self.alignment_model([source, decoder_input])
        )
        return [
            weights[: len(translation) + 1, : len(text)]
            for weights, text, translation in zip(
                alignments, texts, translations
            )
        ]

    def export(self, path, beam_width=3, length_penalty=0.0):
        """Writes a TensorFlow SavedModel with two decoding endpoints.

        - `translate(strings)`: a `tf.string` vector of written dates to a
          dict of `"translations"` (`tf.string` ISO dates), `"sequences"`
          (int32 target ids `(batch, 11)`), `"lengths"` and `"scores"`;
        - `translate_ids(source)`: int32 source ids `(batch, source_len)`,
          0 for padding, to the same dict without `"translations"`.

        Both decode with beam search of `beam_width` (`1` is greedy with
        the default `length_penalty=0`), in the graph: load with
        `tf.saved_model.load(path)`, no keras_gated needed. Characters
        outside the source alphabet read as `<unk>`.
        """
        import tensorflow as tf

        table = tf.constant(SOURCE_VOCABULARY.codepoint_table())
        characters = tf.constant(
            [""] * len(TARGET_VOCABULARY.reserved)
            + list(TARGET_VOCABULARY.alphabet)
        )

        def translate_ids(source):
            result = self.decode(source, beam_width, length_penalty)
            return result._asdict()

        def translate(strings):
            codepoints = tf.strings.unicode_decode(strings, "UTF-8")
            codepoints = tf.minimum(codepoints, len(table) - 1)
            source = tf.ragged.map_flat_values(tf.gather, table, codepoints)
            outputs = translate_ids(source.to_tensor(0))
            outputs["translations"] = tf.strings.reduce_join(
                tf.gather(characters, outputs["sequences"]), axis=-1
            )
            return outputs

        archive = keras.export.ExportArchive()
        archive.track(self.model)
        archive.add_endpoint(
            "translate",
            translate,
            input_signature=[tf.TensorSpec((None,), tf.string)],
        )
        archive.add_endpoint(
            "translate_ids",
            translate_ids,
            input_signature=[tf.TensorSpec((None, None), tf.int32)],
        )
        archive.write_out(str(path), verbose=False)
