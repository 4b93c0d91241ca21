"""The registry: every cell and layer that the generic tests run on.

Haiku parametrizes its generic tests over one tuple of all its cores; this
module is ours. Each entry declares the contract it keeps, and the generic
tests take every entry that declares theirs:

- `RNNCell` entries are cells for `keras.layers.RNN`, with the whole RNN
  contract: the NumPy reference on random weights, stepping by hand vs the
  loop, masks, `go_backwards`, `stateful`, `unroll`, `Bidirectional`,
  stacking, gradients, dropout, mixed precision, saving and export
  (`tests/cells/test_rnn_cell_contract.py`), the property tests
  (`tests/properties/`), numerics (`tests/test_numerics.py`), masking
  (`tests/test_masking.py`) and bad input (`tests/test_bad_input.py`).
  A cell that also keeps the project/step protocol (`FusableCell`) names
  its fused layer, and the variants of it to test.
- `Layer` entries are layers that do not fit the RNN contract (a decoder
  over a memory, 2-D, tree and graph layers). Each declares a smaller
  contract of its own, a subset of `LAYER_CONTRACTS`, and provides what
  those tests need: a built layer with random weights and example
  inputs, and (for "reference") a NumPy reference. The tests are in
  `tests/test_layer_contracts.py`.

Adding a 1-D cell means the cell, its NumPy reference step, and one entry
here; every generic test then runs on it.
"""

import dataclasses
import functools
from collections.abc import Callable

import keras
import numpy as np
from hypothesis import strategies as st

import keras_gated as kg
from tests import numpy_reference as ref
from tests.graph import tree_reference
from tests.multidim import numpy_multidim


def weights_of(layer):
    """A built layer's weights as float64 NumPy arrays, by name."""
    return {
        w.name: keras.ops.convert_to_numpy(w).astype(np.float64)
        for w in layer.weights
    }


def randomize(layer, seed=0, scale=0.5):
    """Assigns random normal values to every weight of a built layer."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(scale=scale, size=w.shape).astype(w.dtype))


@dataclasses.dataclass(frozen=True)
class RNNCell:
    """A cell for `keras.layers.RNN`, with the whole RNN contract.

    Attributes:
        cls: The cell class; `cls(units, **options)` makes one.
        reference: `reference(cell)` returns the NumPy step of a built cell
            with its current weights and options, `step(x, states) ->
            (output, states)` on float64 arrays (`numpy_reference.run_rnn`
            runs it over a sequence).
        options: A hypothesis strategy of the constructor options that
            change the cell's equations, for the property tests.
        fused: The fused layer of the same equations, if any; its cell
            must keep the `FusableCell` protocol.
        fused_variants: Names and constructor options of the fused-layer
            configurations that the generic layer tests run.
        accepts: `accepts(features, units, options)` says whether the cell
            takes that configuration; the property tests draw only those
            (e.g. a layer norm over a single value is refused).
        keeps: The optional parts of the RNN contract that the cell keeps,
            a subset of `OPTIONAL_CONTRACT`: "dropout" (the `dropout`,
            `recurrent_dropout` and `seed` arguments) and
            "gated_arguments" (Keras' gated-cell arguments besides
            `units`: `use_bias`, `norm_epsilon`, the initializer,
            regularizer and constraint triples). The tests of a part run
            on the cells that keep it; a cell without it (the Grid cells,
            whose arguments are contrib's) tests its own arguments in its
            own test file.
    """

    cls: type
    reference: Callable
    options: object = st.just({})
    fused: type = None
    fused_variants: dict = dataclasses.field(default_factory=dict)
    accepts: Callable = lambda features, units, options: True
    keeps: frozenset = frozenset({"dropout", "gated_arguments"})

    def __post_init__(self):
        unknown = set(self.keeps) - OPTIONAL_CONTRACT
        if unknown:
            raise ValueError(f"{self.name}: unknown contract parts {unknown}")

    @property
    def name(self):
        return self.cls.__name__


# The optional parts of the RNN contract (`RNNCell.keeps`).
OPTIONAL_CONTRACT = frozenset({"dropout", "gated_arguments"})


# The reduced contracts a layer outside the RNN contract may declare.
LAYER_CONTRACTS = frozenset({"reference", "gradients", "saving", "export"})


@dataclasses.dataclass(frozen=True)
class Layer:
    """A layer with a contract smaller than the RNN one.

    Attributes:
        name: The test id.
        cls: The public class under test.
        build: `build(seed, dtype="float32")` returns `(layer, args,
            kwargs)`: the layer of that dtype, built and with random
            weights, and example call arguments (NumPy arrays of that
            dtype, and boolean masks). Keep the sizes small: the gradient
            test takes finite differences of every weight.
        contract: The subset of `LAYER_CONTRACTS` the layer keeps.
        reference: `reference(layer, args, kwargs)` returns the NumPy
            outputs (float64), for "reference".
        atol: The tolerance of the reference comparison in float32.
    """

    name: str
    cls: type
    build: Callable
    contract: frozenset
    reference: Callable = None
    atol: float = 1e-5

    def __post_init__(self):
        unknown = set(self.contract) - LAYER_CONTRACTS
        if unknown:
            raise ValueError(f"{self.name}: unknown contract {unknown}")
        if "reference" in self.contract and self.reference is None:
            raise ValueError(f"{self.name}: 'reference' needs a reference")


# --- The cells ---------------------------------------------------------------


def _ln_lstm_reference(cell):
    return functools.partial(
        ref.ln_lstm_step,
        weights_of(cell),
        epsilon=cell.norm_epsilon,
        carry_normalized_cell=cell.carry_normalized_cell,
        use_bias=cell.use_bias,
    )


def _ln_gru_reference(cell):
    return functools.partial(
        ref.ln_gru_step,
        weights_of(cell),
        epsilon=cell.norm_epsilon,
        use_bias=cell.use_bias,
    )


def _sru_reference(cell):
    activation = {"linear": lambda v: v, "tanh": np.tanh}[
        keras.activations.serialize(cell.activation)
    ]
    return functools.partial(
        ref.sru_step,
        weights_of(cell),
        activation=activation,
        layer_norm_epsilon=cell.norm_epsilon if cell.use_layer_norm else None,
        use_bias=cell.use_bias,
    )


_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": ref.sigmoid,
    "relu": lambda v: np.maximum(v, 0.0),
    "linear": lambda v: v,
}


def _peephole_lstm_reference(cell):
    return functools.partial(
        ref.peephole_lstm_step,
        weights_of(cell),
        activation=_ACTIVATIONS[keras.activations.serialize(cell.activation)],
        recurrent_activation=_ACTIVATIONS[
            keras.activations.serialize(cell.recurrent_activation)
        ],
    )


_HOISTED = {
    "precomputed": {"precompute_projection": True},
    "in_loop": {"precompute_projection": False},
}

RNN_CELLS = (
    RNNCell(
        cls=kg.LNLSTMCell,
        reference=_ln_lstm_reference,
        options=st.fixed_dictionaries(
            {"use_bias": st.booleans(), "carry_normalized_cell": st.booleans()}
        ),
        fused=kg.LNLSTM,
        fused_variants=_HOISTED,
        # LN(c_t) over one unit is always beta: refused.
        accepts=lambda features, units, options: units >= 2,
    ),
    RNNCell(
        cls=kg.LNGRUCell,
        reference=_ln_gru_reference,
        options=st.fixed_dictionaries({"use_bias": st.booleans()}),
        fused=kg.LNGRU,
        fused_variants=_HOISTED,
    ),
    RNNCell(
        cls=kg.SRUCell,
        reference=_sru_reference,
        options=st.fixed_dictionaries(
            {
                "use_bias": st.booleans(),
                "use_recurrent_kernel": st.booleans(),
                "use_layer_norm": st.booleans(),
                "activation": st.sampled_from(["linear", "tanh"]),
            }
        ),
        fused=kg.SRU,
        fused_variants={
            # The autodiff loop (fused_loop=False), hoisted or not, and the
            # fused loop with its own backward, which precomputes: "auto",
            # the default, is fused on TensorFlow, and falls back where a
            # generic test adds unroll=True (which refuses fused_loop=True).
            # JAX's fused loop is tested in tests/layers/test_sru_fused_loop.py
            # and tests/properties, with fused_loop=True.
            **{
                name: {**options, "fused_loop": False}
                for name, options in _HOISTED.items()
            },
            "fused_loop": {"fused_loop": "auto"},
            "parallel_scan": {
                "use_recurrent_kernel": False,
                "parallel_scan": True,
            },
        },
        # The input layer norm over one feature is always beta: refused.
        accepts=lambda features, units, options: (
            features >= 2 or not options.get("use_layer_norm", False)
        ),
    ),
    RNNCell(
        cls=kg.PeepholeLSTMCell,
        reference=_peephole_lstm_reference,
        options=st.fixed_dictionaries(
            {
                "use_bias": st.booleans(),
                "implementation": st.sampled_from([1, 2]),
                "activation": st.sampled_from(["tanh", "relu"]),
            }
        ),
    ),
)


# The Grid cells (keras_gated/grid/): contrib's arguments, no dropout. Their
# reference reads the dimensions and the inner cells from the built cell.
# `GridRNNCell` itself needs its dimensions (`GridRNNCell(units)` has no
# output), so it runs the generic tests through these subclasses, and its
# other configurations (every inner cell, priorities, several outputs)
# in tests/grid/test_grid_rnn_cell.py.
_GRID_TIED = {"tied": st.booleans()}
_GRID_NON_RECURRENT = {
    "non_recurrent_activation": st.sampled_from([None, "relu", "tanh"])
}
_GRID_LSTM = {
    "use_peepholes": st.booleans(),
    "forget_bias": st.sampled_from([0.0, 1.0, 2.5]),
}
_GRID_CELLS = {
    kg.Grid1BasicRNNCell: {},
    kg.Grid2BasicRNNCell: {**_GRID_TIED, **_GRID_NON_RECURRENT},
    kg.Grid1BasicLSTMCell: {"forget_bias": _GRID_LSTM["forget_bias"]},
    kg.Grid2BasicLSTMCell: {
        **_GRID_TIED,
        **_GRID_NON_RECURRENT,
        "forget_bias": _GRID_LSTM["forget_bias"],
    },
    kg.Grid1LSTMCell: _GRID_LSTM,
    kg.Grid2LSTMCell: {**_GRID_TIED, **_GRID_NON_RECURRENT, **_GRID_LSTM},
    kg.Grid3LSTMCell: {**_GRID_TIED, **_GRID_NON_RECURRENT, **_GRID_LSTM},
    kg.Grid1GRUCell: {},
    kg.Grid2GRUCell: {**_GRID_TIED, **_GRID_NON_RECURRENT},
}


def _grid_reference(cell):
    from tests.grid.grid_reference import registry_reference

    return registry_reference(cell)


RNN_CELLS = RNN_CELLS + tuple(
    RNNCell(
        cls=cls,
        reference=_grid_reference,
        options=st.fixed_dictionaries(options),
        keeps=frozenset(),
    )
    for cls, options in _GRID_CELLS.items()
)


def cells_keeping(part):
    """The `RNNCell` entries that keep the optional contract `part`."""
    assert part in OPTIONAL_CONTRACT, part
    return [entry for entry in RNN_CELLS if part in entry.keeps]


def rnn_cell(cell):
    """The registry entry of a cell instance or class."""
    cls = cell if isinstance(cell, type) else type(cell)
    for entry in RNN_CELLS:
        if entry.cls is cls:
            return entry
    raise LookupError(f"{cls.__name__} is not in tests/registry.py")


def fusable_cells():
    return [entry for entry in RNN_CELLS if entry.fused is not None]


def fused_layers():
    """`{"LNLSTM-precomputed": factory(units, **kwargs), ...}`."""
    layers = {}
    for entry in fusable_cells():
        for variant, options in entry.fused_variants.items():
            layers[f"{entry.fused.__name__}-{variant}"] = functools.partial(
                _fused, entry.fused, options
            )
    return layers


def _fused(layer_class, options, units, **kwargs):
    return layer_class(units, **{**options, **kwargs})


# --- Layers with a reduced contract ----------------------------------------


def _attention_decoder(seed, dtype="float32"):
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(3, dtype=dtype), "luong", dtype=dtype
    )
    decoder = kg.AttentionDecoder(cell, return_sequences=True, dtype=dtype)
    decoder.build((None, None, 2), (None, None, 3))
    randomize(decoder, seed=seed)
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=(2, 3, 2)).astype(dtype),)
    kwargs = {
        "memory": rng.normal(size=(2, 4, 3)).astype(dtype),
        "memory_mask": np.arange(4)[None] < np.array([[4], [2]]),
    }
    return decoder, args, kwargs


def _attention_decoder_reference(decoder, args, kwargs):
    cell = decoder.cell
    inner = cell.cell
    return ref.luong_attention_decoder(
        rnn_cell(inner).reference(inner),
        keras.ops.convert_to_numpy(cell.attention.memory_kernel).astype(
            "float64"
        ),
        keras.ops.convert_to_numpy(cell.attention_kernel).astype("float64"),
        np.asarray(args[0], "float64"),
        np.asarray(kwargs["memory"], "float64"),
        kwargs["memory_mask"],
        [np.zeros((args[0].shape[0], size)) for size in inner.state_size],
    )


def _numpy(x):
    return keras.ops.convert_to_numpy(x).astype("float64")


def mechanism_scores(attention):
    """The NumPy score `(query, memory) -> (batch, source_len)` of a
    built `LuongAttention` or `BahdanauAttention`, with its weights."""
    if isinstance(attention, kg.LuongAttention):
        scale = None if attention.scale is None else _numpy(attention.scale)
        return functools.partial(
            ref.luong_scores, _numpy(attention.memory_kernel), scale=scale
        )
    normalized = {}
    if attention.normalize:
        normalized = {
            "g": _numpy(attention.attention_g),
            "b": _numpy(attention.attention_b),
        }
    return functools.partial(
        ref.bahdanau_scores,
        _numpy(attention.query_kernel),
        _numpy(attention.memory_kernel),
        _numpy(attention.attention_v),
        **normalized,
    )


def show_attend_tell_gate(cell):
    """`(w_β, b_β)` of a built cell with the context gate, else None."""
    if not cell.context_gate:
        return None
    return _numpy(cell.gate_kernel), _numpy(cell.gate_bias)


def _show_attend_tell_decoder(seed, dtype="float32"):
    cell = kg.AttentionDecoderCell(
        kg.LNLSTMCell(3, dtype=dtype),
        kg.BahdanauAttention(units=2, normalize=True, dtype=dtype),
        wiring="show_attend_tell",
        context_gate=True,
        output_context=True,
        dtype=dtype,
    )
    decoder = kg.AttentionDecoder(
        cell, return_sequences=True, return_alignments=True, dtype=dtype
    )
    decoder.build((None, None, 2), (None, None, 3))
    randomize(decoder, seed=seed)
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=(2, 3, 2)).astype(dtype),)
    kwargs = {
        "memory": rng.normal(size=(2, 4, 3)).astype(dtype),
        "memory_mask": np.arange(4)[None] < np.array([[4], [2]]),
    }
    return decoder, args, kwargs


def _show_attend_tell_decoder_reference(decoder, args, kwargs):
    cell = decoder.cell
    inner = cell.cell
    return ref.show_attend_tell_decoder(
        rnn_cell(inner).reference(inner),
        mechanism_scores(cell.attention),
        np.asarray(args[0], "float64"),
        np.asarray(kwargs["memory"], "float64"),
        kwargs["memory_mask"],
        [np.zeros((args[0].shape[0], size)) for size in inner.state_size],
        gate=show_attend_tell_gate(cell),
        output_context=cell.output_context,
    )


def _memory_initial_state(seed, dtype="float32"):
    layer = kg.MemoryInitialState(3, num_states=2, dtype=dtype)
    layer.build((None, None, 4))
    randomize(layer, seed=seed)
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=(3, 5, 4)).astype(dtype),)
    kwargs = {"memory_mask": np.arange(5)[None] < np.array([[5], [2], [0]])}
    return layer, args, kwargs


def _memory_initial_state_reference(layer, args, kwargs):
    return ref.memory_initial_state(
        _numpy(layer.kernel),
        _numpy(layer.bias),
        np.asarray(args[0], "float64"),
        kwargs["memory_mask"],
        layer.units,
    )


def _images_and_sizes(seed, dtype):
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(2, 3, 4, 2)).astype(dtype)
    return (images,), {"sizes": np.array([[3, 4], [2, 3]], "int32")}


def _sizes_mask(images, sizes):
    _, height, width, _ = images.shape
    return (np.arange(height)[None, :, None] < sizes[:, :1, None]) & (
        np.arange(width)[None, None, :] < sizes[:, 1:, None]
    )


def _md_lstm_2d(seed, dtype="float32", **options):
    layer = kg.MDLSTM2D(2, dtype=dtype, **options)
    layer.build((None, None, None, 2))
    randomize(layer, seed=seed)
    return (layer, *_images_and_sizes(seed, dtype))


def _md_lstm_2d_reference(layer, args, kwargs):
    return numpy_multidim.mdlstm2d(
        weights_of(layer),
        np.asarray(args[0], "float64"),
        mask=_sizes_mask(args[0], kwargs["sizes"]),
        direction=layer.direction,
        variant=layer.variant,
        use_peepholes=layer.use_peepholes,
        use_layer_norm=layer.use_layer_norm,
        epsilon=layer.norm_epsilon,
    )


def _multi_directional(seed, dtype="float32"):
    layer = kg.MultiDirectional(
        kg.MDLSTM2D(2, variant="halved", dtype=dtype), dtype=dtype
    )
    layer.build((None, None, None, 2))
    randomize(layer, seed=seed)
    return (layer, *_images_and_sizes(seed, dtype))


def _multi_directional_reference(layer, args, kwargs):
    return np.concatenate(
        [_md_lstm_2d_reference(part, args, kwargs) for part in layer.layers],
        axis=-1,
    )


def _separable_lstm_2d(seed, dtype="float32"):
    layer = kg.SeparableLSTM2D(3, hidden_units=2, dtype=dtype)
    layer.build((None, None, None, 2))
    randomize(layer, seed=seed)
    return (layer, *_images_and_sizes(seed, dtype))


def _separable_lstm_2d_reference(layer, args, kwargs):
    names = ("row_forward", "row_backward", "column_forward", "column_backward")
    return numpy_multidim.separable_lstm2d(
        {name: weights_of(getattr(layer, name)) for name in names},
        np.asarray(args[0], "float64"),
        mask=_sizes_mask(args[0], kwargs["sizes"]),
    )


def _tree(seed, dtype, children_form):
    """Two padded trees of at most 5 nodes (one of 3), 2 features."""
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=(2, 5, 2)).astype(dtype),)
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    if children_form:
        children = np.array(
            [
                [[-1, 1], [2, 3], [-1, -1], [4, -1], [-1, -1]],
                [[1, 2], [-1, -1], [-1, -1], [-1, -1], [-1, -1]],
            ]
        )
        children = children.astype("int32")  # JAX has no int64 by default
        return args, {"children": children, "node_mask": mask}
    parents = np.array([[-1, 0, 0, 1, 1], [2, -1, 1, -1, -1]], "int32")
    return args, {"parents": parents, "node_mask": mask}


def _child_sum_tree_lstm(seed, dtype="float32"):
    layer = kg.ChildSumTreeLSTM(3, max_depth=3, return_state=True, dtype=dtype)
    layer.build((None, 5, 2))
    randomize(layer, seed=seed)
    return layer, *_tree(seed, dtype, children_form=False)


def _nary_tree_lstm(seed, dtype="float32"):
    layer = kg.NaryTreeLSTM(
        3,
        arity=2,
        max_depth=3,
        use_layer_norm=True,
        return_state=True,
        dtype=dtype,
    )
    layer.build((None, 5, 2))
    randomize(layer, seed=seed)
    return layer, *_tree(seed, dtype, children_form=True)


def _child_sum_tree_lstm_reference(layer, args, kwargs):
    return tree_reference.child_sum(
        weights_of(layer),
        np.asarray(args[0], "float64"),
        tree_reference.children_lists(
            parents=kwargs["parents"], node_mask=kwargs["node_mask"]
        ),
        use_bias=layer.use_bias,
    )


def _nary_tree_lstm_reference(layer, args, kwargs):
    return tree_reference.nary(
        weights_of(layer),
        np.asarray(args[0], "float64"),
        tree_reference.children_lists(
            children=kwargs["children"], node_mask=kwargs["node_mask"]
        ),
        layer.arity,
        use_bias=layer.use_bias,
        epsilon=layer.norm_epsilon,
    )


# Every entry below keeps the whole reduced contract.
_FULL_CONTRACT = LAYER_CONTRACTS


def _graph_lstm(seed, dtype="float32"):
    layer = kg.GraphLSTM(3, return_state=True, dtype=dtype)
    layer.build((None, 4, 2))
    randomize(layer, seed=seed)
    rng = np.random.default_rng(seed)
    adjacency = np.array(
        [
            [[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]],
            [[0, 1, 0, 0], [1, 0, 1, 1], [0, 1, 0, 0], [0, 1, 0, 0]],
        ],
        dtype,
    )
    args = (rng.normal(size=(2, 4, 2)).astype(dtype),)
    kwargs = {
        "adjacency": adjacency,
        "scores": rng.normal(size=(2, 4)).astype(dtype),
        "node_mask": np.array([[True] * 4, [True, True, True, False]]),
    }
    return layer, args, kwargs


def _graph_lstm_reference(layer, args, kwargs):
    from tests.graph import graph_lstm_reference as graph_ref

    return graph_ref.graph_lstm(
        weights_of(layer),
        args[0],
        kwargs["adjacency"],
        order=graph_ref.order_of_scores(kwargs["scores"]),
        node_mask=kwargs["node_mask"],
    )


LAYERS = (
    Layer(
        name="ChildSumTreeLSTM",
        cls=kg.ChildSumTreeLSTM,
        build=_child_sum_tree_lstm,
        contract=_FULL_CONTRACT,
        reference=_child_sum_tree_lstm_reference,
    ),
    Layer(
        name="NaryTreeLSTM",
        cls=kg.NaryTreeLSTM,
        build=_nary_tree_lstm,
        contract=_FULL_CONTRACT,
        reference=_nary_tree_lstm_reference,
    ),
    Layer(
        name="GraphLSTM",
        cls=kg.GraphLSTM,
        build=_graph_lstm,
        contract=_FULL_CONTRACT,
        reference=_graph_lstm_reference,
    ),
    Layer(
        name="MDLSTM2D",
        cls=kg.MDLSTM2D,
        build=functools.partial(_md_lstm_2d, direction="bottom_right"),
        contract=_FULL_CONTRACT,
        reference=_md_lstm_2d_reference,
    ),
    Layer(
        name="MDLSTM2D-leifert-peepholes-layer_norm",
        cls=kg.MDLSTM2D,
        build=functools.partial(
            _md_lstm_2d,
            direction="top_right",
            variant="leifert",
            use_peepholes=True,
            use_layer_norm=True,
        ),
        contract=_FULL_CONTRACT,
        reference=_md_lstm_2d_reference,
    ),
    Layer(
        name="MultiDirectional",
        cls=kg.MultiDirectional,
        build=_multi_directional,
        contract=_FULL_CONTRACT,
        reference=_multi_directional_reference,
    ),
    Layer(
        name="SeparableLSTM2D",
        cls=kg.SeparableLSTM2D,
        build=_separable_lstm_2d,
        contract=_FULL_CONTRACT,
        reference=_separable_lstm_2d_reference,
    ),
    Layer(
        name="AttentionDecoder",
        cls=kg.AttentionDecoder,
        build=_attention_decoder,
        contract=_FULL_CONTRACT,
        reference=_attention_decoder_reference,
    ),
    Layer(
        name="AttentionDecoder-show_attend_tell",
        cls=kg.AttentionDecoder,
        build=_show_attend_tell_decoder,
        contract=_FULL_CONTRACT,
        reference=_show_attend_tell_decoder_reference,
    ),
    Layer(
        name="MemoryInitialState",
        cls=kg.MemoryInitialState,
        build=_memory_initial_state,
        contract=_FULL_CONTRACT,
        reference=_memory_initial_state_reference,
    ),
)


def layers_keeping(contract):
    """The `Layer` entries that keep `contract`."""
    assert contract in LAYER_CONTRACTS, contract
    return [entry for entry in LAYERS if contract in entry.contract]
