"""What contrib's convenience Grid cells share (private).

Each convenience class is a `GridRNNCell` whose dimensions are fixed: the
input and the output in dimension 0, dimension 0 the priority one (so the
other dimensions are computed first, and dimension 0 sees their new `h`),
dimension 0 non-recurrent when a `non_recurrent_activation` is given, and
one of TF1's inner cells (`keras_gated/grid/_tf1_cells.py`). Their configs
hold their own arguments only.
"""

from keras_gated.grid import _tf1_cells

# The `GridRNNCell` arguments a convenience class fixes.
FIXED = (
    "num_dims",
    "input_dims",
    "output_dims",
    "priority_dims",
    "non_recurrent_dims",
    "cell",
)

INNER_CELLS = {
    "basic_rnn": _tf1_cells._TF1BasicRNNCell,
    "lstm": _tf1_cells._TF1LSTMCell,
    "gru": _tf1_cells._TF1GRUCell,
}


def arguments(num_dims, cell, tied=False, non_recurrent_activation=None):
    """The `GridRNNCell` arguments of a convenience class."""
    return {
        "num_dims": num_dims,
        "input_dims": 0,
        "output_dims": 0,
        "priority_dims": 0,
        "non_recurrent_dims": None if non_recurrent_activation is None else 0,
        "tied": tied,
        "cell": cell,
        "non_recurrent_activation": (
            "relu"
            if non_recurrent_activation is None
            else non_recurrent_activation
        ),
    }


def config(grid_config, cell, with_non_recurrent=True, **own):
    """A convenience class's config from `GridRNNCell.get_config()`."""
    grid_config = dict(grid_config)
    for key in FIXED:
        grid_config.pop(key)
    if with_non_recurrent:
        if not cell.non_recurrent_dims:
            grid_config["non_recurrent_activation"] = None
    else:
        grid_config.pop("non_recurrent_activation")
        grid_config.pop("tied")
    return {**grid_config, **own}
