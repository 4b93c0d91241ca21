import inspect

import keras
from keras import ops

from keras_gated import _checks
from keras_gated.seq2seq._attention_mechanism import AttentionMechanism
from keras_gated.seq2seq._attention_mechanism import check_memory_shape
from keras_gated.seq2seq.bahdanau_attention import BahdanauAttention
from keras_gated.seq2seq.luong_attention import LuongAttention

_MECHANISMS = {"luong": LuongAttention, "bahdanau": BahdanauAttention}
DEFAULT = "default"
SHOW_ATTEND_TELL = "show_attend_tell"
_WIRINGS = (DEFAULT, SHOW_ATTEND_TELL)


def _check_wiring(wiring):
    if not isinstance(wiring, str) or wiring not in _WIRINGS:
        raise ValueError(
            "Received an invalid value for argument `wiring`, expected one "
            f"of {list(_WIRINGS)}, got {wiring!r}."
        )
    return wiring


def _check_no_attention_layer(**arguments):
    """The show_attend_tell wiring has no W_c: its arguments are refused."""
    for name, value in arguments.items():
        if value is not None:
            raise ValueError(
                f"Received an invalid value for argument `{name}`: it "
                "configures the attention layer W_c of the default wiring, "
                f"which wiring='{SHOW_ATTEND_TELL}' does not have (no W_c, "
                f"no input feeding); leave it unset, got {name}={value!r}."
            )


def _get_attention(identifier, dtype=None):
    if isinstance(identifier, AttentionMechanism):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _MECHANISMS:
        # A mechanism made from its name shares the cell's dtype policy.
        return _MECHANISMS[identifier.lower()](dtype=dtype)
    raise ValueError(
        "Received an invalid value for argument `attention`, expected one "
        f"of {sorted(_MECHANISMS)} or a `keras_gated.LuongAttention` or "
        f"`keras_gated.BahdanauAttention` instance, got {identifier!r}."
    )


def _flat_state_size(cell):
    state_size = getattr(cell, "state_size", None)
    if isinstance(state_size, int):
        return [state_size]
    if isinstance(state_size, (list, tuple)) and all(
        isinstance(size, int) for size in state_size
    ):
        return list(state_size)
    raise ValueError(
        "Received an invalid value for argument `cell`, expected a recurrent "
        "cell with a `state_size` that is an int or a flat list of ints "
        f"(e.g. keras_gated.LNLSTMCell), got {cell!r} with "
        f"state_size={state_size!r}."
    )


@keras.saving.register_keras_serializable(package="keras_gated")
class AttentionDecoderCell(keras.layers.Layer):
    """A recurrent cell that attends over a memory at every step.

    Wraps any recurrent cell (`keras_gated.LNLSTMCell`, `LNGRUCell`,
    `SRUCell`, `keras.layers.LSTMCell`, `GRUCell`, ...) with an attention
    mechanism (`keras_gated.LuongAttention` or `BahdanauAttention`), as
    TensorFlow Addons' `AttentionWrapper` did. Run it over a sequence with
    `keras_gated.AttentionDecoder`, or step it by hand (e.g. in the step
    function of `keras_gated.beam_search_decode`).

    With `x_t` the input, `m` the memory `(batch, source_len, memory_dim)`
    and `σ` the `attention_activation` (tanh), one step is:

    ```
    x̃_t = [x_t; a_{t-1}]                   # input feeding (x̃_t = x_t without)
    h_t, s_t = cell(x̃_t, s_{t-1})          # the wrapped cell
    α_t, c_t = attention(h_t, m)           # alignments, context Σ_i α_ti m_i
    a_t = σ(W_c [h_t; c_t])                 # the attention vector
    output = a_t  if output_attention  else  h_t
    ```

    With `wiring="show_attend_tell"` the step is Xu et al.'s (2015), and
    Bahdanau et al.'s order: the query is the wrapped cell's previous
    output `h_{t-1}` (its first state), and the context enters the cell:

    ```
    α_t, c_t = attention(h_{t-1}, m)       # before the cell runs
    β_t = sigmoid(h_{t-1} · w_β + b_β)     # context_gate=True; else β_t = 1
    z_t = β_t c_t                          # one scalar β per step and example
    h_t, s_t = cell([x_t; z_t], s_{t-1})
    output = [h_t; z_t]  if output_context  else  h_t
    ```

    There is no attention layer `W_c` and no input feeding in that wiring;
    `output_context=True` lets a "deep output" layer read `[h_t; z_t; x_t]`
    (concatenate `x_t` outside, as in the paper's eq. 7).

    The keys of the attention (`W m` or `W₂ m`) depend on the memory alone;
    `AttentionDecoder` computes them once with `project_memory` and passes
    them to every step as `keys`.

    Weights: `attention_kernel` `W_c`, shape `(h_dim + memory_dim,
    attention_units)`, no bias, plus those of the wrapped cell (`cell`) and
    of the mechanism (`attention`). In the Show-Attend-Tell wiring there is
    no `W_c`; with `context_gate=True`, `gate_kernel` `w_β`, shape
    `(h_dim, 1)`, and `gate_bias` `b_β`, shape `(1,)`, initialized to 0
    (β = 0.5 for `h = 0`, as in the authors' code). The wrapped cell's
    input kernel reads `memory_dim` more features (`z_t`), the
    mechanism's query kernel takes the cell's first state.

    State: a flat list, in this order:

    ```
    [output, attention, alignments, *cell_states]
    output       (batch, output_size)      the step's output, a_t or h_t
    attention    (batch, attention_units)  a_t, fed to the next step
    alignments   (batch, source_len)       α_t
    cell_states  the wrapped cell's states, e.g. [h, c] for an LSTM
    ```

    The first state is the output, as for every Keras cell (Keras' JAX loop
    repeats `states[0]` at masked steps). `state_size` is
    `[output_size, attention_units, None, *cell.state_size]`: the
    alignments' size is the memory's length, known only with the memory.

    With `wiring="show_attend_tell"` the list has the same positions, and
    the second holds the gated context instead of the attention vector:

    ```
    [output, context, alignments, *cell_states]
    output       (batch, output_size)   h_t, or [h_t; z_t] with output_context
    context      (batch, memory_dim)    z_t = β_t c_t (not fed back)
    alignments   (batch, source_len)    α_t, computed from h_{t-1}
    cell_states  the wrapped cell's states; the query of step t + 1 is
                 their first, h_t
    ```

    There `state_size` is `[output_size, memory_dim, None,
    *cell.state_size]` and `output_size` is `h_dim (+ memory_dim)`; what
    involves `memory_dim` is known once the cell is built (`None` before).
    To start from the memory, as the paper does, pass the states of a
    `keras_gated.MemoryInitialState` as `cell_states`.
    `get_initial_state(memory, cell_states=None)` builds the initial state
    from the memory and, optionally, the wrapped cell's states (e.g. an
    encoder's final `[h, c]`); everything else starts at zero.

    Notes:

    - The memory is a call argument, never a layer attribute: no
      `setup_memory`, so the cell is stateless, serializable and exports
      cleanly. Any `(batch, n, dim)` tensor works: encoder outputs, or an
      image feature map flattened to `(batch, height * width, channels)`.
    - With `output_attention=True` the cell is Luong et al.'s; with
      `False`, it outputs `h_t` as in Bahdanau et al., and the attention
      vector only reaches the next step through input feeding.
    - Masked memory positions get exactly zero weight; a memory row that is
      all masked gives zero alignments and a zero context (never NaN).
    - Unlike Keras cells, the cell needs the memory at every step, and
      `get_initial_state` takes the memory, not a batch size: run it with
      `AttentionDecoder`, not `keras.layers.RNN`.

    Args:
        cell: The recurrent cell to wrap: it must have a flat `state_size`
            (an int or a list of ints) and `call(inputs, states)` returning
            `(output, new_states)`.
        attention: `"luong"`, `"bahdanau"` (either with default arguments),
            or a `LuongAttention` / `BahdanauAttention` instance.
            Default: `"luong"`.
        attention_units: Positive integer, the size of the attention vector
            `a_t`; `None` for the wrapped cell's output size.
            Default: `None`.
        attention_activation: `σ` above; `None` for `"tanh"`.
            Default: `None`.
        output_attention: Whether the output is `a_t` (Luong) or `h_t`
            (Bahdanau); `None` for `True`. Default: `None`.
        input_feeding: Whether to concatenate `a_{t-1}` to the input;
            `None` for `True`. Default: `None`. It may be `False` only
            with `output_attention=True`: otherwise the attention would
            reach neither the output nor the next step.
            These four configure `W_c`: with `wiring="show_attend_tell"`
            they must be left `None` (a `ValueError` otherwise).
        kernel_initializer: Initializer for `attention_kernel` (and for
            `gate_kernel`). Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for the same weights.
        kernel_constraint: Constraint for the same weights.
        wiring: `"default"` (the attention after the cell, with `W_c` and
            input feeding) or `"show_attend_tell"` (the attention from
            `h_{t-1}` before the cell, its context in the cell's input).
            Default: `"default"`.
        context_gate: Whether to scale the context by the gate `β_t`
            (`"show_attend_tell"` only). Default: `False`.
        output_context: Whether the output is `[h_t; z_t]` rather than
            `h_t` (`"show_attend_tell"` only). Default: `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: One time step, `(batch, features)`.
        states: The state list above.
        memory: `(batch, source_len, memory_dim)`.
        memory_mask: Optional boolean `(batch, source_len)`, False at
            padding positions of the memory.
        keys: Optional `project_memory(memory)`, precomputed once.
        training: Whether dropout (of the wrapped cell) applies.

    Example:

    >>> cell = AttentionDecoderCell(keras.layers.LSTMCell(8), "bahdanau")
    >>> memory = keras.random.normal((2, 5, 6))
    >>> states = cell.get_initial_state(memory)
    >>> output, states = cell(keras.random.normal((2, 3)), states,
    ...                       memory=memory)
    >>> tuple(output.shape), [tuple(s.shape) for s in states]
    ((2, 8), [(2, 8), (2, 8), (2, 5), (2, 8), (2, 8)])

    The Show-Attend-Tell wiring, with the gate and the context output:

    >>> cell = AttentionDecoderCell(
    ...     keras.layers.LSTMCell(8), "bahdanau", wiring="show_attend_tell",
    ...     context_gate=True, output_context=True)
    >>> states = cell.get_initial_state(memory)
    >>> output, states = cell(keras.random.normal((2, 3)), states,
    ...                       memory=memory)
    >>> tuple(output.shape), [tuple(s.shape) for s in states]
    ((2, 14), [(2, 14), (2, 6), (2, 5), (2, 8), (2, 8)])

    References:
        D. Bahdanau, K. Cho, Y. Bengio. "Neural Machine Translation by
        Jointly Learning to Align and Translate", ICLR 2015.
        https://arxiv.org/abs/1409.0473

        M.-T. Luong, H. Pham, C. D. Manning. "Effective Approaches to
        Attention-based Neural Machine Translation", EMNLP 2015 (input
        feeding: section 3.3). https://arxiv.org/abs/1508.04025

        K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov,
        R. Zemel, Y. Bengio. "Show, Attend and Tell: Neural Image Caption
        Generation with Visual Attention", ICML 2015 (the wiring: section
        3.1.2, eqs. 1-6; the gate β: section 4.2.1).
        https://arxiv.org/abs/1502.03044
    """

    def __init__(
        self,
        cell,
        attention="luong",
        attention_units=None,
        attention_activation=None,
        output_attention=None,
        input_feeding=None,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        wiring="default",
        context_gate=False,
        output_context=False,
        **kwargs,
    ):
        if "call" not in dir(cell):
            raise ValueError(
                "Received an invalid value for argument `cell`, expected a "
                f"recurrent cell with a `call` method, got {cell!r}."
            )
        if isinstance(cell, keras.layers.RNN):
            inner = type(getattr(cell, "cell", None)).__name__
            raise ValueError(
                "Received an invalid value for argument `cell`, expected a "
                "recurrent cell (one time step, e.g. keras.layers.LSTMCell "
                f"or keras_gated.LNLSTMCell), got the layer {cell!r}, which "
                "runs a whole sequence. Pass its cell instead "
                f"(`layer.cell`, a {inner}), or wrap a cell in "
                "keras_gated.AttentionDecoder for the sequence loop."
            )
        cell_state_size = _flat_state_size(cell)
        attention = _get_attention(attention, kwargs.get("dtype"))
        wiring = _check_wiring(wiring)
        context_gate = _checks.boolean("context_gate", context_gate)
        output_context = _checks.boolean("output_context", output_context)
        show_attend_tell = wiring == SHOW_ATTEND_TELL
        if show_attend_tell:
            _check_no_attention_layer(
                attention_units=attention_units,
                attention_activation=attention_activation,
                output_attention=output_attention,
                input_feeding=input_feeding,
            )
            output_attention = input_feeding = False
        else:
            for name, value in [
                ("context_gate", context_gate),
                ("output_context", output_context),
            ]:
                if value:
                    raise ValueError(
                        f"Received an invalid value for argument `{name}`: "
                        f"{name}=True needs wiring='{SHOW_ATTEND_TELL}' "
                        "(the default wiring has no context gate and "
                        "outputs the attention vector or h_t), got "
                        f"{name}={value!r} with wiring={wiring!r}."
                    )
            if attention_activation is None:
                attention_activation = "tanh"
            if output_attention is None:
                output_attention = True
            if input_feeding is None:
                input_feeding = True
        if attention_units is not None:
            attention_units = _checks.positive_int(
                "attention_units", attention_units
            )
        output_attention = _checks.boolean("output_attention", output_attention)
        input_feeding = _checks.boolean("input_feeding", input_feeding)
        if not (show_attend_tell or output_attention or input_feeding):
            raise ValueError(
                "Received output_attention=False with input_feeding=False: "
                "the attention would then reach neither the output nor the "
                "next step. Set either to True."
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.attention = attention
        self.cell_output_size = (
            getattr(cell, "output_size", None) or (cell_state_size[0])
        )
        self.wiring = wiring
        self.context_gate = context_gate
        self.output_context = output_context
        self.attention_units = (
            None
            if show_attend_tell
            else attention_units or self.cell_output_size
        )
        self.attention_activation = (
            None
            if show_attend_tell
            else keras.activations.get(attention_activation)
        )
        self.output_attention = output_attention
        self.input_feeding = input_feeding
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)

        self.cell_state_size = cell_state_size
        if show_attend_tell:
            # Sizes that involve the memory's are known once built.
            self.output_size = None if output_context else self.cell_output_size
        else:
            self.output_size = (
                self.attention_units
                if output_attention
                else self.cell_output_size
            )
        self.state_size = [
            self.output_size,
            self.attention_units,
            None,
            *cell_state_size,
        ]
        self._cell_takes_training = (
            "training" in inspect.signature(cell.call).parameters
        )
        # A step has no time axis to mask (the decoder masks steps), but
        # inputs may carry a Keras mask, e.g. from an `Embedding` of tokens.
        self.supports_masking = True

    def build(self, inputs_shape, memory_shape):
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != 2 or inputs_shape[-1] is None:
            raise ValueError(
                "AttentionDecoderCell expects one time step of shape "
                "`(batch_size, features)` with a known number of features, "
                "i.e. `AttentionDecoder` inputs of shape `(batch_size, "
                f"timesteps, features)`. Received: inputs_shape={inputs_shape}"
            )
        check_memory_shape(memory_shape)
        batch = inputs_shape[0]
        self.input_dim = inputs_shape[-1]
        self.memory_dim = memory_shape[-1]
        if self.wiring == SHOW_ATTEND_TELL:
            self._build_show_attend_tell(batch, memory_shape)
            return
        cell_input_dim = self.input_dim + (
            self.attention_units if self.input_feeding else 0
        )
        if not self.cell.built:
            self.cell.build((batch, cell_input_dim))
        if not self.attention.built:
            self.attention.build((batch, self.cell_output_size), memory_shape)
        self.attention_kernel = self.add_weight(
            shape=(
                self.cell_output_size + self.memory_dim,
                self.attention_units,
            ),
            name="attention_kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def _build_show_attend_tell(self, batch, memory_shape):
        # The query is h_{t-1}, the wrapped cell's first state; the cell
        # reads [x_t; z_t]. No attention layer W_c.
        query_dim = self.cell_state_size[0]
        if not self.cell.built:
            self.cell.build((batch, self.input_dim + self.memory_dim))
        if not self.attention.built:
            self.attention.build((batch, query_dim), memory_shape)
        if self.context_gate:
            self.gate_kernel = self.add_weight(
                shape=(query_dim, 1),
                name="gate_kernel",
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
            self.gate_bias = self.add_weight(
                shape=(1,), name="gate_bias", initializer="zeros"
            )
        self.output_size = self.cell_output_size + (
            self.memory_dim if self.output_context else 0
        )
        self.state_size = [
            self.output_size,
            self.memory_dim,
            None,
            *self.cell_state_size,
        ]

    def project_memory(self, memory):
        """Returns the attention keys of `memory`, to pass as `keys`.

        The cell must be built: call it once, or `build` it, first.
        """
        if not self.built:
            raise ValueError(
                "`project_memory` needs a built `AttentionDecoderCell` (its "
                "attention weights are created by `build`); call the cell "
                "once, or `cell.build(inputs_shape, memory_shape)`, first. "
                f"Received memory of shape {tuple(memory.shape)}."
            )
        check_memory_shape(memory.shape, self.memory_dim)
        return self.attention.project_keys(memory)

    def call(
        self,
        inputs,
        states,
        memory,
        memory_mask=None,
        keys=None,
        training=False,
    ):
        check_memory_shape(memory.shape, self.memory_dim)
        _checks.shape_of(
            "inputs",
            inputs,
            (None, self.input_dim),
            "one step of the decoder inputs, with as many features as the "
            "cell was built for",
        )
        _, attention_tm1, _, *cell_states = states
        if keys is None:
            keys = self.project_memory(memory)
        if self.wiring == SHOW_ATTEND_TELL:
            return self._show_attend_tell_step(
                inputs, cell_states, memory, memory_mask, keys, training
            )
        if self.input_feeding:
            inputs = ops.concatenate([inputs, attention_tm1], axis=-1)
        kwargs = {"training": training} if self._cell_takes_training else {}
        cell_output, cell_states = self.cell(inputs, cell_states, **kwargs)
        if not keras.tree.is_nested(cell_states):
            cell_states = [cell_states]
        context, alignments = self.attention(
            cell_output, memory, keys=keys, memory_mask=memory_mask
        )
        # A mechanism of another dtype policy than the cell's (e.g. float32
        # in a mixed_float16 cell) must not change the dtype of the state.
        context = ops.cast(context, self.compute_dtype)
        alignments = ops.cast(alignments, self.compute_dtype)
        attention = self.attention_activation(
            ops.matmul(
                ops.concatenate([cell_output, context], axis=-1),
                self.attention_kernel,
            )
        )
        output = attention if self.output_attention else cell_output
        return output, [output, attention, alignments, *cell_states]

    def _show_attend_tell_step(
        self, inputs, cell_states, memory, memory_mask, keys, training
    ):
        # The query is the wrapped cell's first state, h_{t-1}.
        query = cell_states[0]
        context, alignments = self.attention(
            query, memory, keys=keys, memory_mask=memory_mask
        )
        context = ops.cast(context, self.compute_dtype)
        alignments = ops.cast(alignments, self.compute_dtype)
        if self.context_gate:
            gate = ops.sigmoid(
                ops.matmul(query, self.gate_kernel) + self.gate_bias
            )
            context = gate * context  # One β per example: (batch, 1).
        kwargs = {"training": training} if self._cell_takes_training else {}
        cell_output, cell_states = self.cell(
            ops.concatenate([inputs, context], axis=-1), cell_states, **kwargs
        )
        if not keras.tree.is_nested(cell_states):
            cell_states = [cell_states]
        output = cell_output
        if self.output_context:
            output = ops.concatenate([cell_output, context], axis=-1)
        return output, [output, context, alignments, *cell_states]

    def compute_mask(self, inputs, mask=None):
        return None

    def get_initial_state(self, memory, cell_states=None):
        """Returns the initial state list for `memory`.

        Everything is zero except `cell_states`, when given: the wrapped
        cell's states, e.g. an encoder's final `[h, c]`. Without them the
        wrapped cell's own `get_initial_state` (or zeros) is used.
        """
        memory = ops.convert_to_tensor(memory)
        check_memory_shape(memory.shape)
        batch_size, source_len = ops.shape(memory)[0], ops.shape(memory)[1]
        dtype = self.compute_dtype
        if cell_states is None:
            initial = getattr(self.cell, "get_initial_state", None)
            if initial is not None:
                cell_states = initial(batch_size=batch_size)
            else:
                cell_states = [
                    ops.zeros((batch_size, size), dtype=dtype)
                    for size in self.cell_state_size
                ]
        if not keras.tree.is_nested(cell_states):
            cell_states = [cell_states]
        cell_states = [ops.cast(s, dtype) for s in cell_states]
        if len(cell_states) != len(self.cell_state_size):
            raise ValueError(
                f"The wrapped cell {self.cell.name!r} has "
                f"{len(self.cell_state_size)} states of sizes "
                f"{self.cell_state_size}, but received {len(cell_states)} "
                "cell states."
            )
        if self.wiring == SHOW_ATTEND_TELL:
            memory_dim = memory.shape[-1]
            second = memory_dim
            first = self.cell_output_size + (
                memory_dim if self.output_context else 0
            )
        else:
            first, second = self.output_size, self.attention_units
        return [
            ops.zeros((batch_size, first), dtype=dtype),
            ops.zeros((batch_size, second), dtype=dtype),
            ops.zeros((batch_size, source_len), dtype=dtype),
            *cell_states,
        ]

    def get_config(self):
        config = {
            "cell": keras.saving.serialize_keras_object(self.cell),
            "attention": keras.saving.serialize_keras_object(self.attention),
            "attention_units": self.attention_units,
            "attention_activation": (
                None
                if self.attention_activation is None
                else keras.activations.serialize(self.attention_activation)
            ),
            "output_attention": self.output_attention,
            "input_feeding": self.input_feeding,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
        }
        config["wiring"] = self.wiring
        config["context_gate"] = self.context_gate
        config["output_context"] = self.output_context
        if self.wiring == SHOW_ATTEND_TELL:
            # The arguments of the attention layer W_c do not apply.
            for name in (
                "attention_units",
                "attention_activation",
                "output_attention",
                "input_feeding",
            ):
                del config[name]
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in ("cell", "attention"):
            if isinstance(config[name], dict):
                config[name] = keras.saving.deserialize_keras_object(
                    config[name], custom_objects=custom_objects
                )
        return cls(**config)
