"""The seed CNN, built by one function."""

import keras
from keras import layers

from recognizer.contract import INPUT_SHAPE, NUM_CLASSES


def build_model() -> keras.Model:
    """Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10: the seed architecture, nothing else."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_seed_cnn",
    )
