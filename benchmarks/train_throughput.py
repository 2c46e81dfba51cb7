"""Does the training input pipeline keep up with the model? Samples/s of a fit on the
tf.data pipeline, without and with augmentation, against a bare `model.fit` on in-memory
arrays, same batch size.

    python -m benchmarks.train_throughput [--steps 60] [--rounds 12]

Whole epochs of `steps` batches are timed, so the augmentation's time counts wherever it runs.
An epoch is its first step, counted from the epoch's start (an augmented epoch waits there for
its images), plus its other steps. Each is taken as a median over every timed epoch of that
pipeline: other tenants of this shared machine stall single steps, first steps included, by up
to a quarter of an epoch at random. Each fit runs 3 epochs and only the last two are timed: the
first carries each fit's one-off setup (Keras converting the arrays, tracing). Each pipeline
trains its own model; the rounds alternate the three in a rotating order, so the machine's
drifting load hits all three alike.
"""

import argparse
import time

import keras
import numpy as np

from train.augment import training_skeletons
from train.config import TrainConfig
from train.data import load_idx_dir
from train.fit import compile_model, to_float, training_dataset
from train.model import build_model


class StepTimer(keras.callbacks.Callback):
    """Each epoch's step times, the first counted from the epoch's start; epochs before `skip` are not kept."""

    def __init__(self, skip: int = 1):
        super().__init__()
        self.skip, self.first, self.rest, self.ticks = skip, [], [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.ticks = [time.perf_counter()]

    def on_train_batch_end(self, batch, logs=None):
        self.ticks.append(time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        if epoch >= self.skip:
            steps = np.diff(self.ticks)
            self.first.append(steps[0])
            self.rest.extend(steps[1:])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data/mnist", help="MNIST IDX folder")
    p.add_argument("--steps", type=int, default=60, help="training steps (batches) in each timed epoch")
    p.add_argument("--rounds", type=int, default=12, help="rounds; each measures all three back to back")
    args = p.parse_args(argv)
    cfg = TrainConfig()
    data = load_idx_dir(args.data_dir)
    n = args.steps * cfg.batch_size
    x, y = data.x_train[:n], data.y_train[:n]
    skeletons = training_skeletons(x)
    pipelines = {"bare": None, "plain": training_dataset(x, y, cfg),
                 "augmented": training_dataset(x, y, cfg, skeletons)}
    arrays = to_float(x)
    models = {}
    for name in pipelines:
        models[name] = build_model()
        compile_model(models[name], cfg, args.steps)
    timers = {name: StepTimer() for name in pipelines}
    for round_ in range(args.rounds):
        names = list(pipelines)
        for name in names[round_ % 3:] + names[:round_ % 3]:
            if name == "bare":
                models[name].fit(arrays, y, batch_size=cfg.batch_size, epochs=3, callbacks=[timers[name]], verbose=0)
            else:
                models[name].fit(pipelines[name], epochs=3, callbacks=[timers[name]], verbose=0)
    epoch_s = {name: np.median(t.first) + np.median(t.rest) * (args.steps - 1) for name, t in timers.items()}
    rate = {name: n / seconds for name, seconds in epoch_s.items()}
    print(f"batch {cfg.batch_size}, {args.rounds} rounds x 2 timed epochs of {args.steps} steps (medians: first "
          f"step / other steps, ms): " + "; ".join(
              f"{name} {rate[name]:,.0f} samples/s ({np.median(t.first) * 1e3:.0f} / {np.median(t.rest) * 1e3:.1f})"
              for name, t in timers.items()))
    print(f"ratios to bare model.fit on arrays: tf.data pipeline {rate['plain'] / rate['bare']:.3f}, "
          f"with augmentation {rate['augmented'] / rate['bare']:.3f} (target >= 0.95); "
          f"augmented / plain pipeline {rate['augmented'] / rate['plain']:.3f}")


if __name__ == "__main__":
    main()
