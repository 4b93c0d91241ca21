import keras
from keras import ops

from keras_gated.multidim.md_lstm_2d import DIRECTIONS

MERGE_MODES = ("concat", "sum", "ave")


@keras.saving.register_keras_serializable(package="keras_gated")
class MultiDirectional(keras.layers.Layer):
    """Runs a 2-D layer in its four scan directions and merges the results.

    The 2-D analogue of `keras.layers.Bidirectional`: `layer` (e.g. an
    `MDLSTM2D`) is copied from its config four times, once per
    `direction` (`"top_left"`, `"top_right"`, `"bottom_left"`,
    `"bottom_right"`, in this order), each copy with weights of its own,
    so every output pixel sees the whole image. With `y_d` the output of
    direction `d`:

    ```
    "concat": y = [y_tl, y_tr, y_bl, y_br]      # (batch, H, W, 4u)
    "sum":    y = y_tl + y_tr + y_bl + y_br     # (batch, H, W, u)
    "ave":    y = (y_tl + y_tr + y_bl + y_br) / 4
    ```

    Weights: those of the four copies, in `layers` (their names end in
    the direction); the wrapped `layer`'s own weights are not used, as in
    `Bidirectional`. `mask` and `sizes` are passed to each copy.

    Args:
        layer: A 2-D layer whose config has a `direction` key, e.g.
            `MDLSTM2D(units)`; its own direction is ignored.
        merge_mode: `"concat"`, `"sum"` or `"ave"`. Default `"concat"`.
        **kwargs: Base layer arguments, e.g. `name`.

    Call arguments:
        inputs: `(batch, H, W, d)`.
        mask: Optional boolean `(batch, H, W)`.
        sizes: Optional integer `(batch, 2)`.

    Example:

    >>> from keras_gated.multidim.md_lstm_2d import MDLSTM2D
    >>> images = keras.random.normal((2, 5, 7, 3))
    >>> tuple(MultiDirectional(MDLSTM2D(4))(images).shape)
    (2, 5, 7, 16)

    Reference:
        A. Graves, S. Fernández, J. Schmidhuber. "Multi-Dimensional
        Recurrent Neural Networks", ICANN 2007 (one hidden layer per
        direction, 2^n for n dimensions). https://arxiv.org/abs/0705.2011
    """

    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                "Received an invalid value for argument `layer`, expected a "
                f"Keras layer, got {layer!r}."
            )
        config = layer.get_config()
        if "direction" not in config:
            raise ValueError(
                "Received an invalid value for argument `layer`, expected a "
                "2-D layer with a `direction` argument (e.g. `MDLSTM2D`), "
                f"got a {type(layer).__name__}."
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                "Received an invalid value for argument `merge_mode`, "
                f"expected one of {MERGE_MODES}, got {merge_mode!r}."
            )
        self.merge_mode = merge_mode
        self._layer_config = keras.saving.serialize_keras_object(layer)
        self.layers = [
            type(layer).from_config(
                {**config, "direction": d, "name": f"{config['name']}_{d}"}
            )
            for d in DIRECTIONS
        ]
        self.supports_masking = True

    def build(self, input_shape):
        for layer in self.layers:
            layer.build(input_shape)

    def call(self, inputs, mask=None, sizes=None):
        outputs = [
            layer(inputs, mask=mask, sizes=sizes) for layer in self.layers
        ]
        if self.merge_mode == "concat":
            return ops.concatenate(outputs, axis=-1)
        total = outputs[0] + outputs[1] + outputs[2] + outputs[3]
        return total if self.merge_mode == "sum" else total / 4

    def compute_output_shape(self, input_shape):
        shape = self.layers[0].compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return (*shape[:-1], 4 * shape[-1])
        return shape

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {"layer": self._layer_config, "merge_mode": self.merge_mode}
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
