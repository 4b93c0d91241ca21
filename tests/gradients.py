"""Gradients of a layer: compiled on any backend, or checked numerically."""

import keras


class _Caller(keras.layers.Layer):
    """Calls `layer` through `__call__`, which `stateless_call` skips.

    `__call__` casts the inputs and the weights to the compute dtype (e.g.
    float16 under mixed_float16), as it does for every layer of a model.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def call(self, inputs):
        return self.layer(*inputs)


def loss_and_gradients(layer, loss_fn, *inputs):
    """Returns `(loss, gradients)` of `loss_fn(layer(*inputs))`.

    The gradients are those of the layer's trainable weights, in the order
    of `layer.trainable_weights`, as NumPy arrays, computed by the
    backend's own differentiation inside its compiler (`tf.function`,
    `jax.jit`), so that long loops stay fast.
    """
    caller = _Caller(layer)
    caller.built = True  # `layer` is built: nothing of its own to create.
    assert [v.path for v in caller.trainable_variables] == [
        v.path for v in layer.trainable_weights
    ]
    trainable = [v.value for v in caller.trainable_variables]
    non_trainable = [v.value for v in caller.non_trainable_variables]

    def loss(trainable, inputs):
        outputs, _ = caller.stateless_call(trainable, non_trainable, inputs)
        return loss_fn(outputs)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def run(trainable, inputs):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                value = loss(trainable, inputs)
            return value, tape.gradient(value, trainable)

        trainable = [tf.convert_to_tensor(w) for w in trainable]
        value, grads = run(trainable, list(inputs))
    elif backend == "jax":
        import jax

        value, grads = jax.jit(jax.value_and_grad(loss))(
            trainable, list(inputs)
        )
    elif backend == "torch":
        import torch

        trainable = [w.detach().clone().requires_grad_(True) for w in trainable]
        value = loss(trainable, list(inputs))
        grads = torch.autograd.grad(value, trainable)
    else:  # pragma: no cover
        raise NotImplementedError(backend)
    to_numpy = keras.ops.convert_to_numpy
    return float(to_numpy(value)), [to_numpy(g) for g in grads]


def assert_float64_gradients_match_finite_differences(layer):
    """Checks `layer`'s gradients against central finite differences.

    `layer` is a built float64 layer of 2 input features and 3 output
    units that returns sequences. The loss is a fixed random projection of
    its outputs on a `(2, 3, 2)` input; the gradients with respect to the
    input and every trainable weight must match TensorFlow's numerical
    ones. TensorFlow only (`tf.test.compute_gradient`).
    """
    import numpy as np
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(2, 3, 2))
    projection = np.random.default_rng(1).normal(size=(2, 3, 3))
    weights = [v.value for v in layer.trainable_variables]
    seed_state = [v.value for v in layer.non_trainable_variables]

    @tf.function
    def loss(x, *weights):
        out, _ = layer.stateless_call(weights, seed_state, x)
        return tf.reduce_sum(out * projection)

    theoretical, numerical = tf.test.compute_gradient(
        loss, [tf.constant(x), *weights], delta=1e-6
    )
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-7)
