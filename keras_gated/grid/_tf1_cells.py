"""TensorFlow 1.x's `BasicRNNCell`, `LSTMCell` and `GRUCell` (private).

The inner cells of contrib's convenience Grid cells (`Grid2LSTMCell` & co.)
are TF1's, not Keras': one kernel over `[inputs; h]` (TF1's layout, so a
TF1 checkpoint's `kernel` ports as it is), the LSTM forget bias added at
run time rather than through the bias initializer, and the GRU's gate bias
starting at 1.0. They are registered serializable because they are saved
inside the configs of the Grid cells, but they are not public: use
`keras.layers.LSTMCell` / `GRUCell` / `SimpleRNNCell` (or ours) as
`GridRNNCell(cell=...)` for anything else.

With `x` the inputs (possibly of size 0), `h`, `c` the state and `σ` the
sigmoid (TF 1.15's `rnn_cell_impl`):

    TF1BasicRNNCell  h' = tanh([x; h] W + b)
    TF1LSTMCell      [i, j, f, o] = split([x; h] W + b, 4)
                     c' = σ(f + forget_bias + w_f ⊙ c) ⊙ c
                          + σ(i + w_i ⊙ c) ⊙ tanh(j)
                     h' = σ(o + w_o ⊙ c') ⊙ tanh(c')
                     (the `w_*` peephole terms only with `use_peepholes`;
                     without them this is also TF1's `BasicLSTMCell`)
    TF1GRUCell       [r, u] = σ([x; h] W_g + b_g)      (b_g starts at 1.0)
                     h̃ = tanh([x; r ⊙ h] W_c + b_c)
                     h' = u ⊙ h + (1 − u) ⊙ h̃

This GRU is Keras' `GRUCell(reset_after=False)` with the gates in the order
`[r, u]` and the input and recurrent rows stacked in one kernel.

Weights (rows: the input features, then the units):

- `TF1BasicRNNCell`: `kernel` `(features + units, units)`, `bias` `(units,)`;
- `TF1LSTMCell`: `kernel` `(features + units, 4 units)`, columns `[i, j, f,
  o]` (TF1's order: input gate, candidate, forget gate, output gate),
  `bias` `(4 units,)`, and with peepholes `w_f_diag`, `w_i_diag`,
  `w_o_diag` `(units,)` (initialized like the kernel, as TF1 did);
- `TF1GRUCell`: `gates_kernel` `(features + units, 2 units)`, columns
  `[r, u]`, `gates_bias` `(2 units,)`, `candidate_kernel`
  `(features + units, units)`, `candidate_bias` `(units,)`.

States: `[h]`, or `[h, c]` for the LSTM (the output first, as every Keras
cell; TF1's `LSTMStateTuple` is `(c, h)`).

Reference: TensorFlow 1.15, `tensorflow/python/ops/rnn_cell_impl.py`.
"""

import keras
from keras import ops

from keras_gated import _checks


class _TF1Cell(keras.layers.Layer):
    """What the three TF1 cells share: arguments, build checks, state."""

    n_states = 1

    def __init__(
        self,
        units,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = [self.units] * self.n_states
        self.output_size = self.units

    def _rows(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects one step of shape "
                "`(batch_size, features)` with a known number of features. "
                f"Received: input_shape={input_shape}"
            )
        return input_shape[-1] + self.units

    def _rows_of(self, inputs, h):
        """`[x; h]`, or `h` alone for inputs of zero features (a 1-D grid's
        inner cell): no zero-size tensor, which LiteRT's XNNPack rejects."""
        if inputs.shape[-1] == 0:
            return h
        return ops.concatenate([inputs, h], -1)

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
        }


@keras.saving.register_keras_serializable(package="keras_gated")
class _TF1BasicRNNCell(_TF1Cell):
    """TF1's `BasicRNNCell`: `h' = tanh([x; h] W + b)` (module docstring)."""

    def build(self, input_shape):
        rows = self._rows(input_shape)
        self.kernel = self.add_weight(
            shape=(rows, self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,), initializer=self.bias_initializer, name="bias"
        )

    def call(self, inputs, states, training=False):
        h = states[0]
        h = ops.tanh(
            ops.matmul(self._rows_of(inputs, h), self.kernel) + self.bias
        )
        return h, [h]


@keras.saving.register_keras_serializable(package="keras_gated")
class _TF1LSTMCell(_TF1Cell):
    """TF1's `LSTMCell` (and `BasicLSTMCell`): see the module docstring."""

    n_states = 2

    def __init__(self, units, forget_bias=1.0, use_peepholes=False, **kwargs):
        super().__init__(units, **kwargs)
        if isinstance(forget_bias, bool) or not isinstance(
            forget_bias, (int, float)
        ):
            raise ValueError(
                "Received an invalid value for argument `forget_bias`, "
                f"expected a number, got {forget_bias!r}."
            )
        self.forget_bias = float(forget_bias)
        self.use_peepholes = _checks.boolean("use_peepholes", use_peepholes)

    def build(self, input_shape):
        rows = self._rows(input_shape)
        self.kernel = self.add_weight(
            shape=(rows, 4 * self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(4 * self.units,),
            initializer=self.bias_initializer,
            name="bias",
        )
        if self.use_peepholes:
            self.w_f_diag, self.w_i_diag, self.w_o_diag = (
                self.add_weight(
                    shape=(self.units,),
                    initializer=self.kernel_initializer,
                    name=name,
                )
                for name in ("w_f_diag", "w_i_diag", "w_o_diag")
            )

    def call(self, inputs, states, training=False):
        h, c = states
        z = ops.matmul(self._rows_of(inputs, h), self.kernel)
        i, j, f, o = ops.split(z + self.bias, 4, axis=-1)
        f = f + self.forget_bias
        if self.use_peepholes:
            f = f + self.w_f_diag * c
            i = i + self.w_i_diag * c
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(j)
        if self.use_peepholes:
            o = o + self.w_o_diag * c
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "forget_bias": self.forget_bias,
            "use_peepholes": self.use_peepholes,
        }


@keras.saving.register_keras_serializable(package="keras_gated")
class _TF1GRUCell(_TF1Cell):
    """TF1's `GRUCell`: see the module docstring."""

    def __init__(
        self,
        units,
        gates_bias_initializer=None,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.gates_bias_initializer = keras.initializers.get(
            gates_bias_initializer
            if gates_bias_initializer is not None
            else keras.initializers.Constant(1.0)
        )

    def build(self, input_shape):
        rows = self._rows(input_shape)
        self.gates_kernel = self.add_weight(
            shape=(rows, 2 * self.units),
            initializer=self.kernel_initializer,
            name="gates_kernel",
        )
        self.gates_bias = self.add_weight(
            shape=(2 * self.units,),
            initializer=self.gates_bias_initializer,
            name="gates_bias",
        )
        self.candidate_kernel = self.add_weight(
            shape=(rows, self.units),
            initializer=self.kernel_initializer,
            name="candidate_kernel",
        )
        self.candidate_bias = self.add_weight(
            shape=(self.units,),
            initializer=self.bias_initializer,
            name="candidate_bias",
        )

    def call(self, inputs, states, training=False):
        h = states[0]
        gates = ops.sigmoid(
            ops.matmul(self._rows_of(inputs, h), self.gates_kernel)
            + self.gates_bias
        )
        r, u = ops.split(gates, 2, axis=-1)
        candidate = ops.tanh(
            ops.matmul(self._rows_of(inputs, r * h), self.candidate_kernel)
            + self.candidate_bias
        )
        h = u * h + (1.0 - u) * candidate
        return h, [h]

    def get_config(self):
        return {
            **super().get_config(),
            "gates_bias_initializer": keras.initializers.serialize(
                self.gates_bias_initializer
            ),
        }
