"""Fit the model: seeded tf.data pipeline, warm-up + cosine schedule, best weights restored."""

import sys

import keras
import numpy as np
import tensorflow as tf

from recognizer.contract import INPUT_SHAPE
from train.augment import augment_batch, stroke_variants, training_skeletons
from train.config import TrainConfig


class RestoreBest(keras.callbacks.Callback):
    """Keep the weights of the epoch with the best validation accuracy (ties: lower loss)."""

    def __init__(self):
        super().__init__()
        self.best_key, self.best_weights, self.best_epoch = None, None, None

    def on_epoch_end(self, epoch, logs=None):
        key = (logs["val_accuracy"], -logs["val_loss"])
        if self.best_key is None or key > self.best_key:
            self.best_key, self.best_weights, self.best_epoch = key, self.model.get_weights(), epoch + 1

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: the model's input contract."""
    return (images.astype(np.float32) / 255.0)[..., None]


def _shuffled_index_batches(n: int, batch_size: int, seed: int) -> tf.data.Dataset:
    """Batches of indices into n samples, a fresh seeded permutation each epoch (Keras's own recipe for arrays)."""
    def batches(pair):
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), pair)
        full = n // batch_size * batch_size
        ds = tf.data.Dataset.from_tensor_slices(tf.reshape(order[:full], [-1, batch_size]))
        return ds.concatenate(tf.data.Dataset.from_tensors(order[full:])) if n > full else ds

    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2).take(1).flat_map(batches)


def training_dataset(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, skeletons: np.ndarray | None = None,
                     strength: float = 1.0) -> tf.data.Dataset:
    """One epoch of shuffled batches, augmented when skeletons are given, seeded from the config.

    skeletons come from train.augment.training_skeletons when augmenting. Iterate it once
    per epoch (as Keras does): each pass has a fresh order and, when augmenting, fresh augmentations.
    """
    labels = y.astype(np.int32)
    if skeletons is None:
        epochs = tf.data.Dataset.from_tensors((to_float(x), labels))  # held once, not copied into the graph
    else:
        variants = stroke_variants(x)

        def augment(seed):
            return augment_batch(variants, skeletons, np.random.default_rng(int(seed) % 2**63), cfg.aug, strength)[..., None]

        def epoch(seed, labels):
            images = tf.numpy_function(augment, [seed], tf.float32, stateful=False)
            return tf.ensure_shape(images, [len(x), *INPUT_SHAPE]), labels

        # The whole epoch is augmented in one call, on all cores, before its first step. Augmenting
        # batch by batch beside the steps was measured slower on 2 cores: a third busy thread stalls
        # the training step's two. One seed per epoch: the same config gives the same epochs.
        seeds = tf.data.Dataset.random(seed=cfg.seed + 1, rerandomize_each_iteration=True).take(1)
        epochs = tf.data.Dataset.zip(seeds, tf.data.Dataset.from_tensors(labels)).map(epoch)
    index_batches = _shuffled_index_batches(len(x), cfg.batch_size, cfg.seed)

    def batches(images, labels):  # gathered in the graph, as Keras does for arrays
        return index_batches.map(lambda index: (tf.gather(images, index), tf.gather(labels, index)))

    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False  # as Keras: nothing to gain here
    ds = epochs.flat_map(batches).with_options(options)
    steps = -(-len(x) // cfg.batch_size)  # known up front, so Keras need not run an epoch to find out
    return ds.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(tf.data.AUTOTUNE)


def compile_model(model: keras.Model, cfg: TrainConfig, steps_per_epoch: int) -> None:
    """Adam with a linear warm-up then cosine decay over the whole run."""
    total = cfg.epochs * steps_per_epoch
    warmup = min(cfg.warmup_epochs * steps_per_epoch, total // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.learning_rate / 10 if warmup else cfg.learning_rate,
        decay_steps=max(1, total - warmup), alpha=0.01,
        warmup_target=cfg.learning_rate if warmup else None, warmup_steps=warmup,
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def fit(model: keras.Model, train, val, cfg: TrainConfig) -> dict:
    """Train on (x, y) uint8 arrays, validate on val; return the Keras history dict.

    The last `calm_fraction` of the epochs see gentler augmentation (`calm_strength`): the strong
    augmentation teaches robustness, the calm end lets the small network settle on digits
    that look like the ones it is tested on.
    """
    (x_train, y_train), (x_val, y_val) = train, val
    skeletons = None
    if cfg.augment:
        skeletons = training_skeletons(x_train)
    steps = int(np.ceil(len(x_train) / cfg.batch_size))
    compile_model(model, cfg, steps)
    best = RestoreBest()
    calm = round(cfg.epochs * cfg.calm_fraction) if cfg.augment else 0
    phases = [(cfg.epochs - calm, 1.0), (cfg.epochs, cfg.calm_strength)]
    history: dict = {}
    done = 0
    for until, strength in phases:
        if until <= done:
            continue
        part = model.fit(
            training_dataset(x_train, y_train, cfg, skeletons, strength), initial_epoch=done, epochs=until,
            validation_data=(to_float(x_val), y_val), callbacks=[best],
            verbose=1 if sys.stdout.isatty() else 2,
        )
        for key, values in part.history.items():
            history.setdefault(key, []).extend(values)
        done = until
    return {**history, "best_epoch": best.best_epoch}
