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
    """

    cls: type
    reference: Callable
    options: object = st.just({})
    fused: type = None
    fused_variants: dict = dataclasses.field(default_factory=dict)
    accepts: Callable = lambda features, units, options: True

    @property
    def name(self):
        return self.cls.__name__


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
            **_HOISTED,
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
)


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


_EVERY_CONTRACT = frozenset({"reference", "gradients", "saving", "export"})

LAYERS = (
    Layer(
        name="MDLSTM2D",
        cls=kg.MDLSTM2D,
        build=functools.partial(_md_lstm_2d, direction="bottom_right"),
        contract=_EVERY_CONTRACT,
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
        contract=_EVERY_CONTRACT,
        reference=_md_lstm_2d_reference,
    ),
    Layer(
        name="MultiDirectional",
        cls=kg.MultiDirectional,
        build=_multi_directional,
        contract=_EVERY_CONTRACT,
        reference=_multi_directional_reference,
    ),
    Layer(
        name="SeparableLSTM2D",
        cls=kg.SeparableLSTM2D,
        build=_separable_lstm_2d,
        contract=_EVERY_CONTRACT,
        reference=_separable_lstm_2d_reference,
    ),
    Layer(
        name="AttentionDecoder",
        cls=kg.AttentionDecoder,
        build=_attention_decoder,
        contract=frozenset({"reference", "gradients", "saving", "export"}),
        reference=_attention_decoder_reference,
    ),
)


def layers_keeping(contract):
    """The `Layer` entries that keep `contract`."""
    assert contract in LAYER_CONTRACTS, contract
    return [entry for entry in LAYERS if contract in entry.contract]
