"""Trains a small LNLSTM model on one device and under MirroredStrategy.

Run as a script (a fresh process: the two logical CPU devices must be
configured before TensorFlow initializes):

    KERAS_BACKEND=tensorflow python -m tests.distributed_training

It prints a JSON object with the loss after every step of both runs and
the largest difference of their final weights. `tests/test_distributed.py`
runs it.
"""

import json

import keras
import numpy as np
import tensorflow as tf

import keras_gated as kg

SAMPLES, STEPS, FEATURES, UNITS = 64, 6, 3, 8
GLOBAL_BATCH, EPOCHS = 16, 3


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, STEPS, FEATURES)).astype("float32")
    y = np.sin(x.sum(axis=(1, 2)))[:, None].astype("float32")
    return x, y


def _model():
    inputs = keras.Input((STEPS, FEATURES))
    hidden = kg.LNLSTM(UNITS, return_sequences=True)(inputs)
    hidden = kg.LNLSTM(UNITS)(hidden)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


class _StepLosses(keras.callbacks.Callback):
    """The loss of every step (Keras logs the running mean of the epoch)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self.seen.append(mean)
        # The running mean after n steps, minus the n - 1 before it.
        n = len(self.seen)
        previous = self.seen[-2] * (n - 1) if n > 1 else 0.0
        self.losses.append(mean * n - previous)


def train(strategy, initial_weights):
    with strategy.scope():
        model = _model()
        model.set_weights(initial_weights)
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    recorder = _StepLosses()
    recorder.losses = []
    x, y = _data()
    model.fit(
        x,
        y,
        batch_size=GLOBAL_BATCH,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[recorder],
    )
    return recorder.losses, model.get_weights()


def main():
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    keras.utils.set_random_seed(0)
    initial_weights = _model().get_weights()
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    single, single_weights = train(
        tf.distribute.OneDeviceStrategy(devices[0]), initial_weights
    )
    mirrored_strategy = tf.distribute.MirroredStrategy(devices)
    mirrored, mirrored_weights = train(mirrored_strategy, initial_weights)
    print(
        json.dumps(
            {
                "devices": devices,
                "replicas": mirrored_strategy.num_replicas_in_sync,
                "single_device_losses": single,
                "mirrored_losses": mirrored,
                "max_weight_difference": max(
                    float(np.max(np.abs(a - b)))
                    for a, b in zip(single_weights, mirrored_weights)
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
