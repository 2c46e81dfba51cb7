"""Evaluate on the official test split; write metrics.json and the plots."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from recognizer.contract import CLASS_NAMES, NUM_CLASSES  # noqa: E402

CURVES_PNG, CONFUSION_PNG, METRICS_JSON = "training_curves.png", "confusion_matrix.png", "metrics.json"


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, per-class accuracy and confusion matrix (rows: true, columns: predicted)."""
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "test_accuracy": float((predicted == labels).mean()),
        "test_samples": int(len(labels)),
        "per_class_accuracy": {name: float(a) for name, a in zip(CLASS_NAMES, per_class)},
        "confusion_matrix": confusion.tolist(),
    }


def plot_curves(history: dict, path: Path) -> None:
    """Accuracy and loss per epoch, training against validation."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("accuracy", "loss")):
        ax.plot(epochs, history[key], label="train")
        ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set(xlabel="epoch", ylabel=key, title=key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(confusion: list, path: Path) -> None:
    """Confusion matrix of the test split, counts written in each cell."""
    matrix = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if i == j else "black")
    ax.set(xticks=range(NUM_CLASSES), yticks=range(NUM_CLASSES), xlabel="predicted", ylabel="true",
           title="MNIST test confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(metrics: dict, history: dict, report_dir: Path) -> None:
    """Write metrics.json, training_curves.png and confusion_matrix.png into report_dir."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / METRICS_JSON).write_text(json.dumps(metrics, indent=2) + "\n")
    plot_curves(history, report_dir / CURVES_PNG)
    plot_confusion(metrics["confusion_matrix"], report_dir / CONFUSION_PNG)
