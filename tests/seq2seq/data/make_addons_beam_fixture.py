"""Writes `addons_beam_search.npz`: TensorFlow Addons' beam search, recorded.

`tests/seq2seq/test_addons_beam_search.py` loads the weights and inputs
stored here into keras_gated and checks that `kg.beam_search_decode`
returns Addons' ids, lengths and scores. This script runs Addons itself,
so it needs the old stack, in its own virtual environment:

    python3.11 -m venv /tmp/addons
    /tmp/addons/bin/pip install "tensorflow-cpu==2.15.*" \\
        "tensorflow-addons==0.23.*" numpy
    /tmp/addons/bin/python tests/seq2seq/data/make_addons_beam_fixture.py

(Addons' compiled `gather_tree` op may fail to load against
TensorFlow 2.15.1, with a warning; Addons then uses its Python
`gather_tree`, which computes the same thing. Running the script twice
gives identical arrays.)

It must not import keras_gated nor `tests.*` (Keras 2 there), and it
imports TensorFlow and Addons inside `main()` only, so that `pytest
--doctest-modules` can import this module with Keras 3.

Three models, with fixed random weights:

- `plain`: an embedding, `tf.keras.layers.LSTMCell` and a Dense
  projection;
- `attention`: the same, wrapped in `tfa.seq2seq.AttentionWrapper` with
  `LuongAttention` over a fixed memory with per-row lengths
  (`attention_layer_size=UNITS`);
- `bigram`: a fixed bigram table over a 26-letter alphabet (plus end and
  start tokens), as a cell whose logits are the table's row of the
  previous token.

Each runs `tfa.seq2seq.BeamSearchDecoder` at several widths, length
penalties and coverage penalties (coverage with attention only). Every
case is checked for ties: at every step, the `beam_width`-th best
candidate must beat the next one by at least `MIN_MARGIN`, so that
top-k tie-breaking cannot decide the result.
"""

import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).parent
FIXTURE = HERE / "addons_beam_search.npz"

VOCABULARY, EMBEDDING, UNITS = 11, 6, 8
START, END = 1, 2
BATCH, SOURCE_LEN, MEMORY_DIM = 3, 6, 5
MEMORY_LENGTHS = [6, 4, 2]
MAX_LENGTH = 9
MIN_MARGIN = 1e-4

LETTERS = "abcdefghijklmnopqrstuvwxyz"
BIGRAM_END, BIGRAM_START = 26, 27
BIGRAM_MAX_LENGTH = 6

CASES = (
    [("plain", w, a, 0.0) for w in (3, 4) for a in (0.0, 0.6, 1.0)]
    + [
        ("attention", w, a, c)
        for w in (3, 4)
        for a in (0.0, 0.6, 1.0)
        for c in (0.0, 0.4)
    ]
    + [("bigram", w, a, 0.0) for w in (2, 3) for a in (0.0, 1.0)]
)


def weights(seed):
    """The models' weights and inputs, NumPy float32, by name."""
    rng = np.random.default_rng(seed)

    def normal(*shape, scale=1.0):
        return (scale * rng.normal(size=shape)).astype("float32")

    w = {
        "embedding": normal(VOCABULARY, EMBEDDING),
        "lstm_kernel": normal(EMBEDDING, 4 * UNITS, scale=0.6),
        "lstm_recurrent_kernel": normal(UNITS, 4 * UNITS, scale=0.4),
        "lstm_bias": normal(4 * UNITS, scale=0.2),
        # With input feeding, the attention LSTM sees [x; a].
        "att_lstm_kernel": normal(EMBEDDING + UNITS, 4 * UNITS, scale=0.5),
        "att_lstm_recurrent_kernel": normal(UNITS, 4 * UNITS, scale=0.4),
        "att_lstm_bias": normal(4 * UNITS, scale=0.2),
        "memory_kernel": normal(MEMORY_DIM, UNITS, scale=0.7),
        "attention_kernel": normal(UNITS + MEMORY_DIM, UNITS, scale=0.7),
        "dense_kernel": normal(UNITS, VOCABULARY, scale=1.5),
        "dense_bias": normal(VOCABULARY, scale=0.5),
        "h": normal(BATCH, UNITS),
        "c": normal(BATCH, UNITS),
        "memory": normal(BATCH, SOURCE_LEN, MEMORY_DIM),
        "memory_lengths": np.array(MEMORY_LENGTHS, "int32"),
        "start_tokens": np.full((BATCH,), START, "int32"),
    }
    # Make the end token likely enough that beams end at various steps.
    w["dense_bias"][END] += 1.0
    w["att_dense_bias"] = w["dense_bias"].copy()
    w["att_dense_bias"][END] += 2.5
    w["bigram_log_table"] = bigram_table(rng)
    return w


def bigram_table(rng):
    """Log-probabilities `(28, 28)`: row = previous token, "." = 26.

    The listed continuations carry most of the mass; every other token gets
    a small, distinct probability, so that no two candidates tie.
    """
    listed = {
        "^": {"a": 0.5, "b": 0.3, "k": 0.15},
        "a": {"c": 0.36, "d": 0.34, ".": 0.2},
        "b": {".": 0.6, "a": 0.3},
        "c": {".": 0.5, "e": 0.4},
        "d": {"e": 0.9},
        "e": {".": 0.55, "s": 0.35},
        "k": {"e": 0.95},
        "s": {".": 0.9},
    }
    size = len(LETTERS) + 2
    table = np.zeros((size, size))
    for row in range(size):
        rest = rng.uniform(1.0, 2.0, size=size)
        rest[BIGRAM_START] = 0.01  # log(0) would make NaN in the matmul.
        table[row] = 1e-3 * rest / rest.sum()
    names = {**{c: i for i, c in enumerate(LETTERS)}, ".": 26, "^": 27}
    for previous, following in listed.items():
        for token, p in following.items():
            table[names[previous], names[token]] = p
    table[BIGRAM_END, BIGRAM_END] = 1.0
    table /= table.sum(-1, keepdims=True)
    return np.log(table).astype("float32")


def main():
    import tensorflow as tf
    import tensorflow_addons as tfa

    w = weights(seed=7)
    tile = tfa.seq2seq.tile_batch

    def embedding_layer():
        layer = tf.keras.layers.Embedding(VOCABULARY, EMBEDDING)
        layer.build((None,))
        layer.set_weights([w["embedding"]])
        return layer

    def dense_layer(bias="dense_bias"):
        layer = tf.keras.layers.Dense(VOCABULARY)
        layer.build((None, UNITS))
        layer.set_weights([w["dense_kernel"], w[bias]])
        return layer

    def lstm_cell(prefix, input_dim):
        cell = tf.keras.layers.LSTMCell(UNITS)
        cell.build((None, input_dim))
        cell.set_weights(
            [
                w[f"{prefix}kernel"],
                w[f"{prefix}recurrent_kernel"],
                w[f"{prefix}bias"],
            ]
        )
        return cell

    class BigramCell(tf.keras.layers.AbstractRNNCell):
        """Logits: the table's row of the previous token (one-hot input)."""

        @property
        def state_size(self):
            return [1]

        @property
        def output_size(self):
            return tf.TensorShape([BIGRAM_END + 2])

        def call(self, inputs, states):
            return tf.matmul(inputs, w["bigram_log_table"]), states

    def model(name, beam_width):
        """(cell, embedding_fn, output_layer, initial_state), tiled."""
        h, c = tile(w["h"], beam_width), tile(w["c"], beam_width)
        if name == "plain":
            return (
                lstm_cell("lstm_", EMBEDDING),
                embedding_layer(),
                (dense_layer()),
                [h, c],
            )
        if name == "bigram":
            size = BIGRAM_END + 2
            state = tf.zeros((BATCH * beam_width, 1))
            return (
                BigramCell(),
                lambda ids: tf.one_hot(ids, size),
                None,
                [state],
            )
        memory = {
            "memory": tile(w["memory"], beam_width),
            "memory_sequence_length": tile(w["memory_lengths"], beam_width),
        }
        mechanism = tfa.seq2seq.LuongAttention(UNITS, **memory)
        # The keys were computed with the initial kernel: set it, then
        # compute them again.
        mechanism.memory_layer.set_weights([w["memory_kernel"]])
        mechanism.setup_memory(**memory)
        cell = tfa.seq2seq.AttentionWrapper(
            lstm_cell("att_lstm_", EMBEDDING + UNITS),
            mechanism,
            attention_layer_size=UNITS,
        )
        state = cell.get_initial_state(
            batch_size=BATCH * beam_width, dtype=tf.float32
        ).clone(cell_state=[h, c])
        # Build the attention layer with one call, then set its kernel.
        cell(tf.zeros((BATCH * beam_width, EMBEDDING)), state)
        (attention_layer,) = cell._attention_layers
        attention_layer.set_weights([w["attention_kernel"]])
        return cell, embedding_layer(), dense_layer("att_dense_bias"), state

    def decode(name, beam_width, alpha, beta, all_scores):
        cell, embed, output_layer, state = model(name, beam_width)
        decoder = tfa.seq2seq.BeamSearchDecoder(
            cell,
            beam_width,
            embedding_fn=embed,
            output_layer=output_layer,
            length_penalty_weight=alpha,
            coverage_penalty_weight=beta,
            output_all_scores=all_scores,
            maximum_iterations=(
                BIGRAM_MAX_LENGTH if name == "bigram" else MAX_LENGTH
            ),
        )
        start = BIGRAM_START if name == "bigram" else START
        end = BIGRAM_END if name == "bigram" else END
        outputs, final_state, lengths = decoder(
            None,
            start_tokens=np.full((BATCH,), start, "int32"),
            end_token=end,
            initial_state=state,
        )
        return outputs, final_state, lengths

    fixture = {f"w_{k}": v for k, v in w.items()}
    fixture.update(
        python_version=np.array(sys.version.split()[0]),
        tensorflow_version=np.array(tf.__version__),
        addons_version=np.array(tfa.__version__),
        case_model=np.array([case[0] for case in CASES]),
        case_beam_width=np.array([case[1] for case in CASES], "int32"),
        case_length_penalty=np.array([case[2] for case in CASES], "float32"),
        case_coverage_penalty=np.array([case[3] for case in CASES], "float32"),
        case_max_length=np.array(
            [
                BIGRAM_MAX_LENGTH if c[0] == "bigram" else MAX_LENGTH
                for c in CASES
            ],
            "int32",
        ),
        case_start_token=np.array(
            [BIGRAM_START if c[0] == "bigram" else START for c in CASES],
            "int32",
        ),
        case_end_token=np.array(
            [BIGRAM_END if c[0] == "bigram" else END for c in CASES], "int32"
        ),
    )
    margins = []
    for i, (name, beam_width, alpha, beta) in enumerate(CASES):
        outputs, final_state, lengths = decode(
            name, beam_width, alpha, beta, all_scores=False
        )
        steps = outputs.beam_search_decoder_output
        # Scores of every candidate of every step, for the tie check.
        every, _, _ = decode(name, beam_width, alpha, beta, all_scores=True)
        every = every.beam_search_decoder_output.scores.numpy()
        flat = np.sort(every.reshape(*every.shape[:2], -1), axis=-1)[..., ::-1]
        margin = float(
            np.min(flat[..., beam_width - 1] - flat[..., beam_width])
        )
        if not margin >= MIN_MARGIN:
            raise SystemExit(f"case {i} {CASES[i]}: a tie, margin {margin}")
        margins.append(margin)
        # (batch, time, beam) -> (batch, beam, time).
        fixture[f"case{i}_ids"] = np.transpose(outputs.predicted_ids, (0, 2, 1))
        fixture[f"case{i}_step_ids"] = np.transpose(
            steps.predicted_ids, (0, 2, 1)
        )
        fixture[f"case{i}_step_parents"] = np.transpose(
            steps.parent_ids, (0, 2, 1)
        )
        fixture[f"case{i}_scores"] = steps.scores.numpy()[:, -1, :]
        fixture[f"case{i}_lengths"] = np.asarray(lengths, "int32")
        fixture[f"case{i}_log_probs"] = final_state.log_probs.numpy()
        print(
            i,
            CASES[i],
            "steps",
            steps.scores.shape[1],
            "lengths",
            np.asarray(lengths).tolist(),
            "margin",
            round(margin, 4),
        )
    fixture["case_min_margin"] = np.array(margins, "float32")
    np.savez_compressed(FIXTURE, **fixture)
    print("wrote", FIXTURE, FIXTURE.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
