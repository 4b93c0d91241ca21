"""`GridRNNCell`: an N-dimensional grid of recurrent cells (contrib's)."""

import copy
import numbers

import keras
from keras import ops

from keras_gated import _checks
from keras_gated.grid._tf1_cells import _TF1LSTMCell

# The constructor arguments that name dimensions.
_DIM_ARGUMENTS = (
    "input_dims",
    "output_dims",
    "priority_dims",
    "non_recurrent_dims",
)


def _dim_list(name, value, num_dims):
    """contrib's `check_dim_list`: `None`, an int or a list, sorted, unique."""
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if (
            isinstance(item, bool)
            or not isinstance(item, numbers.Integral)
            or not 0 <= item < num_dims
        ):
            raise ValueError(
                f"Received an invalid value for argument `{name}`, expected "
                f"None, or a dimension or a list of dimensions in [0, "
                f"{num_dims}) (`num_dims={num_dims}`), got {value!r}."
            )
    return sorted({int(item) for item in items})


@keras.saving.register_keras_serializable(package="keras_gated")
class GridRNNCell(keras.layers.Layer):
    """A block of a Grid RNN: one recurrent cell per dimension of a grid.

    A Grid LSTM (Kalchbrenner et al. 2015) arranges its blocks in an
    N-dimensional grid; each block has a hidden vector `h_d` (and, for an
    LSTM, a memory `c_d`) along every dimension `d`, and every dimension is
    joined by its own cell, depth included. This class is TensorFlow 1.15
    contrib's `tf.contrib.grid_rnn.GridRNNCell`, wired exactly like it, as
    a cell for `keras.layers.RNN`: the time axis of the RNN is one
    recurrent dimension, the others (e.g. depth) are unrolled inside the
    block.

    With `u = units`, `N = num_dims`, the old state `(h_d, c_d)` of every
    recurrent dimension and the inputs `x` (split into equal parts `x_k`,
    one per input dimension), one step computes:

    1. **Input dimensions** take their `h` and `c` from projections of the
       input, without bias (contrib's `project_m_d`, `project_c_d`):
       `h_d = x_k P^m_d`, `c_d = x_k P^c_d` (`c` only if the cell has one).
       The state passed in for an input dimension is overwritten: only its
       new value, written back, is the dimension's state. An input of zero
       features projects nothing (contrib's "no input"), and the states
       passed in are used as they are.
    2. **Non-priority dimensions**, then **priority dimensions** (section
       3.2 of the paper): each group computes, once, from the newest `h`
       of every dimension (the new one where already computed, else the
       old or projected one)

           s = [h_0; h_1; ...; h_{N-2}]   (zero features when N = 1)
           r = h_{N-1}

       and for every dimension `d` of the group:

       - a recurrent dimension runs its inner cell with `s` as the
         *input* and `r` as the *recurrent* state, with its own `c_d`:
         `h_d', (h_d', c_d') = cell_d(s, [r, c_d])`;
       - a non-recurrent dimension (section 3.3) has no memory:
         `h_d' = non_recurrent_activation([s; r] W_d + b_d)` (`r` alone
         when N = 1).

       So the priority dimensions see the new `h` of the non-priority
       ones, and within a group every dimension sees the same old `h`.
    3. **The output** is the new `h` of the output dimensions,
       concatenated (section 3.4): `y = [h'_{o_1}; h'_{o_2}; ...]`.

    For a plain LSTM inner cell, the input/recurrent split does not matter
    (one product over `[s; r]`). For a cell that treats them differently
    it does: with `kg.LNLSTMCell`, `LN(s W)` normalizes the `h` of
    dimensions `0 … N−2` together and `LN(r U)` the `h` of dimension
    `N−1`; with Keras' `GRUCell`, the reset gate applies to `r` only. This
    is contrib's split, kept.

    `tied=True` shares one inner cell (and one non-recurrent `W`, `b`)
    across the dimensions, as contrib does; otherwise each recurrent
    dimension has its own inner cell and each non-recurrent one its own
    `W_d`, `b_d`.

    **State layout.** Keras' loops repeat `states[0]` as the output of a
    masked step, so the output comes first. Every recurrent dimension `d`
    contributes `h_d` (and `c_d` if the inner cell has a memory), in
    increasing `d`. If the output is exactly one recurrent dimension
    `o`, that dimension's states come first: `[h_o, c_o, h_a, c_a, ...]`
    (e.g. `Grid2LSTMCell`: `[h0, c0, h1, c1]`). Otherwise (several output
    dimensions, or a non-recurrent one) the output gets its own leading
    state, `[output, h_a, c_a, ...]`, written by every step and read by
    none. `state_names` names them, e.g. `("h0", "c0", "h1", "c1")`.
    contrib's state was a tuple of `(c, h)` pairs per recurrent dimension.

    **Weights.** `project_m_{d}` of shape `(features / len(input_dims),
    units)` per input dimension, and `project_c_{d}` of the same shape if
    the dimension is recurrent and the inner cell has a memory (contrib
    also made one for a non-recurrent input dimension, which nothing
    read);
    `non_recurrent_kernel` `(N units, units)` and `non_recurrent_bias`
    `(units,)` when tied, else `non_recurrent_kernel_{d}` and
    `non_recurrent_bias_{d}` per non-recurrent dimension; the inner cells
    in `cells` (one if tied, else one per recurrent dimension, in
    increasing `d`), each built for inputs of `(N − 1) units` features and
    with its own weight layout.

    Args:
        units: Positive int, the size of every `h` and `c`.
        num_dims: Positive int, the number of dimensions of the grid.
        input_dims: None, an int or a list of ints: the dimensions that
            receive the input (which is split equally among them).
        output_dims: An int or a list of ints (at least one): the
            dimensions whose new `h` make the output.
        priority_dims: None, an int or a list of ints: the dimensions
            computed after the others, from their new `h`.
        non_recurrent_dims: None, an int or a list of ints: the dimensions
            without memory, `non_recurrent_activation([s; r] W + b)`.
        tied: Whether the dimensions share one inner cell (and one
            non-recurrent `W`, `b`).
        cell: The inner cell of the recurrent dimensions: a Keras RNN cell
            instance (cloned through its config, one copy per dimension;
            its weights are not copied), or its config (as
            `keras.saving.serialize_keras_object` writes it). It must have
            `units` outputs and the state `[h]` or `[h, c]` of `units`
            each: Keras' `LSTMCell`, `GRUCell`, `SimpleRNNCell`, or
            `kg.LNLSTMCell`, `kg.LNGRUCell`, `kg.PeepholeLSTMCell`, ...
            Its dropout must be 0 (its masks would not be reset between
            sequences). The copies take this cell's dtype policy. Default
            (None): TF1's `LSTMCell` (no peepholes, `forget_bias=1.0`), as
            contrib.
        non_recurrent_activation: The activation of the non-recurrent
            dimensions (default `"relu"`, contrib's `tf.nn.relu`).
        projection_initializer, projection_regularizer,
            projection_constraint: For `project_m_*`, `project_c_*`
            (default Glorot uniform, as TF1's `get_variable`).
        non_recurrent_initializer, non_recurrent_regularizer,
            non_recurrent_constraint: For the non-recurrent kernels
            (default Glorot uniform, contrib's Xavier).
        non_recurrent_bias_initializer: For the non-recurrent biases
            (default zeros).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Differences from contrib: the output is one tensor, not a tuple (the
    concatenation, as contrib's `output_is_tuple=False`); the state is a
    flat list (above); a cell without output dimensions, or with a
    dimension that is neither recurrent nor an input (contrib then fails
    on a `None`), is refused with a `ValueError`.

    References:
        - Kalchbrenner, Danihelka & Graves, "Grid Long Short-Term Memory",
          ICLR 2016, https://arxiv.org/abs/1507.01526.
        - TensorFlow 1.15, `tensorflow/contrib/grid_rnn/python/ops/
          grid_rnn_cell.py`.
    """

    def __init__(
        self,
        units,
        num_dims=1,
        input_dims=None,
        output_dims=None,
        priority_dims=None,
        non_recurrent_dims=None,
        tied=False,
        cell=None,
        non_recurrent_activation="relu",
        projection_initializer="glorot_uniform",
        projection_regularizer=None,
        projection_constraint=None,
        non_recurrent_initializer="glorot_uniform",
        non_recurrent_regularizer=None,
        non_recurrent_constraint=None,
        non_recurrent_bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        self.num_dims = _checks.positive_int("num_dims", num_dims)
        dims = {
            name: _dim_list(name, value, self.num_dims)
            for name, value in zip(
                _DIM_ARGUMENTS,
                (input_dims, output_dims, priority_dims, non_recurrent_dims),
            )
        }
        self.input_dims = dims["input_dims"]
        self.output_dims = dims["output_dims"]
        self.priority_dims = dims["priority_dims"]
        self.non_recurrent_dims = dims["non_recurrent_dims"]
        if not self.output_dims:
            raise ValueError(
                "Received an invalid value for argument `output_dims`, "
                "expected at least one dimension (a Keras RNN cell has an "
                f"output), got {output_dims!r}."
            )
        self.tied = _checks.boolean("tied", tied)
        self.recurrent_dims = [
            d for d in range(self.num_dims) if d not in self.non_recurrent_dims
        ]
        self.non_priority_dims = [
            d for d in range(self.num_dims) if d not in self.priority_dims
        ]
        for d in range(self.num_dims):
            if d not in self.recurrent_dims and d not in self.input_dims:
                raise ValueError(
                    "Received an invalid value for argument "
                    f"`non_recurrent_dims`, got {non_recurrent_dims!r}: "
                    f"dimension {d} is neither recurrent nor an input "
                    "dimension, so no `h` exists for it before it is "
                    f"computed (input_dims={self.input_dims})."
                )
        self.non_recurrent_activation = keras.activations.get(
            non_recurrent_activation
        )
        self.projection_initializer = keras.initializers.get(
            projection_initializer
        )
        self.projection_regularizer = keras.regularizers.get(
            projection_regularizer
        )
        self.projection_constraint = keras.constraints.get(
            projection_constraint
        )
        self.non_recurrent_initializer = keras.initializers.get(
            non_recurrent_initializer
        )
        self.non_recurrent_regularizer = keras.regularizers.get(
            non_recurrent_regularizer
        )
        self.non_recurrent_constraint = keras.constraints.get(
            non_recurrent_constraint
        )
        self.non_recurrent_bias_initializer = keras.initializers.get(
            non_recurrent_bias_initializer
        )

        self._cell_config = self._serialized_cell(cell)
        self.cells = []
        self._cell_of = {}
        if self.recurrent_dims:
            names = ["cell"] if self.tied else self.recurrent_dims
            for name in names:
                self.cells.append(self._make_cell(name))
            for k, d in enumerate(self.recurrent_dims):
                self._cell_of[str(d)] = self.cells[0 if self.tied else k]
        self.has_memory = self._check_cell(
            self.cells[0] if self.cells else None
        )

        # Keyed by `str(d)`: TensorFlow's checkpoints track dicts of
        # layers and variables, with string keys only.
        # The state layout (see the docstring).
        own_output = not (
            len(self.output_dims) == 1
            and self.output_dims[0] in self.recurrent_dims
        )
        self.state_dims = list(self.recurrent_dims)
        if not own_output:
            self.state_dims.remove(self.output_dims[0])
            self.state_dims.insert(0, self.output_dims[0])
        self.has_output_state = own_output
        names, sizes = [], []
        if own_output:
            names.append("output")
            sizes.append(self.units * len(self.output_dims))
        for d in self.state_dims:
            names.append(f"h{d}")
            if self.has_memory:
                names.append(f"c{d}")
        self.state_names = tuple(names)
        self.state_size = sizes + [self.units] * (len(names) - len(sizes))
        self.output_size = self.units * len(self.output_dims)

    # --- The inner cells ---------------------------------------------------

    def _serialized_cell(self, cell):
        if cell is None:
            cell = _TF1LSTMCell(self.units)
        if isinstance(cell, keras.layers.Layer):
            return keras.saving.serialize_keras_object(cell)
        if isinstance(cell, dict) and "class_name" in cell:
            return copy.deepcopy(cell)
        raise ValueError(
            "Received an invalid value for argument `cell`, expected None, "
            "a Keras RNN cell or its config (as "
            f"`keras.saving.serialize_keras_object` writes it), got {cell!r}."
        )

    def _make_cell(self, name):
        config = copy.deepcopy(self._cell_config)
        inner = config.setdefault("config", {})
        inner["name"] = name if isinstance(name, str) else f"cell_{name}"
        inner["dtype"] = keras.dtype_policies.serialize(self.dtype_policy)
        try:
            return keras.saving.deserialize_keras_object(config)
        except (TypeError, ValueError) as error:
            raise ValueError(
                "Received an invalid value for argument `cell`: it could "
                f"not be made from its config ({error}); got "
                f"{self._cell_config!r}."
            ) from error

    def _check_cell(self, cell):
        """Whether the inner cell has a memory `c`; raises if unusable."""
        if cell is None:  # No recurrent dimension, so no memory.
            return False
        sizes = cell.state_size
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
        output = getattr(cell, "output_size", sizes[0])
        if sizes not in ([self.units], [self.units, self.units]) or (
            output != self.units
        ):
            raise ValueError(
                "Received an invalid value for argument `cell`, expected a "
                f"cell of {self.units} outputs (`units`) with the state "
                f"[h] or [h, c] of {self.units} each; got "
                f"{type(cell).__name__} with output_size={output!r}, "
                f"state_size={cell.state_size!r}."
            )
        for rate in ("dropout", "recurrent_dropout"):
            if getattr(cell, rate, 0) not in (0, 0.0, None):
                raise ValueError(
                    "Received an invalid value for argument `cell`, "
                    f"expected `{rate}=0` (keras.layers.RNN does not reset "
                    "an inner cell's dropout masks), got "
                    f"{rate}={getattr(cell, rate)!r}."
                )
        return len(sizes) == 2

    # --- Keras -------------------------------------------------------------

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects one time step of shape "
                "`(batch_size, features)` with a known number of features, "
                "i.e. `keras.layers.RNN` inputs of shape `(batch_size, "
                f"timesteps, features)`. Received: a step of shape "
                f"input_shape={input_shape}"
            )
        features = input_shape[-1]
        n_inputs = len(self.input_dims)
        if n_inputs and features % n_inputs:
            raise ValueError(
                f"Received inputs of {features} features, which the "
                f"{n_inputs} input dimensions (`input_dims`="
                f"{self.input_dims}) cannot share equally; expected a "
                f"multiple of {n_inputs}."
            )
        self.input_dim = features
        self.input_spec = keras.layers.InputSpec(
            min_ndim=2, axes={-1: features}
        )
        per_dim = features // n_inputs if n_inputs else 0
        self.projections = {}
        for d in self.input_dims:
            # contrib also made a `project_c` for a non-recurrent input
            # dimension, which nothing reads; we do not.
            memory = self.has_memory and d in self.recurrent_dims
            kinds = ("m", "c") if memory else ("m",)
            self.projections[str(d)] = [
                self.add_weight(
                    shape=(per_dim, self.units),
                    initializer=self.projection_initializer,
                    regularizer=self.projection_regularizer,
                    constraint=self.projection_constraint,
                    name=f"project_{kind}_{d}",
                )
                for kind in kinds
            ]
        self.non_recurrent = {}
        for k, d in enumerate(self.non_recurrent_dims):
            if self.tied and k:
                self.non_recurrent[str(d)] = self.non_recurrent[
                    str(self.non_recurrent_dims[0])
                ]
                continue
            suffix = "" if self.tied else f"_{d}"
            self.non_recurrent[str(d)] = (
                self.add_weight(
                    shape=(self.num_dims * self.units, self.units),
                    initializer=self.non_recurrent_initializer,
                    regularizer=self.non_recurrent_regularizer,
                    constraint=self.non_recurrent_constraint,
                    name=f"non_recurrent_kernel{suffix}",
                ),
                self.add_weight(
                    shape=(self.units,),
                    initializer=self.non_recurrent_bias_initializer,
                    name=f"non_recurrent_bias{suffix}",
                ),
            )
        cell_inputs = (self.num_dims - 1) * self.units
        for cell in self.cells:
            if not cell.built:
                cell.build((None, cell_inputs))

    @property
    def state_layout(self):
        """The state names as a list for messages, e.g. `"[h0, c0]"`."""
        return "[" + ", ".join(self.state_names) + "]"

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]

    def call(self, inputs, states, training=False):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        _checks.states("states", states, self.state_size, self.state_layout)
        _checks.same_batch(
            "states", states, inputs.shape[0], "the batch of the inputs"
        )
        n = self.num_dims
        h, c = [None] * n, [None] * n
        position = 1 if self.has_output_state else 0
        for d in self.state_dims:
            h[d] = states[position]
            position += 1
            if self.has_memory:
                c[d] = states[position]
                position += 1

        # 1. The input dimensions: projections of the input, no bias.
        if self.input_dims and inputs.shape[-1] != 0:
            parts = ops.split(inputs, len(self.input_dims), axis=-1)
            for part, d in zip(parts, self.input_dims):
                weights = self.projections[str(d)]
                h[d] = ops.matmul(part, weights[0])
                if len(weights) == 2:
                    c[d] = ops.matmul(part, weights[1])

        # 2. Non-priority dimensions from the old h, then priority ones.
        new_h, new_c = [None] * n, [None] * n
        for group in (self.non_priority_dims, self.priority_dims):
            self._propagate(group, h, c, new_h, new_c, training)

        # 3. The output and the states, in the layout of the docstring.
        outputs = [new_h[d] for d in self.output_dims]
        output = (
            outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, -1)
        )
        new_states = [output] if self.has_output_state else []
        for d in self.state_dims:
            new_states.append(new_h[d])
            if self.has_memory:
                new_states.append(new_c[d])
        return output, new_states

    def _propagate(self, group, h, c, new_h, new_c, training):
        if not group:
            return
        n = self.num_dims

        def newest(d):
            return new_h[d] if new_h[d] is not None else h[d]

        last = newest(n - 1)
        if n > 1:
            below = [newest(d) for d in range(n - 1)]
            cell_inputs = below[0] if n == 2 else ops.concatenate(below, -1)
        else:
            cell_inputs = last[:, :0]  # zero features
        for d in group:
            if d in self.non_recurrent_dims:
                kernel, bias = self.non_recurrent[str(d)]
                args = (
                    last if n == 1 else ops.concatenate([cell_inputs, last], -1)
                )
                new_h[d] = self.non_recurrent_activation(
                    ops.matmul(args, kernel) + bias
                )
            else:
                state = [last, c[d]] if self.has_memory else [last]
                output, cell_states = self._cell_of[str(d)](
                    cell_inputs, state, training=training
                )
                new_h[d] = output
                if self.has_memory:
                    new_c[d] = cell_states[1]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_dims": self.num_dims,
            "input_dims": self.input_dims,
            "output_dims": self.output_dims,
            "priority_dims": self.priority_dims,
            "non_recurrent_dims": self.non_recurrent_dims,
            "tied": self.tied,
            "cell": copy.deepcopy(self._cell_config),
            "non_recurrent_activation": keras.activations.serialize(
                self.non_recurrent_activation
            ),
            "projection_initializer": keras.initializers.serialize(
                self.projection_initializer
            ),
            "projection_regularizer": keras.regularizers.serialize(
                self.projection_regularizer
            ),
            "projection_constraint": keras.constraints.serialize(
                self.projection_constraint
            ),
            "non_recurrent_initializer": keras.initializers.serialize(
                self.non_recurrent_initializer
            ),
            "non_recurrent_regularizer": keras.regularizers.serialize(
                self.non_recurrent_regularizer
            ),
            "non_recurrent_constraint": keras.constraints.serialize(
                self.non_recurrent_constraint
            ),
            "non_recurrent_bias_initializer": keras.initializers.serialize(
                self.non_recurrent_bias_initializer
            ),
        }
