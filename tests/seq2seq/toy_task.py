"""A tiny translation task: write the source sequence backwards.

Tokens: 0 pads, 1 starts, 2 ends, 3 to 9 are the words. Sources have 3 to
6 words. The model is an LN-GRU encoder and an attention decoder with
Luong attention, small enough to learn the task in a few seconds on a CPU.
Running this file trains it and prints the accuracies:

    python -m tests.seq2seq.toy_task
"""

import time

import keras
import numpy as np

import keras_gated as kg

PAD, START, END = 0, 1, 2
VOCABULARY_SIZE, MAX_WORDS, UNITS = 10, 6, 32


def make_data(count, seed):
    """`(source, decoder_input, decoder_target)`, int32, zero-padded."""
    rng = np.random.default_rng(seed)
    source = np.zeros((count, MAX_WORDS), "int32")
    decoder_input = np.zeros((count, MAX_WORDS + 1), "int32")
    decoder_target = np.zeros((count, MAX_WORDS + 1), "int32")
    for i, length in enumerate(rng.integers(3, MAX_WORDS + 1, count)):
        words = rng.integers(3, VOCABULARY_SIZE, length)
        source[i, :length] = words
        decoder_input[i, 0] = START
        decoder_input[i, 1 : length + 1] = words[::-1]
        decoder_target[i, :length] = words[::-1]
        decoder_target[i, length] = END
    return source, decoder_input, decoder_target


class Translator:
    """The layers, the training model, and decoding with either decoder."""

    def __init__(self, model=None):
        self.model = model or self._training_model()
        layers = {layer.name: layer for layer in self.model.layers}
        self.encoder = keras.Model(
            self.model.inputs[0],
            [
                layers["encoder"].output[0],
                layers["encoder"].output[1],
            ],
        )
        self.target_embedding = layers["target_embedding"]
        self.cell = layers["decoder"].cell
        self.projection = layers["projection"]

    @staticmethod
    def _training_model():
        source = keras.Input((None,), dtype="int32", name="source")
        target = keras.Input((None,), dtype="int32", name="decoder_input")
        embedded = keras.layers.Embedding(
            VOCABULARY_SIZE, 16, mask_zero=True, name="source_embedding"
        )(source)
        memory, h = keras.layers.RNN(
            kg.LNGRUCell(UNITS),
            return_sequences=True,
            return_state=True,
            name="encoder",
        )(embedded)
        decoder_inputs = keras.layers.Embedding(
            VOCABULARY_SIZE, 16, mask_zero=True, name="target_embedding"
        )(target)
        # Both masks come from the embeddings: the target's directly, the
        # memory's through the encoder RNN.
        decoded = kg.AttentionDecoder(
            kg.AttentionDecoderCell(kg.LNGRUCell(UNITS), "luong"),
            return_sequences=True,
            name="decoder",
        )(decoder_inputs, memory=memory, initial_state=[h])
        logits = keras.layers.Dense(VOCABULARY_SIZE, name="projection")(decoded)
        return keras.Model([source, target], logits)

    def fit(self, data, epochs=10):
        source, decoder_input, decoder_target = data
        self.model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return self.model.fit(
            [source, decoder_input],
            decoder_target,
            batch_size=64,
            epochs=epochs,
            verbose=0,
        )

    def step_fn(self, tokens, state):
        """One decoding step, for `greedy_decode`/`beam_search_decode`."""
        output, decoder_state = self.cell(
            self.target_embedding(tokens),
            state["decoder"],
            memory=state["memory"],
            memory_mask=state["memory_mask"],
            keys=state["keys"],
        )
        logits = self.projection(output)
        return logits, {**state, "decoder": decoder_state}, decoder_state[2]

    def initial_state(self, source):
        memory, h = self.encoder(source)
        return {
            "memory": memory,
            "memory_mask": keras.ops.not_equal(source, PAD),
            "keys": self.cell.project_memory(memory),
            "decoder": self.cell.get_initial_state(memory, [h]),
        }

    def translate(self, source, beam_width=3, **kwargs):
        state = self.initial_state(source)
        if beam_width is None:
            return kg.greedy_decode(
                self.step_fn,
                START,
                END,
                MAX_WORDS + 1,
                state=state,
                pad_token=PAD,
            )
        return kg.beam_search_decode(
            self.step_fn,
            START,
            END,
            MAX_WORDS + 1,
            beam_width,
            state=state,
            pad_token=PAD,
            **kwargs,
        )


def token_accuracy(translator, data):
    """Teacher-forced next-token accuracy over the target positions."""
    source, decoder_input, decoder_target = data
    logits = translator.model.predict([source, decoder_input], verbose=0)
    valid = decoder_input != PAD
    return float(np.mean(logits.argmax(-1)[valid] == decoder_target[valid]))


def exact_match(result, data):
    """The fraction of decoded sequences equal to the reversed source."""
    return float(
        np.mean(np.all(np.asarray(result.sequences) == data[2], axis=-1))
    )


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    translator = Translator()
    start = time.time()
    translator.fit(make_data(2000, seed=0))
    print(f"trained in {time.time() - start:.1f} s")
    held_out = make_data(300, seed=1)
    print(
        "token accuracy (teacher forcing): "
        f"{token_accuracy(translator, held_out):.4f}"
    )
    for name, width in [("greedy", None), ("beam search (3)", 3)]:
        result = translator.translate(held_out[0], beam_width=width)
        print(f"exact match, {name}: {exact_match(result, held_out):.4f}")
