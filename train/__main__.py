"""`python -m train`: data -> model -> fit -> evaluate -> save (-> push)."""

import os
import sys
import time
from pathlib import Path

import numpy as np

from train.config import TrainConfig, parse_args, recipe, to_argv
from train.data import DataError, load_mnist, split_validation
from train.extra_data import training_extras


def draw_data(cfg: TrainConfig, train_x: np.ndarray, val_x: np.ndarray):
    """The drawn sets beside MNIST: (pen digits or None, the gate's sets or None). CPU-heavy: before TensorFlow."""
    from train.pen_data import pen_sets

    pen = pen_sets(cfg.pen_data, cfg.pen_copies, cfg.pen_val_writers, cfg.seed, cfg.limit,
                   cfg.pen_conventions, cfg.styles) if cfg.pen_data else None
    if cfg.omniglot_data is None and cfg.quickdraw_data is None:
        return pen, None
    from train.gate import draw_gate_sets

    return pen, draw_gate_sets(train_x, val_x, cfg)


def cached_draw_data(cfg: TrainConfig, train_x: np.ndarray, val_x: np.ndarray):
    """draw_data, or the sets a run with the same recipe, data and code drew before (cfg.cache_dir)."""
    import zipfile

    from train.drawn_cache import cache_key, load_sets, save_sets
    from train.pen_data import PenSets

    folders = [f for f in (cfg.pen_data, cfg.omniglot_data, cfg.quickdraw_data) if f is not None]
    if cfg.cache_dir is None or not folders:  # nothing to keep: MNIST alone is not drawn
        return draw_data(cfg, train_x, val_x)
    files = [p for folder in folders for p in sorted(Path(folder).iterdir()) if p.is_file()]
    path = Path(cfg.cache_dir) / f"drawn-{cache_key(recipe(cfg), files, [train_x, val_x])}.npz"
    if path.is_file():
        try:
            sets = load_sets(path, PenSets)
            print(f"drawn sets: from {path}")
            return sets
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
            print(f"drawn sets: {path} is unreadable ({type(e).__name__}): drawing them again")
    pen, gate_sets = draw_data(cfg, train_x, val_x)
    save_sets(path, pen, gate_sets)
    return pen, gate_sets


def training_sets(cfg: TrainConfig, source: str, n_mnist: int, pen, gate_metrics) -> list[dict]:
    """What the models were trained on, each set with its size and licence, for metrics.json and the card."""
    from train.pen_data import LICENCES

    sets = [{"name": "MNIST", "source": source, "samples": n_mnist, "licence": LICENCES["mnist"], "used_by": "digits, gate"}]
    if pen is not None:
        sets.append({"name": "UCI pen digits (pendigits-orig.tra)", "source": str(cfg.pen_data),
                     "samples": len(pen.x_train) // cfg.pen_copies, "drawings": len(pen.x_train),
                     "writers": pen.train_writers, "licence": LICENCES["pendigits"], "used_by": "digits, gate"})
    if gate_metrics is not None:
        if cfg.omniglot_data:
            sets.append({"name": "Omniglot (train split)", "source": str(cfg.omniglot_data),
                         "samples": gate_metrics["train_omniglot"], "licence": LICENCES["omniglot"], "used_by": "gate"})
        if cfg.quickdraw_data:
            sets.append({"name": "Quick, Draw! doodles", "source": str(cfg.quickdraw_data),
                         "samples": gate_metrics["train_doodles"], "licence": LICENCES["quickdraw"], "used_by": "gate"})
    return sets


def run(cfg: TrainConfig) -> dict:
    """Train, evaluate and save as configured; return the metrics."""
    stages, clock = {}, time.perf_counter()  # seconds of each stage, for metrics.json

    def lap(name: str) -> None:
        nonlocal clock
        stages[name] = round(time.perf_counter() - clock, 1)
        clock = time.perf_counter()

    data = load_mnist(cfg.data_dir, cfg.hub_dataset)  # first: a data problem fails before TensorFlow loads
    x, y = data.x_train, data.y_train
    if cfg.limit:
        x, y = x[: cfg.limit], y[: cfg.limit]
    val_size = min(cfg.val_size, len(x) // 5)
    train, val = split_validation(x, y, val_size, cfg.seed)
    extras = training_extras(cfg)  # a data problem fails before the drawing and TensorFlow
    lap("data")
    pen, gate_sets = cached_draw_data(cfg, train[0], val[0])
    lap("drawing")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log
    import keras
    import tensorflow as tf

    from train.evaluate import evaluate, write_report
    from train.fit import fit, to_float
    from train.model import build_model
    from train.push import file_sha256
    from train.save import save_atomic

    keras.utils.set_random_seed(cfg.seed)  # Python, NumPy and TensorFlow
    tf.config.experimental.enable_op_determinism()
    # Pen digits and extra digits join training; held-out pen writers join validation.
    fit_train = (np.concatenate([train[0], extras.digits, *([pen.x_train] if pen else [])]),
                 np.concatenate([train[1], extras.digit_labels, *([pen.y_train] if pen else [])]))
    fit_val = val if pen is None else (np.concatenate([val[0], pen.x_val]), np.concatenate([val[1], pen.y_val]))
    source = str(cfg.data_dir) if cfg.data_dir else cfg.hub_dataset
    print(f"data: {source}: {len(train[0])} train, {len(val[0])} validation, {len(data.x_test)} test digits"
          + (f"; pen digits: {len(pen.x_train)} drawings of {pen.train_writers} writers, "
             f"{len(pen.x_val)} of {pen.val_writers} held-out writers" if pen is not None else ""))

    lap("tensorflow")
    model = build_model()
    start = time.perf_counter()
    history = fit(model, fit_train, fit_val, cfg)
    seconds = time.perf_counter() - start

    probabilities = model.predict(to_float(data.x_test), batch_size=1000, verbose=0)
    metrics = evaluate(probabilities, data.y_test)
    if pen is not None and len(pen.x_val):
        pen_predicted = model.predict(to_float(pen.x_val), batch_size=1000, verbose=0).argmax(1)
        metrics["pen_val_accuracy"] = float((pen_predicted == pen.y_val).mean())
        metrics["pen_val_writers"] = pen.val_writers
    lap("digit_model")
    gate_metrics = None
    if gate_sets is not None:
        from train.gate import train_gate

        start_gate = time.perf_counter()
        empty = np.zeros((0, 28, 28), np.uint8)
        digits = np.concatenate([pen.x_train if pen else empty, extras.digits])
        gate, gate_metrics = train_gate(model, gate_sets, digits, pen.x_val if pen else empty, cfg,
                                        extra_not_digits=extras.not_digits)
        gate_metrics["train_seconds"] = round(time.perf_counter() - start_gate, 1)
        save_atomic(gate, cfg.gate_out)
        gate_metrics["gate_sha256"] = file_sha256(cfg.gate_out)
        metrics["gate"] = gate_metrics
        lap("gate")
    metrics.update(
        recipe=recipe(cfg), rebuild_flags=to_argv(cfg),  # the whole config: the run can be rebuilt from these
        best_epoch=history.pop("best_epoch"), val_accuracy=max(history["val_accuracy"]),
        epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
        augment=cfg.augment, seed=cfg.seed, train_samples=len(fit_train[0]), val_samples=len(fit_val[0]),
        mnist_train_samples=len(train[0]), training_sets=training_sets(cfg, source, len(train[0]), pen, gate_metrics),
        train_seconds=round(seconds, 1), data_source=source, cpu_count=os.cpu_count(),
        tensorflow_version=tf.__version__, keras_version=keras.__version__,
        parameters=model.count_params(), extra_data=extras.sources,
    )
    save_atomic(model, cfg.model_out)
    metrics["model_sha256"] = file_sha256(cfg.model_out)  # lets a later push check it is this model
    lap("save")
    metrics["stage_seconds"] = stages | {"total": round(sum(stages.values()), 1)}
    write_report(metrics, history, cfg.report_dir)
    print(f"test accuracy {metrics['test_accuracy']:.4f} (best epoch {metrics['best_epoch']}, "
          f"{seconds:.0f} s); saved {cfg.model_out} and {cfg.report_dir}/")
    if gate_metrics is not None:
        print(f"gate: threshold {gate_metrics['threshold']:.3f}; held-out digits refused {gate_metrics['val_refused']}; "
              f"non-digits answered {gate_metrics['val_answered']}; saved {cfg.gate_out}")
    return metrics


def main(argv=None) -> int:
    cfg = parse_args(argv)
    try:
        run(cfg)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if cfg.push:
        from train.push import run_push

        return run_push(cfg.model_out, cfg.report_dir, cfg.repo_id, cfg.min_accuracy, gate=cfg.gate_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
