"""`python -m train`: data -> model -> fit -> evaluate -> save (-> push)."""

import os
import sys
import time

import numpy as np

from train.config import TrainConfig, parse_args
from train.data import DataError, load_mnist, split_validation
from train.extra_data import training_extras


def run(cfg: TrainConfig) -> dict:
    """Train, evaluate and save as configured; return the metrics."""
    data = load_mnist(cfg.data_dir, cfg.hub_dataset)  # first: a data problem fails before TensorFlow loads
    extras = training_extras(cfg)  # extras.not_digits: negative examples for the not-a-digit gate
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
    x, y = data.x_train, data.y_train
    if cfg.limit:
        x, y = x[: cfg.limit], y[: cfg.limit]
    val_size = min(cfg.val_size, len(x) // 5)
    train, val = split_validation(x, y, val_size, cfg.seed)
    source = str(cfg.data_dir) if cfg.data_dir else cfg.hub_dataset
    print(f"data: {source}: {len(train[0])} train, {len(val[0])} validation, {len(data.x_test)} test digits")
    # Extra digits join the training split only: validation and test stay MNIST, comparable from run to run.
    train = (np.concatenate([train[0], extras.digits]), np.concatenate([train[1], extras.digit_labels]))

    model = build_model()
    start = time.perf_counter()
    history = fit(model, train, val, cfg)
    seconds = time.perf_counter() - start

    probabilities = model.predict(to_float(data.x_test), batch_size=1000, verbose=0)
    metrics = evaluate(probabilities, data.y_test)
    metrics.update(
        best_epoch=history.pop("best_epoch"), val_accuracy=max(history["val_accuracy"]),
        epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
        augment=cfg.augment, seed=cfg.seed, train_samples=len(train[0]), val_samples=len(val[0]),
        train_seconds=round(seconds, 1), data_source=source, cpu_count=os.cpu_count(),
        tensorflow_version=tf.__version__, keras_version=keras.__version__,
        parameters=model.count_params(), extra_data=extras.sources,
    )
    save_atomic(model, cfg.model_out)
    metrics["model_sha256"] = file_sha256(cfg.model_out)  # lets a later push check it is this model
    write_report(metrics, history, cfg.report_dir)
    print(f"test accuracy {metrics['test_accuracy']:.4f} (best epoch {metrics['best_epoch']}, "
          f"{seconds:.0f} s); saved {cfg.model_out} and {cfg.report_dir}/")
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

        return run_push(cfg.model_out, cfg.report_dir, cfg.repo_id, cfg.min_accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
