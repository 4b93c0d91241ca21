"""MDLSTM2D: the wavefront against a per-pixel double loop, and invariants."""

import itertools

import keras
import numpy as np
import pytest

import keras_gated as kg
from tests.multidim import numpy_multidim as ref
from tests.registry import randomize
from tests.registry import weights_of

DIRECTIONS = ("top_left", "top_right", "bottom_left", "bottom_right")
VARIANTS = ("graves", "halved", "leifert")
FLIPS = {
    "top_left": (),
    "top_right": (2,),
    "bottom_left": (1,),
    "bottom_right": (1, 2),
}


def _layer(channels=2, seed=0, **options):
    layer = kg.MDLSTM2D(3, **options)
    layer.build((None, None, None, channels))
    randomize(layer, seed=seed)
    return layer


def _images(shape=(2, 4, 5, 2), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _random_mask(shape, seed=0):
    return np.random.default_rng(seed).random(shape) < 0.7


def _reference(layer, images, mask=None):
    return ref.mdlstm2d(
        weights_of(layer),
        images.astype("float64"),
        mask=mask,
        direction=layer.direction,
        variant=layer.variant,
        use_peepholes=layer.use_peepholes,
        use_layer_norm=layer.use_layer_norm,
        epsilon=layer.norm_epsilon,
        activation=keras.activations.serialize(layer.activation),
        recurrent_activation=keras.activations.serialize(
            layer.recurrent_activation
        ),
        use_bias=layer.use_bias,
    )


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


# The two wavefronts: static diagonals (unrolled) and the skewed loop.
UNROLL = pytest.mark.parametrize(
    "unroll", [True, False], ids=["diagonals", "loop"]
)


@UNROLL
@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_wavefront_matches_the_per_pixel_loop(
    direction, variant, masked, unroll
):
    layer = _layer(direction=direction, variant=variant, unroll=unroll)
    images = _images()
    mask = _random_mask(images.shape[:3]) if masked else None
    got = _numpy(layer(images, mask=mask))
    np.testing.assert_allclose(got, _reference(layer, images, mask), atol=1e-5)


@pytest.mark.parametrize(
    "peepholes, layer_norm",
    [(True, False), (False, True), (True, True)],
    ids=["peepholes", "layer_norm", "both"],
)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("direction", ["top_left", "bottom_right"])
@UNROLL
def test_options_match_the_per_pixel_loop(
    direction, variant, peepholes, layer_norm, unroll
):
    layer = _layer(
        direction=direction,
        variant=variant,
        unroll=unroll,
        use_peepholes=peepholes,
        use_layer_norm=layer_norm,
    )
    images = _images(seed=1)
    mask = _random_mask(images.shape[:3], seed=1)
    got = _numpy(layer(images, mask=mask))
    np.testing.assert_allclose(got, _reference(layer, images, mask), atol=1e-5)


@pytest.mark.parametrize(
    "options",
    [
        {"activation": "linear", "recurrent_activation": "sigmoid"},
        {"activation": "tanh", "use_bias": False},
    ],
    ids=["linear", "no_bias"],
)
def test_activations_and_bias_match_the_per_pixel_loop(options):
    layer = _layer(direction="top_right", **options)
    images = _images(seed=2)
    np.testing.assert_allclose(
        _numpy(layer(images)), _reference(layer, images), atol=1e-5
    )


def test_one_row_with_constant_weights_by_hand():
    # A 1x2 image, all weights 0.1 (bias 0), one channel and two units:
    # pixel 0 has no predecessor, pixel 1 has pixel 0 on its left.
    layer = kg.MDLSTM2D(
        2,
        kernel_initializer=keras.initializers.Constant(0.1),
        recurrent_initializer=keras.initializers.Constant(0.1),
        unit_forget_bias=False,
    )
    images = np.array([[[[1.0], [2.0]]]], "float32")
    got = _numpy(layer(images))[0, 0]

    def sig(v):
        return 1 / (1 + np.exp(-v))

    z0 = 0.1 * 1.0
    c0 = sig(z0) * np.tanh(z0)
    h0 = sig(z0) * np.tanh(c0)
    z1 = 0.1 * 2.0 + 2 * 0.1 * h0  # kernel + left kernel over 2 units
    c1 = sig(z1) * np.tanh(z1) + sig(z1) * c0
    h1 = sig(z1) * np.tanh(c1)
    np.testing.assert_allclose(got, [[h0, h0], [h1, h1]], atol=1e-6)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_each_direction_is_the_top_left_scan_of_the_flipped_image(direction):
    layer = _layer(direction=direction, variant="halved", use_peepholes=True)
    top_left = kg.MDLSTM2D.from_config(
        {**layer.get_config(), "direction": "top_left"}
    )
    top_left.build((None, None, None, 2))
    top_left.set_weights(layer.get_weights())
    images = _images(seed=3)
    flipped = np.flip(images, FLIPS[direction])
    want = np.flip(_numpy(top_left(flipped)), FLIPS[direction])
    np.testing.assert_allclose(_numpy(layer(images)), want, atol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_padded_image_gives_the_numbers_of_the_cropped_one(
    direction, variant
):
    layer = _layer(direction=direction, variant=variant, use_layer_norm=True)
    images = _images(shape=(2, 5, 6, 2), seed=4)
    sizes = np.array([[5, 6], [3, 4]], "int32")
    padded = images.copy()
    padded[1, 3:] = 9.0  # garbage in the padding
    padded[1, :, 4:] = -9.0
    by_sizes = _numpy(layer(padded, sizes=sizes))
    mask = (np.arange(5)[None, :, None] < sizes[:, 0, None, None]) & (
        np.arange(6)[None, None, :] < sizes[:, 1, None, None]
    )
    by_mask = _numpy(layer(padded, mask=mask))
    np.testing.assert_array_equal(by_sizes, by_mask)
    for k, (height, width) in enumerate(sizes):
        cropped = _numpy(layer(images[k : k + 1, :height, :width]))
        # Equal up to float32 rounding: the products differ in shape.
        np.testing.assert_allclose(
            by_sizes[k : k + 1, :height, :width], cropped, atol=1e-5
        )
        assert not by_sizes[k, height:].any()
        assert not by_sizes[k, :, width:].any()


def test_unknown_height_and_width_in_a_functional_model():
    layer = _layer(direction="bottom_left")
    inputs = keras.Input((None, None, 2))
    model = keras.Model(inputs, layer(inputs))
    for shape in [(2, 3, 4, 2), (1, 5, 2, 2)]:
        images = _images(shape=shape, seed=5)
        np.testing.assert_allclose(
            _numpy(model.predict(images, verbose=0)),
            _reference(layer, images),
            atol=1e-5,
        )


@UNROLL
def test_trains_compiled(unroll):
    # TensorFlow: fit(jit_compile=True) is XLA, through the `while_loop`'s
    # maximum_iterations; JAX: fit is jax.jit, reverse mode through `scan`.
    # The diagonals have no loop at all.
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 5, 2))
    hidden = kg.MDLSTM2D(
        4, variant="leifert", use_layer_norm=True, unroll=unroll
    )(inputs)
    outputs = keras.layers.Dense(1)(
        keras.layers.GlobalAveragePooling2D()(hidden)
    )
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="mse", jit_compile=True
    )
    images = _images(shape=(16, 6, 5, 2), seed=6)
    targets = images.mean(axis=(1, 2, 3))[:, None]
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(images, targets, epochs=4, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert all(
        not np.array_equal(a, b) for a, b in zip(before, model.get_weights())
    )


def test_config_round_trip():
    layer = kg.MDLSTM2D(
        5,
        direction="bottom_right",
        variant="halved",
        use_peepholes=True,
        use_layer_norm=True,
        activation="linear",
        norm_epsilon=1e-4,
        unroll=True,
    )
    again = kg.MDLSTM2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_weight_layout():
    layer = _layer(channels=2, use_peepholes=True, use_layer_norm=True)
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "kernel": (2, 15),
        "recurrent_kernel_up": (3, 15),
        "recurrent_kernel_left": (3, 15),
        "bias": (15,),
        "peephole_kernel": (5, 3),
        "kernel_norm_gamma": (15,),
        "kernel_norm_beta": (15,),
        "recurrent_norm_gamma": (15,),
        "recurrent_norm_beta": (15,),
        "state_norm_gamma": (3,),
        "state_norm_beta": (3,),
    }


@pytest.mark.parametrize("variant, forgets", [("graves", 2), ("leifert", 1)])
def test_unit_forget_bias(variant, forgets):
    layer = kg.MDLSTM2D(2, variant=variant)
    layer.build((None, 3, 3, 1))
    bias = _numpy(layer.bias)
    want = np.zeros(10)
    want[4 : 4 + 2 * forgets] = 1
    np.testing.assert_array_equal(bias, want)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"units": 0}, "units"),
        ({"units": 2, "direction": "left"}, "direction"),
        ({"units": 2, "variant": "lstm"}, "variant"),
        ({"units": 1, "use_layer_norm": True}, "units"),
        ({"units": 2, "use_peepholes": 1}, "use_peepholes"),
        ({"units": 2, "unroll": "auto"}, "unroll"),
    ],
)
def test_bad_arguments_are_refused(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        kg.MDLSTM2D(**kwargs)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 5, 1)])
def test_bad_ranks_are_refused(shape):
    with pytest.raises(ValueError, match="rank 4"):
        kg.MDLSTM2D(2)(np.zeros(shape, "float32"))


def test_bad_sizes_and_masks_are_refused():
    layer = kg.MDLSTM2D(2)
    images = np.zeros((2, 3, 4, 1), "float32")
    with pytest.raises(ValueError, match="`sizes`"):
        layer(images, sizes=np.array([3, 4]))
    with pytest.raises(ValueError, match="`mask`"):
        layer(images, mask=np.ones((2, 3, 5), bool))
    with pytest.raises(ValueError, match="both `mask` and `sizes`"):
        layer(images, mask=np.ones((2, 3, 4), bool), sizes=np.ones((2, 2)))


def test_the_wavefront_steps_are_the_anti_diagonals():
    # Every (direction, variant) output at (y, x) depends only on pixels
    # before it in the scan: changing the last pixel changes nothing else.
    for direction, variant in itertools.product(DIRECTIONS, VARIANTS):
        layer = _layer(direction=direction, variant=variant)
        images = _images(shape=(1, 3, 4, 2), seed=7)
        changed = images.copy()
        y = 2 if direction.startswith("top") else 0
        x = 3 if direction.endswith("left") else 0
        changed[0, y, x] += 1.0
        a, b = _numpy(layer(images)), _numpy(layer(changed))
        differs = np.abs(a - b).max(axis=-1)[0] > 0
        assert differs[y, x] and differs.sum() == 1, (direction, variant)


def test_unroll_needs_known_sizes():
    assert kg.MDLSTM2D(2, unroll=True)._unrolls(12, 9)
    assert not kg.MDLSTM2D(2)._unrolls(12, 9)
    # unroll=True with an unknown size runs the loop (nothing to unroll).
    assert not kg.MDLSTM2D(2, unroll=True)._unrolls(None, 8)
    assert not kg.MDLSTM2D(2, unroll=True)._unrolls(8, None)
