"""`Grid1GRUCell`: contrib's 1-D Grid cell with TF1's `GRUCell`."""

import keras

from keras_gated.grid import _presets
from keras_gated.grid.grid_rnn_cell import GridRNNCell


@keras.saving.register_keras_serializable(package="keras_gated")
class Grid1GRUCell(GridRNNCell):
    """A 1-D Grid RNN block whose inner cell is TF1's `GRUCell`.

    Not in contrib 1.15 (which has `Grid2GRUCell` only): the 1-D
    analogue of its other `Grid1*` classes, made the same way. It is a
    `GridRNNCell` (see its docstring for the general
    wiring, after Kalchbrenner et al. 2015), for `keras.layers.RNN`.

    One dimension, the input, output and priority one: `s` has zero
    features and `r = h0`, projected from the input at every step:
    `h0 = x P^m` (no bias). The state passed in is
    overwritten by these projections whenever the input has features,
    so in `keras.layers.RNN` each step sees only its own input
    (contrib's semantics: a 1-D grid is a block along depth, with no
    time recurrence); an input of zero features keeps the state.

    The inner cell, with `s` its input and `r` its recurrent state
    (`σ` the sigmoid, `⊙` the element-wise product):

    [r_g, u] = σ([s; r] W_g + b_g);   h̃ = tanh([s; r_g ⊙ r] W_c + b_c)
    h' = u ⊙ r + (1 − u) ⊙ h̃                (b_g starts at 1.0)

    State layout (the output first): `[h0]`.

    Weights: `project_m_0` `(features, units)`; the inner cell
    in `cells` (one): `gates_kernel` `(1 units, 2 units)`, columns
    `[r, u]`, `gates_bias` (starts at 1.0), `candidate_kernel`
    `(1 units, units)` and `candidate_bias`.


    Args:
        units: Positive int, the size of every `h`.
        **kwargs: `GridRNNCell`'s initializer, regularizer and constraint
            arguments of the projections and the non-recurrent kernel, and
            the base layer arguments (`name`, `dtype`, ...).

    References:
        - Kalchbrenner, Danihelka & Graves, "Grid Long Short-Term Memory",
          ICLR 2016, https://arxiv.org/abs/1507.01526.
        - TensorFlow 1.15, `tensorflow/contrib/grid_rnn/python/ops/
          grid_rnn_cell.py` and `tensorflow/python/ops/rnn_cell_impl.py`.
    """

    def __init__(self, units, **kwargs):

        super().__init__(
            units,
            **_presets.arguments(1, _presets.INNER_CELLS["gru"](units)),
            **kwargs,
        )

    def get_config(self):
        return _presets.config(
            super().get_config(),
            self,
            with_non_recurrent=False,
        )
