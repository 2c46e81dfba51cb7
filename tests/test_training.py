"""A short real training run on a small real MNIST subset, through the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import MNIST_DIR, ROOT, offline_env
from train.augment import prepare_training_images
from train.config import parse_args
from train.fit import to_float, training_dataset


def test_short_training_run_learns_real_digits(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "train", "--data-dir", str(MNIST_DIR), "--limit", "2000", "--epochs", "2",
         "--batch-size", "32", "--calm-fraction", "0.5",  # one epoch of each augmentation phase
         "--model-out", str(out / "final_model.keras"), "--report-dir", str(out / "reports")],
        cwd=ROOT, capture_output=True, text=True, env=offline_env(tmp_path), timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "reports" / "metrics.json").read_text())
    # 1,600 augmented training digits, 2 epochs: measured 88.1% on the 10,000 unseen test digits.
    assert metrics["test_accuracy"] >= 0.85, metrics["test_accuracy"]
    assert metrics["train_samples"] == 1600 and metrics["val_samples"] == 400
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 10000
    assert set(metrics["per_class_accuracy"]) == {str(d) for d in range(10)}
    for png in ("training_curves.png", "confusion_matrix.png"):
        assert (out / "reports" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "final_model.keras").stat().st_size > 100_000


def test_augmented_batches_are_seeded_and_in_range(mnist):
    cfg = parse_args(["--seed", "3", "--batch-size", "32"])
    x, skeletons = prepare_training_images(mnist.x_train[:256], mnist.y_train[:256], cfg.seed, cfg.writer_strokes)
    y = mnist.y_train[:256]
    first = next(iter(training_dataset(x, y, cfg, skeletons)))
    again = next(iter(training_dataset(x, y, cfg, skeletons)))
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    images = first[0].numpy()
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    # augmented, not copied: no batch image equals an original digit
    originals = to_float(x)
    assert not any(np.array_equal(img, o) for img in images for o in originals)


def test_cli_flags_have_help_text():
    result = subprocess.run([sys.executable, "-m", "train", "--help"], cwd=ROOT, capture_output=True, text=True)
    for flag in ("--epochs", "--batch-size", "--seed", "--model-out", "--report-dir", "--limit", "--data-dir",
                 "--push", "--calm-fraction", "--writer-strokes"):
        assert flag in result.stdout


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--limit", "5"], ["--calm-fraction", "1.5"]])
def test_cli_rejects_bad_flags(argv):
    with pytest.raises(SystemExit):
        parse_args(argv)
