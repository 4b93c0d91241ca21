"""A catalogue of bad inputs: one row per bad thing, each a clear error.

Every row must raise a `ValueError` whose message names the argument (in
backquotes, as Keras does) or the shape that was wrong, at construction
time or before the backend's loop runs, never deep inside TensorFlow or
JAX. One row is a documented behaviour instead of an error: an all-False
memory mask gives zero alignments and a zero context, never NaN.

Runs on every backend.
"""

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests import registry

CELLS = [entry.cls for entry in registry.RNN_CELLS]
LAYERS = [entry.fused for entry in registry.fusable_cells()]
CLASSES = CELLS + LAYERS
# The classes with Keras' `dropout` arguments (not the Grid cells).
DROPOUT_CLASSES = [e.cls for e in registry.cells_keeping("dropout")] + LAYERS
VOCABULARY = 5


def _zeros(*shape, dtype="float32"):
    return np.zeros(shape, dtype)


def _called(layer, *shapes):
    """`layer`, called once on zeros of the given shapes (so it is built)."""
    layer(*[_zeros(*shape) for shape in shapes])
    return layer


def _decoder(**kwargs):
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNGRUCell(4), "luong"), **kwargs
    )
    decoder(_zeros(2, 3, 4), memory=_zeros(2, 6, 7))
    return decoder


def _step_fn(tokens, state):
    return 3.0 * keras.ops.one_hot(tokens, VOCABULARY), state


def _greedy(**kwargs):
    arguments = {"start_tokens": 1, "end_token": 2, "max_length": 3}
    return kg.greedy_decode(_step_fn, **{**arguments, **kwargs})


def _beam(**kwargs):
    arguments = {
        "start_tokens": 1,
        "end_token": 2,
        "max_length": 3,
        "beam_width": 2,
    }
    return kg.beam_search_decode(_step_fn, **{**arguments, **kwargs})


def _rows():
    rows = []

    def row(name, thunk, match):
        rows.append(pytest.param(thunk, match, id=name))

    # Wrong input rank.
    row(
        "rank-2-inputs-to-rnn-of-cell",
        lambda: keras.layers.RNN(kg.LNLSTMCell(4))(_zeros(2, 3)),
        r"\(batch_size, timesteps, features\).*\(2,\)",
    )
    for layer_class in LAYERS:
        row(
            f"rank-2-inputs-to-{layer_class.__name__}",
            lambda c=layer_class: c(4)(_zeros(2, 3)),
            r"expected ndim=3, found ndim=2",
        )
    row(
        "rank-4-inputs-to-LNLSTM",
        lambda: kg.LNLSTM(4)(_zeros(2, 3, 4, 1)),
        r"expected ndim=3, found ndim=4",
    )
    row(
        "rank-2-targets-to-AttentionDecoder",
        lambda: _decoder()(_zeros(2, 4), memory=_zeros(2, 6, 7)),
        r"\(batch_size, timesteps, features\).*\(2, 4\)",
    )
    row(
        "rank-1-step-to-a-cell",
        lambda: kg.LNGRUCell(4)(_zeros(3), [_zeros(1, 4)]),
        r"\(batch_size, features\).*\(3,\)",
    )

    # A wrong feature size after build.
    for cls in CLASSES:
        if cls in CELLS:
            make = lambda c=cls: _called(keras.layers.RNN(c(4)), (2, 3, 5))  # noqa: E731
        else:
            make = lambda c=cls: _called(c(4), (2, 3, 5))  # noqa: E731
        row(
            f"feature-size-after-build-{cls.__name__}",
            lambda make=make: make()(_zeros(2, 3, 7)),
            r"expected axis -1 of input shape to have value 5.*\(2, (3, )?7\)",
        )
    row(
        "feature-size-after-build-AttentionDecoder",
        lambda: _decoder()(_zeros(2, 3, 9), memory=_zeros(2, 6, 7)),
        r"`sequences`.*\(None, None, 4\).*\(2, 3, 9\)",
    )

    # units <= 0 or not an int.
    for cls in CLASSES:
        for units in (0, -3, 2.5, "4", True, None):
            row(
                f"units={units!r}-{cls.__name__}",
                lambda c=cls, u=units: c(u),
                rf"`units`.*got {units!r}",
            )
    row(
        "units=0-BahdanauAttention",
        lambda: kg.BahdanauAttention(units=0),
        r"`units`.*got 0",
    )
    row(
        "attention_units=-1",
        lambda: kg.AttentionDecoderCell(kg.LNGRUCell(4), attention_units=-1),
        r"`attention_units`.*got -1",
    )

    # Dropout outside [0, 1).
    for cls in DROPOUT_CLASSES:
        for rate in (-0.1, 1.0, 1.5, float("nan")):
            row(
                f"dropout={rate}-{cls.__name__}",
                lambda c=cls, r=rate: c(4, dropout=r),
                rf"`dropout`.*\[0, 1\).*got {rate!r}",
            )
        row(
            f"recurrent_dropout=1-{cls.__name__}",
            lambda c=cls: c(4, recurrent_dropout=1),
            r"`recurrent_dropout`.*got 1",
        )

    # The Show-Attend-Tell pieces (issue 16).
    row(
        "unknown-wiring",
        lambda: kg.AttentionDecoderCell(kg.LNGRUCell(4), wiring="xu"),
        r"`wiring`.*'default', 'show_attend_tell'.*got 'xu'",
    )
    row(
        "context_gate-without-show_attend_tell",
        lambda: kg.AttentionDecoderCell(kg.LNGRUCell(4), context_gate=True),
        r"`context_gate`.*wiring='default'",
    )
    row(
        "input_feeding-with-show_attend_tell",
        lambda: kg.AttentionDecoderCell(
            kg.LNGRUCell(4), wiring="show_attend_tell", input_feeding=True
        ),
        r"`input_feeding`.*no input feeding.*got input_feeding=True",
    )
    row(
        "attention_penalty=-1",
        lambda: kg.AttentionDecoder(
            kg.AttentionDecoderCell(kg.LNGRUCell(4)), attention_penalty=-1
        ),
        r"`attention_penalty`.*non-negative.*got -1",
    )
    row(
        "units=0-MemoryInitialState",
        lambda: kg.MemoryInitialState(0),
        r"`units`.*got 0",
    )
    row(
        "memory-of-rank-2-to-MemoryInitialState",
        lambda: kg.MemoryInitialState(4)(_zeros(2, 7)),
        r"memory.*\(batch_size, source_len, memory_dim\).*\(2, 7\)",
    )
    row(
        "penalty-reduction",
        lambda: kg.doubly_stochastic_penalty(_zeros(2, 3, 4), reduction="mean"),
        r"`reduction`.*got 'mean'",
    )
    row(
        "penalty-memory-mask-shape",
        lambda: kg.doubly_stochastic_penalty(
            _zeros(2, 3, 4), memory_mask=np.ones((2, 3), bool)
        ),
        r"`memory_mask`.*\(2, 4\)",
    )

    # An unknown attention name.
    row(
        "unknown-attention",
        lambda: kg.AttentionDecoderCell(kg.LNGRUCell(4), attention="dot"),
        r"`attention`.*'bahdanau', 'luong'.*got 'dot'",
    )

    # A memory of the wrong rank or size.
    row(
        "memory-of-rank-2",
        lambda: _decoder()(_zeros(2, 3, 4), memory=_zeros(2, 7)),
        r"memory.*\(batch_size, source_len, memory_dim\).*\(2, 7\)",
    )
    row(
        "memory-of-rank-4",
        lambda: _decoder()(_zeros(2, 3, 4), memory=_zeros(2, 2, 3, 7)),
        r"memory.*\(batch_size, source_len, memory_dim\).*\(2, 2, 3, 7\)",
    )
    row(
        "memory-dim-after-build",
        lambda: _decoder()(_zeros(2, 3, 4), memory=_zeros(2, 6, 8)),
        r"built for a memory with 7 features.*\(2, 6, 8\)",
    )
    row(
        "memory-batch-differs-from-targets",
        lambda: _decoder()(_zeros(2, 3, 4), memory=_zeros(3, 6, 7)),
        r"`memory`.*\(2, None, 7\).*\(3, 6, 7\)",
    )
    row(
        "memory-dim-to-a-mechanism",
        lambda: _called(kg.LuongAttention(), (2, 4), (2, 6, 7))(
            _zeros(2, 4), _zeros(2, 6, 8)
        ),
        r"built for a memory with 7 features",
    )
    row(
        "memory_mask-of-the-wrong-length",
        lambda: _decoder()(
            _zeros(2, 3, 4),
            memory=_zeros(2, 6, 7),
            memory_mask=np.ones((2, 5), bool),
        ),
        r"`memory_mask`.*\(2, 6\).*\(2, 5\)",
    )
    row(
        "memory_mask-of-rank-3",
        lambda: _called(kg.BahdanauAttention(), (2, 4), (2, 6, 7))(
            _zeros(2, 4), _zeros(2, 6, 7), memory_mask=np.ones((2, 6, 1), bool)
        ),
        r"`memory_mask`.*\(2, 6\).*\(2, 6, 1\)",
    )

    # Masks and initial states of the wrong shape.
    row(
        "mask-of-the-wrong-length-LNLSTM",
        lambda: kg.LNLSTM(4)(_zeros(2, 3, 5), mask=np.ones((2, 4), bool)),
        r"`mask`.*\(2, 3\).*\(2, 4\)",
    )
    row(
        "mask-of-the-wrong-batch-SRU-scan",
        lambda: kg.SRU(4, use_recurrent_kernel=False, parallel_scan=True)(
            _zeros(2, 3, 5), mask=np.ones((3, 3), bool)
        ),
        r"`mask`.*\(2, 3\).*\(3, 3\)",
    )
    row(
        "target-mask-of-the-wrong-length",
        lambda: _decoder()(
            _zeros(2, 3, 4), memory=_zeros(2, 6, 7), mask=np.ones((2, 4), bool)
        ),
        r"`mask`.*\(2, 3\).*\(2, 4\)",
    )
    row(
        "initial_state-of-the-wrong-size-LNLSTM",
        lambda: kg.LNLSTM(4)(
            _zeros(2, 3, 5), initial_state=[_zeros(2, 5), _zeros(2, 4)]
        ),
        r"`initial_state`.*\[h, c\].*\(batch_size, 4\).*\(2, 5\)",
    )
    row(
        "initial_state-missing-c-LNLSTM",
        lambda: kg.LNLSTM(4)(_zeros(2, 3, 5), initial_state=[_zeros(2, 4)]),
        r"`initial_state`.*2 state\(s\) \[h, c\].*got 1",
    )
    row(
        "initial_state-of-the-wrong-size-rnn-of-LNGRUCell",
        lambda: keras.layers.RNN(kg.LNGRUCell(4))(
            _zeros(2, 3, 5), initial_state=[_zeros(2, 6)]
        ),
        r"`states`.*\[h\].*\(batch_size, 4\).*\(2, 6\)",
    )
    row(
        "decoder-initial_state-of-the-wrong-count",
        lambda: _decoder()(
            _zeros(2, 3, 4),
            memory=_zeros(2, 6, 7),
            initial_state=[_zeros(2, 4)] * 2,
        ),
        r"`initial_state`.*1 states or the full decoder state of 4.*got 2",
    )

    # Decoding arguments.
    for width in (0, -1, 1.5):
        row(
            f"beam_width={width}",
            lambda w=width: _beam(beam_width=w),
            rf"`beam_width`.*got {width!r}",
        )
    for length in (0, -2):
        row(
            f"greedy-max_length={length}",
            lambda n=length: _greedy(max_length=n),
            rf"`max_length`.*got {length}",
        )
        row(
            f"beam-max_length={length}",
            lambda n=length: _beam(max_length=n),
            rf"`max_length`.*got {length}",
        )
    for decode in (_greedy, _beam):
        name = decode.__name__.strip("_")
        row(
            f"{name}-end_token-outside-the-vocabulary",
            lambda d=decode: d(end_token=VOCABULARY),
            rf"`end_token`.*\[0, {VOCABULARY}\).*got {VOCABULARY}",
        )
        row(
            f"{name}-negative-end_token",
            lambda d=decode: d(end_token=-1),
            r"`end_token`.*got -1",
        )
        row(
            f"{name}-pad_token-outside-the-vocabulary",
            lambda d=decode: d(pad_token=VOCABULARY + 2),
            rf"`pad_token`.*got {VOCABULARY + 2}",
        )
        row(
            f"{name}-start_tokens-of-another-batch",
            lambda d=decode: d(start_tokens=[1, 1, 1], state=_zeros(2, 1)),
            r"`start_tokens`.*batch of 2.*\(3,\)",
        )
    row(
        "negative-length_penalty",
        lambda: _beam(length_penalty=-0.5),
        r"`length_penalty`.*got -0.5",
    )
    row(
        "coverage_penalty-without-alignments",
        lambda: _beam(coverage_penalty=0.5),
        r"coverage_penalty=0.5.*no alignments",
    )

    # stateful=True without a static batch size.
    row(
        "stateful-without-batch-size-LNLSTM",
        lambda: kg.LNLSTM(4, stateful=True)(keras.Input((3, 5))),
        r"batch size must be static.*\(None, 3, 5\)",
    )
    row(
        "stateful-without-batch-size-rnn-of-SRUCell",
        lambda: keras.layers.RNN(kg.SRUCell(4), stateful=True)(
            keras.Input((3, 5))
        ),
        r"batch size must be static.*\(None, 3, 5\)",
    )

    # The SRU's parallel scan with v_f, v_r on.
    row(
        "sru-parallel_scan-with-the-recurrent-kernel",
        lambda: kg.SRU(4, parallel_scan=True),
        r"parallel_scan=True with use_recurrent_kernel=True",
    )
    row(
        "sru-recurrent_dropout-without-the-recurrent-kernel",
        lambda: kg.SRUCell(
            4, use_recurrent_kernel=False, recurrent_dropout=0.1
        ),
        r"recurrent_dropout=0.1 with use_recurrent_kernel=False",
    )

    # Flags and options of the wrong type.
    for flag in ("return_sequences", "go_backwards", "unroll", "stateful"):
        row(
            f"{flag}='yes'-LNGRU",
            lambda f=flag: kg.LNGRU(4, **{f: "yes"}),
            rf"`{flag}`.*got 'yes'",
        )
    row(
        "precompute_projection='yes'",
        lambda: kg.SRU(4, precompute_projection="yes"),
        r"`precompute_projection`.*got 'yes'",
    )
    row(
        "norm_epsilon=0",
        lambda: kg.LNLSTMCell(4, norm_epsilon=0.0),
        r"`norm_epsilon`.*got 0.0",
    )
    row(
        "plain-cell-to-AttentionDecoder",
        lambda: kg.AttentionDecoder(kg.LNLSTMCell(4)),
        r"`cell`.*AttentionDecoderCell",
    )
    return rows


@pytest.mark.parametrize("thunk, match", _rows())
def test_bad_input_is_a_clear_value_error(thunk, match):
    with pytest.raises(ValueError, match=match):
        thunk()


@pytest.mark.parametrize("mechanism", ["luong", "bahdanau"])
def test_an_all_false_memory_mask_is_documented_not_an_error(mechanism):
    # Documented (AttentionDecoderCell, design note 0004): a memory row
    # with nothing to attend to gets zero alignments and a zero context,
    # and the decoder keeps running on its input alone, never NaN.
    decoder = kg.AttentionDecoder(
        kg.AttentionDecoderCell(kg.LNLSTMCell(4), mechanism),
        return_sequences=True,
        return_alignments=True,
    )
    rng = np.random.default_rng(0)
    memory_mask = np.array([[True] * 6, [False] * 6])
    outputs, alignments = decoder(
        rng.normal(size=(2, 3, 4)).astype("float32"),
        memory=rng.normal(size=(2, 6, 7)).astype("float32"),
        memory_mask=memory_mask,
    )
    outputs, alignments = np.asarray(outputs), np.asarray(alignments)
    assert np.all(np.isfinite(outputs)) and np.all(np.isfinite(alignments))
    np.testing.assert_array_equal(alignments[1], 0.0)
    np.testing.assert_allclose(alignments[0].sum(-1), 1.0, atol=1e-6)
    attention = (
        kg.LuongAttention() if mechanism == "luong" else kg.BahdanauAttention()
    )
    context, weights = attention(
        rng.normal(size=(2, 4)).astype("float32"),
        rng.normal(size=(2, 6, 7)).astype("float32"),
        memory_mask=memory_mask,
    )
    np.testing.assert_array_equal(np.asarray(context)[1], 0.0)
    np.testing.assert_array_equal(np.asarray(weights)[1], 0.0)


# --- Decoding: step functions, states and start tokens (issue 11, item 3) --
# Greedy and beam search: a step function whose logits, state or
# alignments do not match what it received, a state that is not batch
# first, and start tokens that are not non-negative integers.


def _logits(tokens):
    return 3.0 * keras.ops.one_hot(tokens, VOCABULARY)


def _alignments(tokens, shape):
    return keras.ops.ones(shape) / shape[1]


def _greedy_with(step_fn=_step_fn, **kwargs):
    arguments = {"start_tokens": 1, "end_token": 2, "max_length": 3}
    return kg.greedy_decode(step_fn, **{**arguments, **kwargs})


def _beam_with(step_fn=_step_fn, **kwargs):
    arguments = {"start_tokens": 1, "end_token": 2, "max_length": 3}
    arguments["beam_width"] = 2
    return kg.beam_search_decode(step_fn, **{**arguments, **kwargs})


def _decoding_rows():
    rows = []

    def row(name, thunk, match):
        rows.append(pytest.param(thunk, match, id=name))

    state = _zeros(2, 3)
    # beam_search_decode repeats the state: 2 examples x 2 beams = 4 rows.
    for decode, rows_seen in ((_greedy_with, 2), (_beam_with, 4)):
        name = decode.__name__.strip("_").replace("_with", "")
        row(
            f"{name}-logits-of-another-batch",
            lambda d=decode: d(
                step_fn=lambda t, s: (keras.ops.zeros((1, VOCABULARY)), s),
                state=state,
            ),
            rf"`step_fn`.*{rows_seen} rows, got shape \(1, {VOCABULARY}\)",
        )
        row(
            f"{name}-state-whose-shape-changed",
            lambda d=decode: d(
                step_fn=lambda t, s: (_logits(t), s[:, :1]), state=state
            ),
            rf"`step_fn`.*leaf 0.*\({rows_seen}, 3\).*\({rows_seen}, 1\)",
        )
        row(
            f"{name}-state-whose-structure-changed",
            lambda d=decode: d(
                step_fn=lambda t, s: (_logits(t), [s, s]), state=state
            ),
            r"`step_fn`.*structure",
        )
        row(
            f"{name}-state-with-a-scalar-first-leaf",
            lambda d=decode: d(state=(np.float32(0.0), state)),
            r"`state`.*scalar \(shape \(\)\) as leaf 0",
        )
        row(
            f"{name}-state-leaves-of-two-batches",
            lambda d=decode: d(state=(state, _zeros(3, 3))),
            r"`state`.*same batch size.*\(2, 3\).*\(3, 3\)",
        )
        row(
            f"{name}-negative-start_tokens",
            lambda d=decode: d(start_tokens=-1),
            r"`start_tokens`.*non-negative.*-1",
        )
        row(
            f"{name}-negative-start_tokens-in-a-vector",
            lambda d=decode: d(start_tokens=[1, -1], state=state),
            r"`start_tokens`.*non-negative.*\[1, -1\]",
        )
        row(
            f"{name}-float-start_tokens",
            lambda d=decode: d(start_tokens=np.array([1.0, 2.7], "float32")),
            r"`start_tokens`.*integer token ids.*float32",
        )
        row(
            f"{name}-string-start_tokens",
            lambda d=decode: d(start_tokens=["a", "b"]),
            r"`start_tokens`.*integer token ids.*\['a', 'b'\]",
        )
    row(
        "beam-alignments-of-rank-3",
        lambda: _beam_with(
            step_fn=lambda t, s: (_logits(t), s, keras.ops.ones((4, 6, 1))),
            state=state,
            coverage_penalty=0.5,
        ),
        r"`step_fn`.*alignments.*4 rows, got shape \(4, 6, 1\)",
    )
    row(
        "beam-alignments-not-repeated-over-the-beams",
        lambda: _beam_with(
            step_fn=lambda t, s: (_logits(t), s, _alignments(t, (2, 6))),
            state=state,
            coverage_penalty=0.5,
        ),
        r"`step_fn`.*alignments.*4 rows, got shape \(2, 6\)",
    )
    return rows


@pytest.mark.parametrize("thunk, match", _decoding_rows())
def test_bad_decoding_input_is_a_clear_value_error(thunk, match):
    with pytest.raises(ValueError, match=match):
        thunk()


# ---------------------------------------------------------------------------
# Issue 11: layer norms that cannot see their input, wrong batches, Python
# and string masks, a layer passed as a cell. Each row failed before (an
# opaque backend error, a misleading "got shape ()", or no error at all).
# ---------------------------------------------------------------------------


def _issue_11_rows():
    rows = []

    def row(name, thunk, match):
        rows.append(pytest.param(thunk, match, id=name))

    # Layer norm over one value is always beta.
    row("LNLSTMCell(1)", lambda: kg.LNLSTMCell(1), r"`units`.*got 1.*no memory")
    row("LNLSTM(1)", lambda: kg.LNLSTM(1), r"`units`.*got 1.*no memory")
    for units in (1, 4):
        row(
            f"SRU({units}, use_layer_norm=True)-on-1-feature",
            lambda u=units: kg.SRU(u, use_layer_norm=True)(_zeros(2, 3, 1)),
            r"`use_layer_norm=True` with inputs of 1 feature.*\(2, 1\)",
        )
    row(
        "rnn-of-SRUCell(use_layer_norm=True)-on-1-feature",
        lambda: keras.layers.RNN(kg.SRUCell(4, use_layer_norm=True))(
            _zeros(2, 3, 1)
        ),
        r"`use_layer_norm=True` with inputs of 1 feature",
    )

    # initial_state of another batch than the inputs.
    row(
        "initial_state-of-another-batch-LNLSTM",
        lambda: kg.LNLSTM(4)(
            _zeros(2, 3, 5), initial_state=[_zeros(3, 4), _zeros(3, 4)]
        ),
        r"`initial_state`.*batch of 2.*\(3, 4\)",
    )
    for cls in (kg.LNGRU, kg.SRU):
        count = 1 if cls is kg.LNGRU else 2
        row(
            f"initial_state-of-another-batch-{cls.__name__}",
            lambda c=cls, n=count: c(4)(
                _zeros(2, 3, 5), initial_state=[_zeros(3, 4)] * n
            ),
            r"`initial_state`.*batch of 2.*\(3, 4\)",
        )
    row(
        "initial_state-of-another-batch-rnn-of-LNGRUCell",
        lambda: keras.layers.RNN(kg.LNGRUCell(4))(
            _zeros(2, 3, 5), initial_state=[_zeros(3, 4)]
        ),
        r"`states`.*batch of 2.*\(3, 4\)",
    )
    row(
        "initial_state-of-another-batch-AttentionDecoder",
        lambda: _decoder()(
            _zeros(2, 3, 4),
            memory=_zeros(2, 6, 7),
            initial_state=[_zeros(3, 4)],
        ),
        r"`initial_state`.*batch of 2.*\(3, 4\)",
    )
    for mechanism in (kg.LuongAttention, kg.BahdanauAttention):
        row(
            f"query-of-another-batch-{mechanism.__name__}",
            lambda m=mechanism: m()(_zeros(3, 7), _zeros(2, 6, 7)),
            r"`query`.*batch of 2.*\(3, 7\)",
        )

    # Masks of strings, and lists that are not masks.
    strings = np.array([["yes"] * 6] * 2)
    row(
        "string-memory_mask-LuongAttention",
        lambda: kg.LuongAttention()(
            _zeros(2, 7), _zeros(2, 6, 7), memory_mask=strings
        ),
        r"`memory_mask`.*mask of strings",
    )
    row(
        "string-memory_mask-AttentionDecoder",
        lambda: _decoder()(
            _zeros(2, 3, 4), memory=_zeros(2, 6, 7), memory_mask=strings
        ),
        r"`memory_mask`.*mask of strings",
    )
    row(
        "ragged-list-mask-LNGRU",
        lambda: kg.LNGRU(4)(_zeros(2, 3, 5), mask=[[True] * 3, [True] * 2]),
        r"`mask`.*rectangular nested list of bools",
    )

    # A layer where a cell belongs.
    row(
        "LSTM-layer-as-the-cell-of-AttentionDecoderCell",
        lambda: kg.AttentionDecoderCell(keras.layers.LSTM(4)),
        r"`cell`.*recurrent cell.*<LSTM.*layer\.cell",
    )
    return rows


@pytest.mark.parametrize("thunk, match", _issue_11_rows())
def test_issue_11_bad_input_is_a_clear_value_error(thunk, match):
    with pytest.raises(ValueError, match=match):
        thunk()


def test_a_python_list_mask_is_the_array_mask():
    rng = np.random.default_rng(0)
    mask = [[True, True, False], [True, False, False]]
    layer = kg.LNGRU(4, return_sequences=True)
    x = rng.normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(layer(x, mask=mask)),
        np.asarray(layer(x, mask=np.array(mask))),
    )
    memory_mask = [[True] * 6, [True] * 3 + [False] * 3]
    memory = rng.normal(size=(2, 6, 7)).astype("float32")
    targets = rng.normal(size=(2, 3, 4)).astype("float32")
    decoder = _decoder(return_sequences=True)
    np.testing.assert_array_equal(
        np.asarray(decoder(targets, memory=memory, memory_mask=memory_mask)),
        np.asarray(
            decoder(targets, memory=memory, memory_mask=np.array(memory_mask))
        ),
    )
    attention = kg.LuongAttention()
    query = rng.normal(size=(2, 7)).astype("float32")
    for got, want in zip(
        attention(query, memory, memory_mask=memory_mask),
        attention(query, memory, memory_mask=np.array(memory_mask)),
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
