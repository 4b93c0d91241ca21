"""`kg.beam_search_decode` against TensorFlow Addons 0.23 itself.

`data/addons_beam_search.npz` holds the weights, inputs and results of
`tfa.seq2seq.BeamSearchDecoder` (written by
`data/make_addons_beam_fixture.py`, which runs Addons in a TensorFlow 2.15
environment). Here the same weights go into keras_gated models (the
mapping of `docs/migrating_from_tfa.md`) and every case must give Addons'
ids, lengths and scores.

Addons stops after as many steps as the search needs and returns that many
columns; keras_gated returns `max_length` columns, padded with `pad_token`
(the end token by default) after each beam's end. The ids are compared up
to each beam's length, and the padding is checked after it.
"""

import pathlib

import keras
import numpy as np
import pytest

import keras_gated as kg

FIXTURE = pathlib.Path(__file__).parent / "data" / "addons_beam_search.npz"
SCORE_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def fixture():
    with np.load(FIXTURE) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _case_ids():
    with np.load(FIXTURE) as f:
        return [
            f"{i}-{m}-width{w}-alpha{a:g}-coverage{c:g}"
            for i, (m, w, a, c) in enumerate(
                zip(
                    f["case_model"],
                    f["case_beam_width"],
                    f["case_length_penalty"],
                    f["case_coverage_penalty"],
                    strict=True,
                )
            )
        ]


CASES = _case_ids()

# Every case runs on TensorFlow. On the other backends each case compiles
# its own search loop (20-40 s each on 2 CPU cores), so CI's JAX step runs
# one case of each model, each with a penalty on (the rules that differ
# from plain log-probability sums), plus one without.
OTHER_BACKENDS = {0, 1, 15, 21}


def _params():
    return [
        pytest.param(
            i,
            id=name,
            marks=() if i in OTHER_BACKENDS else pytest.mark.tensorflow_only,
        )
        for i, name in enumerate(CASES)
    ]


def test_the_fixture_comes_from_addons_0_23(fixture):
    assert str(fixture["addons_version"]) == "0.23.0"
    assert str(fixture["tensorflow_version"]).startswith("2.15.")
    assert str(fixture["python_version"]).startswith("3.11.")
    # Chosen without ties: at every step the beam_width-th candidate beats
    # the next one by far more than the score tolerance.
    assert np.min(fixture["case_min_margin"]) >= 1e-4


def _plain_step(w):
    """Embedding + `keras.layers.LSTMCell` + Dense, Addons' weights."""
    cell = keras.layers.LSTMCell(w["w_h"].shape[1])
    cell.build((None, w["w_embedding"].shape[1]))
    cell.set_weights(
        [w["w_lstm_kernel"], w["w_lstm_recurrent_kernel"], w["w_lstm_bias"]]
    )
    embedding = keras.ops.convert_to_tensor(w["w_embedding"])

    def step_fn(tokens, state):
        output, state = cell(keras.ops.take(embedding, tokens, axis=0), state)
        logits = keras.ops.matmul(output, w["w_dense_kernel"])
        return logits + w["w_dense_bias"], state

    return step_fn, [w["w_h"], w["w_c"]]


def _attention_step(w):
    """The same in `AttentionDecoderCell(..., "linear")` with Luong."""
    units, memory = w["w_h"].shape[1], w["w_memory"]
    cell = kg.AttentionDecoderCell(
        keras.layers.LSTMCell(units),
        kg.LuongAttention(),
        attention_units=units,
        attention_activation="linear",
    )
    cell.build((None, w["w_embedding"].shape[1]), memory.shape)
    cell.cell.set_weights(
        [
            w["w_att_lstm_kernel"],
            w["w_att_lstm_recurrent_kernel"],
            w["w_att_lstm_bias"],
        ]
    )
    cell.attention.memory_kernel.assign(w["w_memory_kernel"])
    cell.attention_kernel.assign(w["w_attention_kernel"])
    embedding = keras.ops.convert_to_tensor(w["w_embedding"])
    source_len = memory.shape[1]
    memory_mask = np.arange(source_len)[None] < w["w_memory_lengths"][:, None]

    def step_fn(tokens, state):
        output, decoder_state = cell(
            keras.ops.take(embedding, tokens, axis=0),
            state["decoder"],
            memory=state["memory"],
            memory_mask=state["memory_mask"],
            keys=state["keys"],
        )
        logits = keras.ops.matmul(output, w["w_dense_kernel"])
        logits = logits + w["w_att_dense_bias"]
        return logits, {**state, "decoder": decoder_state}, decoder_state[2]

    state = {
        "memory": memory,
        "memory_mask": memory_mask,
        "keys": cell.project_memory(memory),
        "decoder": cell.get_initial_state(memory, [w["w_h"], w["w_c"]]),
    }
    return step_fn, state


def _bigram_step(w):
    table = keras.ops.convert_to_tensor(w["w_bigram_log_table"])

    def step_fn(tokens, state):
        return keras.ops.take(table, tokens, axis=0), state

    return step_fn, None


MODELS = {
    "plain": _plain_step,
    "attention": _attention_step,
    "bigram": _bigram_step,
}


def decode_case(fixture, i):
    """`kg.beam_search_decode` on case `i`, all beams, as NumPy."""
    step_fn, state = MODELS[str(fixture["case_model"][i])](fixture)
    batch = fixture["w_h"].shape[0]
    result = kg.beam_search_decode(
        step_fn,
        start_tokens=[int(fixture["case_start_token"][i])] * batch,
        end_token=int(fixture["case_end_token"][i]),
        max_length=int(fixture["case_max_length"][i]),
        beam_width=int(fixture["case_beam_width"][i]),
        state=state,
        length_penalty=float(fixture["case_length_penalty"][i]),
        coverage_penalty=float(fixture["case_coverage_penalty"][i]),
        return_all_beams=True,
    )
    return [keras.ops.convert_to_numpy(x) for x in result]


@pytest.mark.parametrize("i", _params())
def test_matches_addons_beam_search_decoder(fixture, i):
    sequences, lengths, scores = decode_case(fixture, i)
    ids = fixture[f"case{i}_ids"]
    end = int(fixture["case_end_token"][i])
    max_length = int(fixture["case_max_length"][i])
    assert sequences.shape == (*ids.shape[:2], max_length)
    np.testing.assert_array_equal(lengths, fixture[f"case{i}_lengths"])
    np.testing.assert_allclose(
        scores, fixture[f"case{i}_scores"], rtol=0, atol=SCORE_TOLERANCE
    )
    for b, k in np.ndindex(*lengths.shape):
        length = lengths[b, k]
        assert sequences[b, k, :length].tolist() == (
            ids[b, k, :length].tolist()
        ), (b, k)
        # Addons stopped after ids.shape[2] steps; keras_gated pads with
        # the end token (the default pad_token) after the end.
        assert (sequences[b, k, length:] == end).all(), (b, k)
