"""`Grid1LSTMCell`: contrib's 1-D Grid cell with TF1's `LSTMCell`."""

import keras

from keras_gated import _checks
from keras_gated.grid import _presets
from keras_gated.grid.grid_rnn_cell import GridRNNCell


@keras.saving.register_keras_serializable(package="keras_gated")
class Grid1LSTMCell(GridRNNCell):
    """A 1-D Grid RNN block whose inner cell is TF1's `LSTMCell`.

    TF 1.15 contrib's `tf.contrib.grid_rnn.Grid1LSTMCell`. It is a
    `GridRNNCell` (see its docstring for the general
    wiring, after Kalchbrenner et al. 2015), for `keras.layers.RNN`.

    One dimension, the input, output and priority one: `s` has zero
    features and `r = h0`, projected from the input at every step:
    `h0 = x P^m`, `c0 = x P^c` (no bias). The state passed in is
    overwritten by these projections whenever the input has features,
    so in `keras.layers.RNN` each step sees only its own input
    (contrib's semantics: a 1-D grid is a block along depth, with no
    time recurrence); an input of zero features keeps the state.

    The inner cell, with `s` its input and `r` its recurrent state
    (`σ` the sigmoid, `⊙` the element-wise product):

    [i, j, f, o] = split([s; r] W + b, 4)
    c' = σ(f + forget_bias) ⊙ c + σ(i) ⊙ tanh(j);   h' = σ(o) ⊙ tanh(c')
    (with `use_peepholes`: `f += w_f ⊙ c`, `i += w_i ⊙ c`, `o += w_o ⊙ c'`)

    State layout (the output first): `[h0, c0]`.

    Weights: `project_m_0`, `project_c_0` `(features, units)`; the inner cell
    in `cells` (one): `kernel` `(1 units, 4 units)`, columns `[i, j, f, o]`
    (TF1's order), rows `[s; r]`, and `bias` `(4 units,)`; with peepholes
    also `w_f_diag`, `w_i_diag`, `w_o_diag` `(units,)`.


    Args:
        units: Positive int, the size of every `h` and `c`.
        use_peepholes: Whether the inner LSTMs have peepholes.
        forget_bias: Added to the forget gate at run time (TF1's).
        **kwargs: `GridRNNCell`'s initializer, regularizer and constraint
            arguments of the projections and the non-recurrent kernel, and
            the base layer arguments (`name`, `dtype`, ...).

    References:
        - Kalchbrenner, Danihelka & Graves, "Grid Long Short-Term Memory",
          ICLR 2016, https://arxiv.org/abs/1507.01526.
        - TensorFlow 1.15, `tensorflow/contrib/grid_rnn/python/ops/
          grid_rnn_cell.py` and `tensorflow/python/ops/rnn_cell_impl.py`.
    """

    def __init__(self, units, use_peepholes=False, forget_bias=1.0, **kwargs):
        use_peepholes = _checks.boolean("use_peepholes", use_peepholes)
        super().__init__(
            units,
            **_presets.arguments(
                1,
                _presets.INNER_CELLS["lstm"](
                    units, use_peepholes=use_peepholes, forget_bias=forget_bias
                ),
            ),
            **kwargs,
        )
        self.use_peepholes = use_peepholes
        self.forget_bias = self.cells[0].forget_bias

    def get_config(self):
        return _presets.config(
            super().get_config(),
            self,
            with_non_recurrent=False,
            use_peepholes=self.use_peepholes,
            forget_bias=self.forget_bias,
        )
