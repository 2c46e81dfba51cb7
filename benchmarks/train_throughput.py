"""Does the training input pipeline keep up with the model? Samples/s of a fit on the
tf.data pipeline, without and with augmentation, against a bare `model.fit` on in-memory
arrays, same batch size, as ratios within each round. On 2 cores the augmentation's
arithmetic shares the cores with the model, so "with" measures its cost and "without"
measures the pipeline itself.

    python -m benchmarks.train_throughput [--steps 150] [--rounds 7]
"""

import argparse
import time

import keras
import numpy as np

from train.augment import prepare_training_images
from train.config import TrainConfig
from train.data import load_idx_dir
from train.fit import compile_model, to_float, training_dataset
from train.model import build_model


class StepTimer(keras.callbacks.Callback):
    """Median time of a training step, after the first few (tracing, warm-up)."""

    def __init__(self):
        super().__init__()
        self.times, self.start = [], None

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.start)

    def samples_per_s(self, batch_size: int) -> float:
        return batch_size / float(np.median(self.times[10:]))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data/mnist", help="MNIST IDX folder")
    p.add_argument("--steps", type=int, default=150, help="training steps per measurement")
    p.add_argument("--rounds", type=int, default=7, help="rounds; each measures all three back to back")
    args = p.parse_args(argv)
    cfg = TrainConfig()
    data = load_idx_dir(args.data_dir)
    n = args.steps * cfg.batch_size
    x, y = data.x_train[:n], data.y_train[:n]
    x_aug, skeletons = prepare_training_images(x, y, cfg.seed, cfg.writer_strokes)
    augmented = training_dataset(x_aug, y, cfg, skeletons).repeat()
    plain = training_dataset(x, y, cfg).repeat()
    arrays = to_float(x)
    pipelines = {"plain": plain, "augmented": augmented}
    rates = {"bare": [], "plain": [], "augmented": []}
    for _ in range(args.rounds):
        for name in rates:
            model, timer = build_model(), StepTimer()
            compile_model(model, cfg, args.steps)
            if name == "bare":
                model.fit(arrays, y, batch_size=cfg.batch_size, epochs=1, callbacks=[timer], verbose=0)
            else:
                model.fit(pipelines[name], steps_per_epoch=args.steps, epochs=1, callbacks=[timer], verbose=0)
            rates[name].append(timer.samples_per_s(cfg.batch_size))
    # Ratios within a round, then their median: the shared machine's load drifts between rounds.
    bare = np.array(rates["bare"])
    ratio = {k: float(np.median(np.array(rates[k]) / bare)) for k in ("plain", "augmented")}
    print(f"batch {cfg.batch_size}, {args.rounds} rounds of {args.steps} steps, medians: bare model.fit on arrays "
          f"{np.median(bare):,.0f} samples/s; tf.data pipeline {np.median(rates['plain']):,.0f} (ratio "
          f"{ratio['plain']:.3f}); with augmentation {np.median(rates['augmented']):,.0f} (ratio "
          f"{ratio['augmented']:.3f}); target >= 0.95")


if __name__ == "__main__":
    main()
