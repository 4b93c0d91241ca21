import keras
from keras import ops

from keras_gated import _checks


@keras.saving.register_keras_serializable(package="keras_gated")
class SeparableLSTM2D(keras.layers.Layer):
    """A bidirectional LSTM along the rows, then one along the columns.

    TensorFlow 1.x contrib's `ndlstm.separable_lstm`, the cheap
    alternative to a 2-D LSTM: each pixel sees its whole row after the
    first pass, and the whole image after the second, but through two
    1-D recurrences rather than a 2-D one. With `u = units`,
    `a = u // 2` and `b = u − a`:

    ```
    r = [LSTM_a→(row), LSTM_b←(row)]             # each row, (batch, H, W, u)
    y = [LSTM_a↓(column of r), LSTM_b↑(column of r)]   # (batch, H, W, u)
    ```

    where `→`/`←` run along `x` from the left/right, `↓`/`↑` along `y`
    from the top/bottom, and each `LSTM` is a `keras.layers.LSTM`
    (Keras' equations and weight layout: `kernel`, `recurrent_kernel`,
    `bias`, gate order `[i, f, c, o]`, forget bias 1) starting from zero
    states. The row pass has `hidden_units` outputs (default `u`), split
    the same way, as contrib's `nhidden`.

    Weights: the four LSTMs `row_forward` (`a` units), `row_backward`
    (`b`), `column_forward`, `column_backward`.

    **Sizes.** With `mask` `(batch, H, W)` or `sizes` `(batch, 2)` (real
    pixels top-left aligned), each 1-D pass skips the padding and a
    masked pixel outputs zeros, so a padded image gives the numbers of
    the cropped one.

    Args:
        units: Integer of at least 2, the output channels.
        hidden_units: Integer of at least 2, the channels of the row pass.
            Default: `units`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: `(batch, H, W, d)`.
        mask: Optional boolean `(batch, H, W)`.
        sizes: Optional integer `(batch, 2)`.

    Example:

    >>> images = keras.random.normal((2, 5, 7, 3))
    >>> tuple(SeparableLSTM2D(4)(images).shape)
    (2, 5, 7, 4)

    Reference:
        TensorFlow 1.x, `tensorflow/contrib/ndlstm/python/lstm2d.py`,
        `separable_lstm` and `horizontal_lstm` (T. Breuel).
    """

    def __init__(self, units, hidden_units=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        if hidden_units is None:
            hidden_units = self.units
        self.hidden_units = _checks.positive_int("hidden_units", hidden_units)
        for name, value in (("units", units), ("hidden_units", hidden_units)):
            if value < 2:
                raise ValueError(
                    f"Received an invalid value for argument `{name}`, "
                    "expected an integer of at least 2 (half of the "
                    f"channels for each direction), got {value}."
                )

        def lstm(size, name, backwards):
            return keras.layers.LSTM(
                size,
                return_sequences=True,
                go_backwards=backwards,
                name=name,
                dtype=self.dtype_policy,
            )

        hidden, units = self.hidden_units, self.units
        self.row_forward = lstm(hidden // 2, "row_forward", False)
        self.row_backward = lstm(hidden - hidden // 2, "row_backward", True)
        self.column_forward = lstm(units // 2, "column_forward", False)
        self.column_backward = lstm(units - units // 2, "column_backward", True)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "Received an invalid value for argument `inputs`, expected "
                "images of rank 4, `(batch, height, width, channels)`; got "
                f"shape {tuple(input_shape)}."
            )
        channels = input_shape[-1]
        self.row_forward.build((None, None, channels))
        self.row_backward.build((None, None, channels))
        self.column_forward.build((None, None, self.hidden_units))
        self.column_backward.build((None, None, self.hidden_units))

    def _pass(self, forward, backward, images, mask):
        """A bidirectional LSTM along the width of `images`."""
        dims = ops.shape(images)
        batch, height = dims[0], dims[1]
        width, channels = dims[2], images.shape[-1]
        rows = ops.reshape(images, (-1, width, channels))
        row_mask = None if mask is None else ops.reshape(mask, (-1, width))
        ahead = forward(rows, mask=row_mask)
        behind = ops.flip(backward(rows, mask=row_mask), axis=1)
        out = ops.concatenate([ahead, behind], axis=-1)
        out = ops.reshape(out, (batch, height, width, out.shape[-1]))
        if mask is not None:
            out = out * ops.cast(mask[..., None], out.dtype)
        return out

    def call(self, inputs, mask=None, sizes=None):
        if len(inputs.shape) != 4:
            raise ValueError(
                "Received an invalid value for argument `inputs`, expected "
                "images of rank 4, `(batch, height, width, channels)`; got "
                f"shape {tuple(inputs.shape)}."
            )
        if mask is not None and sizes is not None:
            raise ValueError(
                "Received both `mask` and `sizes`; pass one of them."
            )
        if sizes is not None:
            _checks.shape_of(
                "sizes",
                sizes,
                (inputs.shape[0], 2),
                "`(batch, 2)`, each image's height and width",
            )
            sizes = ops.cast(sizes, "int32")
            dims = ops.shape(inputs)
            rows = ops.arange(dims[1], dtype="int32")[None, :, None]
            columns = ops.arange(dims[2], dtype="int32")[None, None, :]
            mask = ops.logical_and(
                rows < sizes[:, 0, None, None],
                columns < sizes[:, 1, None, None],
            )
        elif mask is not None:
            mask = _checks.mask(
                "mask",
                mask,
                tuple(inputs.shape)[:3],
                "`(batch, height, width)`",
            )
            mask = ops.cast(mask, "bool")
        hidden = self._pass(self.row_forward, self.row_backward, inputs, mask)
        transposed = ops.transpose(hidden, (0, 2, 1, 3))
        column_mask = None if mask is None else ops.transpose(mask, (0, 2, 1))
        out = self._pass(
            self.column_forward, self.column_backward, transposed, column_mask
        )
        return ops.transpose(out, (0, 2, 1, 3))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:3], self.units)

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "hidden_units": self.hidden_units})
        return config
