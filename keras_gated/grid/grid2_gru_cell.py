"""`Grid2GRUCell`: contrib's 2-D Grid cell with TF1's `GRUCell`."""

import keras

from keras_gated.grid import _presets
from keras_gated.grid.grid_rnn_cell import GridRNNCell


@keras.saving.register_keras_serializable(package="keras_gated")
class Grid2GRUCell(GridRNNCell):
    """A 2-D Grid RNN block whose inner cell is TF1's `GRUCell`.

    TF 1.15 contrib's `tf.contrib.grid_rnn.Grid2GRUCell`. It is a
    `GridRNNCell` (see its docstring for the general
    wiring, after Kalchbrenner et al. 2015), for `keras.layers.RNN`.

    2 dimensions; the input and the output in dimension 0, which is
    the priority one. Dimension 0 takes `h0 = x P^m`
    (no bias; the `h0` passed in are overwritten). Then, first the
    dimension 1 from the old `h`, then dimension 0 from their new `h`,
    each with the inner cell on the input `s = [h0]` and the recurrent
    state `r = h1` and its own memory. The output is the new `h0`; `h1`
    (and the others) carry over time. With a `non_recurrent_activation`,
    dimension 0 has no memory: `h0' = act([s; r] W + b)`.

    The inner cell, with `s` its input and `r` its recurrent state
    (`σ` the sigmoid, `⊙` the element-wise product):

    [r_g, u] = σ([s; r] W_g + b_g);   h̃ = tanh([s; r_g ⊙ r] W_c + b_c)
    h' = u ⊙ r + (1 − u) ⊙ h̃                (b_g starts at 1.0)

    State layout (the output first): `[h0, h1]`, or `[output, h1]` with a
    `non_recurrent_activation`.

    Weights: `project_m_0` `(features, units)`; the inner cells
    in `cells` (one per recurrent dimension in increasing order, one if
    `tied`): `gates_kernel` `(2 units, 2 units)`, columns
    `[r, u]`, `gates_bias` (starts at 1.0), `candidate_kernel`
    `(2 units, units)` and `candidate_bias`;
    `non_recurrent_kernel_0` `(2 units, units)` and `non_recurrent_bias_0`
    with a
    `non_recurrent_activation` (without the `_0` if `tied`).

    Args:
        units: Positive int, the size of every `h`.
        tied: Whether the dimensions share one inner cell.
        non_recurrent_activation: None (dimension 0 recurrent), or the
            activation of dimension 0 made non-recurrent (contrib's
            `non_recurrent_fn`).
        **kwargs: `GridRNNCell`'s initializer, regularizer and constraint
            arguments of the projections and the non-recurrent kernel, and
            the base layer arguments (`name`, `dtype`, ...).

    References:
        - Kalchbrenner, Danihelka & Graves, "Grid Long Short-Term Memory",
          ICLR 2016, https://arxiv.org/abs/1507.01526.
        - TensorFlow 1.15, `tensorflow/contrib/grid_rnn/python/ops/
          grid_rnn_cell.py` and `tensorflow/python/ops/rnn_cell_impl.py`.
    """

    def __init__(
        self, units, tied=False, non_recurrent_activation=None, **kwargs
    ):

        super().__init__(
            units,
            **_presets.arguments(
                2,
                _presets.INNER_CELLS["gru"](units),
                tied=tied,
                non_recurrent_activation=non_recurrent_activation,
            ),
            **kwargs,
        )

    def get_config(self):
        return _presets.config(
            super().get_config(),
            self,
            with_non_recurrent=True,
        )
