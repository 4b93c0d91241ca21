import itertools

import keras
from keras import ops

from keras_gated import _checks
from keras_gated._compat import rnn
from keras_gated._layer_norm import add_layer_norm_weights
from keras_gated._layer_norm import layer_norm
from keras_gated.multidim._wavefront import skew
from keras_gated.multidim._wavefront import unskew

DIRECTIONS = ("top_left", "top_right", "bottom_left", "bottom_right")
VARIANTS = ("graves", "halved", "leifert")
# The image axes a direction flips to become a top-left scan.
FLIPS = {
    "top_left": (),
    "top_right": (2,),
    "bottom_left": (1,),
    "bottom_right": (1, 2),
}


def _flip(x, axes):
    for axis in axes:
        x = ops.flip(x, axis=axis)
    return x


@keras.saving.register_keras_serializable(package="keras_gated")
class MDLSTM2D(keras.layers.Layer):
    """Two-dimensional LSTM over images (Graves, Fernández & Schmidhuber 2007).

    Inputs are images `(batch, H, W, d)`, outputs `(batch, H, W, u)` with
    `u = units`. The scan starts at the corner named by `direction`; in
    its frame the pixel `(y, x)` has two predecessors, `up = (y − 1, x)`
    and `left = (y, x − 1)` (for `"bottom_right"`, "up" is the pixel
    below and "left" the pixel to the right). A predecessor outside the
    image, or masked, has zero state. With `σ` the `recurrent_activation`
    (sigmoid) and `φ` the `activation` (tanh):

    ```
    z = x W + [h_up, h_left] [U_up; U_left] + b            # 5u pre-activations
    i, o, f_y, f_x, g = split(z, 5)
    i   = σ(i + p_iu ⊙ c_up + p_il ⊙ c_left)                # peepholes
    f_y = σ(f_y + p_fy ⊙ c_up)                              # (if any)
    f_x = σ(f_x + p_fx ⊙ c_left)
    g   = φ(g)
    c   = i ⊙ g + f_y ⊙ c_up + f_x ⊙ c_left                 # "graves"
    c   = i ⊙ g + 0.5 f_y ⊙ c_up + 0.5 f_x ⊙ c_left         # "halved"
    c   = i ⊙ g + f_y ⊙ (f_x ⊙ c_up + (1 − f_x) ⊙ c_left)   # "leifert"
    o   = σ(o + p_o ⊙ c)
    h   = o ⊙ φ(c)
    ```

    - `"graves"` is the MD-LSTM of Graves et al. 2007: one forget gate
      per dimension. Its state can grow with the image (up to the number
      of paths to a pixel's predecessors).
    - `"halved"` averages the two forget paths, as `rnn2d`'s
      `LSTM2D` does (`0.5·f_y ⊙ c_up + 0.5·f_x ⊙ c_left`), so that `|c|`
      stays bounded by `max |g| / (1 − max f)`-like terms on any image.
    - `"leifert"` is the stable cell of Leifert et al. 2016: one forget
      gate `f = f_y` scales a convex combination of the two predecessors'
      states, mixed by the gate `λ = f_x`, so the carried state is never
      larger than the larger predecessor's. It is `rnn2d`'s stable cell
      (`src/lstm_stable_cpu.cc`).

    `"graves"` and `"leifert"`, the four directions and per-image sizes
    are tested against `rnn2d`'s own forward pass (compiled from its C++
    sources; `tests/multidim/data/make_rnn2d_values.py`): equal to
    2e-16 in float64. These `rnn2d` sources order the gates `g, i, o,
    f_y, f_x` (`a` for our `g`), and the parameters per direction as
    bias, input weights, `U_up`, `U_left`; `MultiDirectional`'s
    direction order is theirs (later `rnn2d` code orders the directions
    top-left, bottom-left, top-right, bottom-right).

    With `use_layer_norm=True` (Ba et al. 2016, as in `LNLSTMCell`):

    ```
    z = LN(x W; γx, βx) + LN([h_up, h_left] [U_up; U_left]; γh, βh) + b
    h = o ⊙ φ(LN(c; γc, βc))                   # c itself is carried raw
    ```

    each layer norm over all its features, computed in at least float32.

    Weights (`d` input channels):

    - `kernel` `W` `(d, 5u)`, `recurrent_kernel_up` `U_up` `(u, 5u)` (the
      neighbour one row back along the scan, `(y − 1, x)`) and
      `recurrent_kernel_left` `U_left` `(u, 5u)` (one column back,
      `(y, x − 1)`); columns in the gate order `[i, o, f_y, f_x, g]`
      (for `"leifert"`: `[i, o, f, λ, g]`);
    - `bias` `b` `(5u,)` when `use_bias`; with `unit_forget_bias` the
      blocks `f_y` and `f_x` start at 1 (`"leifert"`: `f` only, `λ` at 0,
      an even mix);
    - `peephole_kernel` `(5, u)` when `use_peepholes`, rows
      `[p_iu, p_il, p_fy, p_fx, p_o]` as in the equations;
    - `kernel_norm_gamma`/`_beta` `(5u,)`, `recurrent_norm_gamma`/`_beta`
      `(5u,)`, `state_norm_gamma`/`_beta` `(u,)` when `use_layer_norm`,
      kept in float32 under mixed precision.

    **Sizes.** Images of different sizes in one batch are padded and
    passed with `mask` `(batch, H, W)` (True for real pixels) or `sizes`
    `(batch, 2)` (each image's height and width, top-left aligned). A
    masked pixel has zero state and zero output, as in `rnn2d`, so a
    padded image gives exactly the numbers of the cropped one in every
    direction.

    **The wavefront.** The pixels with `y + x = t` depend only on the
    anti-diagonal `t − 1`, so the layer runs `H + W − 1` sequential steps,
    each one batched product over a whole diagonal, instead of `H·W`
    steps. Without layer norm a step's pre-activations are one product,
    `[x, h_up, h_left] [W; U_up; U_left] + b`, the input's share computed
    with the recurrent one (with layer norm, `x W` and the recurrent
    product are two products, normalized apart). Two implementations of
    the same steps (`unroll`):

    - **Static diagonals** (`unroll=True`, when `H` and `W` are known):
      the pixels are put in diagonal order once (one gather), the steps
      are unrolled in the graph, and step `t` computes exactly the
      `min(t + 1, H, W, H + W − 1 − t)` pixels of its diagonal, read by
      static slices; one gather puts the outputs back in raster order.
      No padding is computed and there is no loop. It runs faster (at
      32×32, 1.8× the skewed loop's forward speed on TensorFlow and on
      JAX, 1.9× and 2.9× in training), but the graph grows with
      `H + W`, and so does its compilation: under `fit(jit_compile=True)`
      the first epoch of notebook 04's `MultiDirectional` model on 12×12
      images, mostly compilation, took 42 s against 8 s with the loop
      (`benchmarks/mdlstm_speed.py --first-epochs`). As with
      `keras.layers.RNN(unroll=True)`: for small, fixed sizes, and
      inference or long training runs.
    - **The skewed loop** (`unroll=False`, the default, or unknown
      sizes): the image is skewed (row `y` shifted right by `y`) so that
      the diagonals become the columns of an `(H, H + W − 1)` array, and
      Keras' backend `rnn` runs over the columns (TensorFlow: a
      `while_loop` with `maximum_iterations`, which trains under XLA;
      JAX: `lax.scan`, with a static trip count, so it differentiates).
      In step `t` the left neighbours are the previous column and the up
      neighbours the previous column shifted down one row. Each step
      computes all `H` rows of its column, about half of them padding on
      a square image.

    The other directions are the top-left scan of the flipped image,
    flipped back (the skewed loop flips; the static diagonals fold the
    flips into their two gathers).

    **Unknown `H` or `W`.** The skewed loop runs. On TensorFlow the sizes
    are read from the input's shape when the graph runs: the skew, the
    loop's trip count (`H + W − 1`) and the unskew are computed then, so
    one model serves images of any size; under XLA (`jit_compile=True`)
    each new size is a new compilation. JAX always traces concrete shapes.

    Args:
        units: Positive integer, the size `u` of `h` and `c` (at least 2
            with `use_layer_norm`: a layer norm over one value is `β`).
        direction: The corner the scan starts from: `"top_left"`,
            `"top_right"`, `"bottom_left"` or `"bottom_right"`.
        variant: `"graves"`, `"halved"` or `"leifert"`, as above.
        use_peepholes: Whether the gates see the cell states. Default
            `False`.
        use_layer_norm: Whether to apply the layer norms. Default `False`.
        activation: `φ`. Default `"tanh"`.
        recurrent_activation: `σ`. Default `"sigmoid"`.
        use_bias: Whether to add `b`. Default `True`.
        kernel_initializer, recurrent_initializer, bias_initializer,
        peephole_initializer: Initializers of the weights (defaults
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`, `"zeros"`).
        unit_forget_bias: Add 1 to the forget biases at initialization.
            Default `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints.
        norm_gamma_initializer, norm_beta_initializer: Initializers of the
            layer-norm gains and shifts (`"ones"`, `"zeros"`).
        norm_epsilon: Positive float added to the variance. Default 1e-3.
        unroll: Whether to run the static diagonals (`True`) or the
            skewed loop (`False`), as above. `True` still loops when `H` or
            `W` is unknown. Default `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: `(batch, H, W, d)`.
        mask: Optional boolean `(batch, H, W)`, True for real pixels.
        sizes: Optional integer `(batch, 2)`, `(height, width)` of each
            image; not together with `mask`.

    Example:

    >>> images = keras.random.normal((2, 5, 7, 3))
    >>> tuple(MDLSTM2D(4, direction="bottom_right")(images).shape)
    (2, 5, 7, 4)

    References:
        A. Graves, S. Fernández, J. Schmidhuber. "Multi-Dimensional
        Recurrent Neural Networks", ICANN 2007.
        https://arxiv.org/abs/0705.2011
        G. Leifert, T. Strauß, T. Grüning, W. Wustlich, R. Labahn. "Cells
        in Multidimensional Recurrent Neural Networks", JMLR 17(97), 2016.
        http://jmlr.org/papers/v17/14-203.html
        J. Puigcerver, `rnn2d` (the four directions, the wavefront, sizes,
        the halved and stable cells). https://github.com/jpuigcerver/rnn2d
    """

    def __init__(
        self,
        units,
        direction="top_left",
        variant="graves",
        use_peepholes=False,
        use_layer_norm=False,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        unroll=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        if direction not in DIRECTIONS:
            raise ValueError(
                "Received an invalid value for argument `direction`, "
                f"expected one of {DIRECTIONS}, got {direction!r}."
            )
        if variant not in VARIANTS:
            raise ValueError(
                "Received an invalid value for argument `variant`, "
                f"expected one of {VARIANTS}, got {variant!r}."
            )
        self.direction = direction
        self.variant = variant
        self.use_peepholes = _checks.boolean("use_peepholes", use_peepholes)
        self.use_layer_norm = _checks.boolean("use_layer_norm", use_layer_norm)
        if self.use_layer_norm and self.units == 1:
            raise ValueError(
                "Received an invalid value for argument `units`, expected "
                "at least 2 with `use_layer_norm=True` (a layer norm over "
                "one value is always its shift β), got 1."
            )
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = _checks.boolean("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)
        self.unit_forget_bias = _checks.boolean(
            "unit_forget_bias", unit_forget_bias
        )
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.norm_gamma_initializer = keras.initializers.get(
            norm_gamma_initializer
        )
        self.norm_beta_initializer = keras.initializers.get(
            norm_beta_initializer
        )
        self.norm_epsilon = _checks.positive_float("norm_epsilon", norm_epsilon)
        self.unroll = _checks.boolean("unroll", unroll)
        self.supports_masking = True

    def _check_shape(self, shape):
        if len(shape) != 4:
            raise ValueError(
                "Received an invalid value for argument `inputs`, expected "
                "images of rank 4, `(batch, height, width, channels)`; got "
                f"shape {tuple(shape)}."
            )
        if shape[-1] is None:
            raise ValueError(
                "Received an invalid value for argument `inputs`: the "
                "channel axis must be known, got shape "
                f"{tuple(shape)}."
            )

    def build(self, input_shape):
        self._check_shape(input_shape)
        units, channels = self.units, input_shape[-1]
        self.kernel = self.add_weight(
            shape=(channels, 5 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        recurrent = {
            "initializer": self.recurrent_initializer,
            "regularizer": self.recurrent_regularizer,
            "constraint": self.recurrent_constraint,
        }
        self.recurrent_kernel_up = self.add_weight(
            shape=(units, 5 * units), name="recurrent_kernel_up", **recurrent
        )
        self.recurrent_kernel_left = self.add_weight(
            shape=(units, 5 * units), name="recurrent_kernel_left", **recurrent
        )
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                forgets = 1 if self.variant == "leifert" else 2
                base = self.bias_initializer

                def initializer(shape, dtype=None):
                    return ops.concatenate(
                        [
                            base((2 * units,), dtype=dtype),
                            ops.ones((forgets * units,), dtype=dtype),
                            base(((3 - forgets) * units,), dtype=dtype),
                        ]
                    )

            self.bias = self.add_weight(
                shape=(5 * units,),
                name="bias",
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        if self.use_peepholes:
            self.peephole_kernel = self.add_weight(
                shape=(5, units),
                name="peephole_kernel",
                initializer=self.peephole_initializer,
            )
        if self.use_layer_norm:
            norms = (self.norm_gamma_initializer, self.norm_beta_initializer)
            self.kernel_norm_gamma, self.kernel_norm_beta = (
                add_layer_norm_weights(self, "kernel_norm", 5 * units, *norms)
            )
            self.recurrent_norm_gamma, self.recurrent_norm_beta = (
                add_layer_norm_weights(
                    self, "recurrent_norm", 5 * units, *norms
                )
            )
            self.state_norm_gamma, self.state_norm_beta = (
                add_layer_norm_weights(self, "state_norm", units, *norms)
            )

    def _valid(self, inputs, mask, sizes):
        """The pixels to compute, `(batch, H, W)` in the compute dtype."""
        shape = tuple(inputs.shape)
        if mask is not None and sizes is not None:
            raise ValueError(
                "Received both `mask` and `sizes`; pass one of them."
            )
        if sizes is not None:
            _checks.shape_of(
                "sizes",
                sizes,
                (shape[0], 2),
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
                "mask", mask, shape[:3], "`(batch, height, width)`"
            )
        else:
            return None
        return ops.cast(mask, self.compute_dtype)

    def call(self, inputs, mask=None, sizes=None):
        self._check_shape(inputs.shape)
        valid = self._valid(inputs, mask, sizes)
        kernel = self._step_kernel()
        if self._unrolls(inputs.shape[1], inputs.shape[2]):
            return self._diagonals(inputs, valid, kernel)
        flips = FLIPS[self.direction]
        inputs = _flip(inputs, flips)
        if valid is not None:
            valid = _flip(valid, flips)
        outputs = self._skewed_loop(inputs, valid, kernel)
        return _flip(unskew(outputs, ops.shape(inputs)[2]), flips)

    def _step_kernel(self):
        """The weights `_pixel` multiplies by, put together once a call.

        Without layer norm `[W; U_up; U_left]`, `(d + 2u, 5u)`, for one
        product per step; with it the pair `(W, [U_up; U_left])`, whose
        products are normalized apart.
        """
        recurrent = [self.recurrent_kernel_up, self.recurrent_kernel_left]
        if self.use_layer_norm:
            return self.kernel, ops.concatenate(recurrent, axis=0)
        return ops.concatenate([self.kernel, *recurrent], axis=0)

    def _unrolls(self, height, width):
        """Whether `call` runs the static diagonals."""
        return self.unroll and height is not None and width is not None

    def _diagonals(self, inputs, valid, kernel):
        """The wavefront as `H + W − 1` steps on exact diagonals (static).

        Diagonal `t` holds the pixels `(y, t − y)` for `y` from `lo_t =
        max(0, t − W + 1)` to `hi_t = min(t, H − 1)`. The pixels are put
        in diagonal order once, pixel-major (`(H·W, B, ·)`: diagonal `t`
        is one contiguous block of rows, and `split` cuts all the blocks
        in one operation, whose gradient is one concatenation). In step
        `t` the previous diagonal's states, padded with a zero row at
        each end, give the up neighbours (`y − 1`) and the left ones
        (`y`) as two static slices, the pad standing in for the
        neighbours outside the image. Nothing is computed for pixels
        outside the image, and with no mask nothing is masked. The
        outputs are concatenated in diagonal order and put back in raster
        order by one gather. Returns `(B, H, W, u)`.
        """
        batch, height, width = inputs.shape[:3]
        batch = ops.shape(inputs)[0] if batch is None else batch
        units, steps = self.units, height + width - 1
        lows = [max(0, t - width + 1) for t in range(steps)]
        highs = [min(t, height - 1) for t in range(steps)]
        lengths = [high - low + 1 for low, high in zip(lows, highs)]
        # The raster index of the scan frame's pixel (y, x): the flips of
        # the direction are part of the permutation.
        flips = FLIPS[self.direction]
        rows = range(height - 1, -1, -1) if 1 in flips else range(height)
        columns = range(width - 1, -1, -1) if 2 in flips else range(width)
        rows, columns = list(rows), list(columns)
        order = [
            rows[y] * width + columns[t - y]
            for t, (low, high) in enumerate(zip(lows, highs))
            for y in range(low, high + 1)
        ]
        raster = [0] * len(order)
        for position, pixel in enumerate(order):
            raster[pixel] = position
        boundaries = list(itertools.accumulate(lengths))[:-1]

        def diagonal_order(x):  # (B, H, W, F) -> (H·W, B, F), diagonals
            x = ops.transpose(x, (1, 2, 0, 3))
            x = ops.reshape(x, (height * width, batch, x.shape[-1]))
            return ops.take(x, order, axis=0)

        inputs = ops.split(diagonal_order(inputs), boundaries, axis=0)
        if valid is not None:
            valid = ops.split(
                diagonal_order(valid[..., None]), boundaries, axis=0
            )
        outputs, h, c = [], None, None
        padding = [[1, 1], [0, 0], [0, 0]]
        for t, length in enumerate(lengths):
            if t == 0:
                h_up = c_up = h_left = c_left = ops.zeros(
                    (1, batch, units), self.compute_dtype
                )
            else:
                shift = lows[t] - lows[t - 1]
                h_pad, c_pad = ops.pad(h, padding), ops.pad(c, padding)
                h_up = h_pad[shift : shift + length]
                c_up = c_pad[shift : shift + length]
                h_left = h_pad[shift + 1 : shift + 1 + length]
                c_left = c_pad[shift + 1 : shift + 1 + length]
            h, c = self._pixel(inputs[t], h_up, c_up, h_left, c_left, kernel)
            if valid is not None:
                h, c = h * valid[t], c * valid[t]
            outputs.append(h)
        outputs = ops.take(ops.concatenate(outputs, axis=0), raster, axis=0)
        outputs = ops.reshape(outputs, (height, width, batch, units))
        return ops.transpose(outputs, (2, 0, 1, 3))

    def _skewed_loop(self, inputs, valid, kernel):
        """The wavefront as a loop over the skewed image's columns.

        Returns the outputs in the skewed layout `(B, H, H + W − 1, u)`.
        """
        units, channels = self.units, inputs.shape[-1]
        if valid is None:
            valid = ops.ones_like(inputs[..., 0])
        # One array for the loop: the pixels and their validity (0 off
        # the image, after the skew).
        packed = ops.concatenate([inputs, valid[..., None]], axis=-1)
        skewed = skew(packed)  # (B, H, T, d + 1), T = H + W - 1
        dims = ops.shape(skewed)
        static = tuple(skewed.shape)
        batch, height, steps = (
            static[i] if static[i] is not None else dims[i] for i in range(3)
        )
        sequence = ops.reshape(
            ops.transpose(skewed, (0, 2, 1, 3)),
            (batch, steps, height * (channels + 1)),
        )
        # Rows are flattened to (B * H, .) inside the loop, so that the
        # product is one 2-D matmul; the pixel above row y is the previous
        # row of that array, except on row 0.
        below_top = ops.cast(
            ops.arange(height)[None, :] > 0, self.compute_dtype
        )
        below_top = ops.reshape(
            ops.broadcast_to(below_top, (batch, height)), (-1, 1)
        )
        no_row = ops.zeros((1, units), dtype=self.compute_dtype)

        def step(column, states):
            column = ops.reshape(column, (-1, channels + 1))
            x, pixel = column[:, :channels], column[:, channels:]
            h_left = ops.reshape(states[0], (-1, units))
            c_left = ops.reshape(states[1], (-1, units))
            h_up = ops.concatenate([no_row, h_left[:-1]], axis=0) * below_top
            c_up = ops.concatenate([no_row, c_left[:-1]], axis=0) * below_top
            h, c = self._pixel(x, h_up, c_up, h_left, c_left, kernel)
            h = ops.reshape(h * pixel, (batch, height * units))
            return h, [h, ops.reshape(c * pixel, (batch, height * units))]

        zeros = ops.zeros((batch, height * units), dtype=self.compute_dtype)
        _, outputs, _ = rnn(
            step,
            sequence,
            [zeros, zeros],
            input_length=static[2],
        )
        outputs = ops.reshape(outputs, (batch, steps, height, units))
        return ops.transpose(outputs, (0, 2, 1, 3))

    def _pixel(self, x, h_up, c_up, h_left, c_left, kernel):
        """One step of the cell on pixels of any leading shape.

        `kernel` is `_step_kernel()`.
        """
        units = self.units
        if self.use_layer_norm:
            input_kernel, recurrent_kernel = kernel
            neighbours = ops.concatenate([h_up, h_left], axis=-1)
            z = layer_norm(
                ops.matmul(x, input_kernel),
                self.kernel_norm_gamma,
                self.kernel_norm_beta,
                self.norm_epsilon,
            ) + layer_norm(
                ops.matmul(neighbours, recurrent_kernel),
                self.recurrent_norm_gamma,
                self.recurrent_norm_beta,
                self.norm_epsilon,
            )
        else:
            z = ops.matmul(ops.concatenate([x, h_up, h_left], axis=-1), kernel)
        if self.use_bias:
            z = z + self.bias
        sigma = self.recurrent_activation
        if self.use_peepholes:
            i, o, f_y, f_x, g = ops.split(z, 5, axis=-1)
            p = self.peephole_kernel
            i = sigma(i + p[0] * c_up + p[1] * c_left)
            f_y = sigma(f_y + p[2] * c_up)
            f_x = sigma(f_x + p[3] * c_left)
        else:
            # The four gates before g are contiguous: one activation each
            # for the gates and for g (fewer, larger operations).
            gates, g = ops.split(z, [4 * units], axis=-1)
            i, o, f_y, f_x = ops.split(sigma(gates), 4, axis=-1)
        g = self.activation(g)
        if self.variant == "graves":
            c = i * g + f_y * c_up + f_x * c_left
        elif self.variant == "halved":
            c = i * g + 0.5 * (f_y * c_up + f_x * c_left)
        else:
            c = i * g + f_y * (f_x * c_up + (1.0 - f_x) * c_left)
        if self.use_peepholes:
            o = sigma(o + self.peephole_kernel[4] * c)
        shown = c
        if self.use_layer_norm:
            shown = layer_norm(
                c,
                self.state_norm_gamma,
                self.state_norm_beta,
                self.norm_epsilon,
            )
        return o * self.activation(shown), c

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:3], self.units)

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        serialize = keras.saving.serialize_keras_object
        config.update(
            {
                "units": self.units,
                "direction": self.direction,
                "variant": self.variant,
                "use_peepholes": self.use_peepholes,
                "use_layer_norm": self.use_layer_norm,
                "activation": keras.activations.serialize(self.activation),
                "recurrent_activation": keras.activations.serialize(
                    self.recurrent_activation
                ),
                "use_bias": self.use_bias,
                "kernel_initializer": serialize(self.kernel_initializer),
                "recurrent_initializer": serialize(self.recurrent_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "peephole_initializer": serialize(self.peephole_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": serialize(self.kernel_regularizer),
                "recurrent_regularizer": serialize(self.recurrent_regularizer),
                "bias_regularizer": serialize(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "recurrent_constraint": serialize(self.recurrent_constraint),
                "bias_constraint": serialize(self.bias_constraint),
                "norm_gamma_initializer": serialize(
                    self.norm_gamma_initializer
                ),
                "norm_beta_initializer": serialize(self.norm_beta_initializer),
                "norm_epsilon": self.norm_epsilon,
                "unroll": self.unroll,
            }
        )
        return config
