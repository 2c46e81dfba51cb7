"""Extra training samples from `--extra-data SRC`: the Space's corrections, as a local folder or a Hub dataset.

SRC is an imagefolder as recognizer/feedback.py writes it (metadata.jsonl files beside 28x28 PNGs of
the drawings as the model saw them, a `label` of "0".."9", "not a digit" or a number), or the id of a
Hub dataset in that layout (or with a ClassLabel `label` and an `image` column of 28x28 digits).

A number's digits are learnt from its parts, each stored with its own digit; the number's whole
drawing is not a digit's example and is skipped, as are rows stored before numbers could be corrected
that hold a number's drawing under one digit's label (no `part`, a `predicted` of several digits).
"""

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from recognizer.contract import IMAGE_SIZE, NOT_A_DIGIT
from recognizer.feedback import ANSWERS, METADATA
from train.config import TrainConfig
from train.data import DataError, load_hub_dataset

NOT_A_DIGIT_LABEL = -1  # in the labels load_extra returns


class TrainingExtras(NamedTuple):
    """Every extra source's samples, split into what the digit model and the not-a-digit gate take."""

    digits: np.ndarray  # (N, 28, 28) uint8, white on black: added to the training digits
    digit_labels: np.ndarray  # (N,) int64
    not_digits: np.ndarray  # (M, 28, 28) uint8: negative examples for the not-a-digit gate
    sources: list  # one summary per source, as load_extra gives it: metrics.json's extra_data


def label_index(label, where: str) -> int:
    """The digit for "0".."9" (or 0..9), -1 for "not a digit"; DataError for anything else."""
    text = str(label).strip().lower()
    if text not in ANSWERS:
        raise DataError(f"{where}: label {label!r} is neither a digit 0-9 nor {NOT_A_DIGIT!r}")
    return NOT_A_DIGIT_LABEL if text == NOT_A_DIGIT else int(text)


def teaches_one_digit(label, predicted=None, part=None) -> bool:
    """Whether a stored row is one digit's example (or a drawing that is no digit): not a number's whole
    drawing, nor a number's drawing stored the old way under one digit's label."""
    text, said = str(label).strip().lower(), str(predicted or "").strip()
    if text.isdigit() and len(text) > 1:  # a number's whole drawing; anything else label_index checks
        return False
    return not (part is None and text != NOT_A_DIGIT and said.isdigit() and len(said) > 1)


def model_input_array(image: Image.Image, where: str) -> np.ndarray:
    """A stored 28x28 model input -> uint8 (28, 28), white on black as it was stored."""
    if image.size != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{where}: a {image.size[0]}x{image.size[1]} image; expected the 28x28 model input "
                        "the Space stores")
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _read_row(metadata: Path, number: int, line: str) -> tuple[np.ndarray, int] | None:
    """(image, label) of one metadata row; None for a row that teaches no one digit."""
    where = f"{metadata}:{number}"
    try:
        row = json.loads(line)
        if not teaches_one_digit(row["label"], row.get("predicted"), row.get("part")):
            return None
        path = (metadata.parent / row["file_name"]).resolve()
        if not path.is_relative_to(metadata.parent.resolve()):
            raise ValueError(f"file_name {row['file_name']!r} points outside {metadata.parent}")
        with Image.open(path) as image:
            x = model_input_array(image, f"{where}: {path.name}")
    except (OSError, ValueError, KeyError, TypeError) as e:  # unreadable row or image, missing field
        raise DataError(f"{where}: {type(e).__name__}: {e}") from None
    return x, label_index(row.get("label"), where)


def read_folder(folder: Path) -> list[tuple[np.ndarray, int] | None]:
    """(image, label) for every row of every metadata.jsonl under folder; None for a row that teaches no one digit."""
    files = sorted(folder.rglob(METADATA))
    if not files:
        raise DataError(f"{folder}: no {METADATA} in it; expected a folder of corrections as the Space stores them")
    return [_read_row(path, number, line) for path in files
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]


def read_hub(name: str) -> list[tuple[np.ndarray, int] | None]:
    """(image, label) for every sample of a Hub dataset's train split; None for one that teaches no one digit."""
    ds = load_hub_dataset(name, "not a local folder either; offline, pass the corrections' folder", split="train")
    if not {"image", "label"} <= set(ds.column_names):
        raise DataError(f"{name}: columns {ds.column_names}; expected 'image' and 'label'")
    feature = ds.features["label"]
    names = feature.names if hasattr(feature, "names") else None  # a ClassLabel stores indices into its names
    labels = [names[label] if names else label for label in ds["label"]]
    column = lambda key: ds[key] if key in ds.column_names else [None] * len(ds)  # noqa: E731
    return [(model_input_array(ds[i]["image"], f"{name}[{i}]"), label_index(label, f"{name}[{i}]"))
            if teaches_one_digit(label, predicted, part) else None
            for i, (label, predicted, part) in enumerate(zip(labels, column("predicted"), column("part")))]


def load_extra(src: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """SRC -> (uint8 (N, 28, 28) images as the model saw them, int64 labels with -1 = not a digit, summary)."""
    rows = read_folder(Path(src)) if Path(src).is_dir() else read_hub(src)
    samples = [row for row in rows if row is not None]
    if not samples:
        raise DataError(f"{src}: no samples in it" + (f" ({len(rows)} rows, none of one digit)" if rows else ""))
    images = np.stack([x for x, _ in samples])
    labels = np.array([y for _, y in samples], dtype=np.int64)
    digits = int((labels != NOT_A_DIGIT_LABEL).sum())
    return images, labels, {"source": src, "samples": len(labels), "digits": digits, "not_digits": len(labels) - digits,
                            "skipped": len(rows) - len(samples)}


def training_extras(cfg: TrainConfig) -> TrainingExtras:
    """Every --extra-data source loaded, split into digits and not-digits; prints what each one gave."""
    images = [np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)]
    labels = [np.zeros(0, np.int64)]
    sources = []
    for src in cfg.extra_data:
        x, y, summary = load_extra(src)
        print(f"extra data: {src}: {summary['samples']} samples ({summary['digits']} digits, "
              f"{summary['not_digits']} not a digit); skipped {summary['skipped']} rows that are no one digit "
              "(numbers' whole drawings, numbers stored under one digit's label)")
        images.append(x)
        labels.append(y)
        sources.append(summary)
    x, y = np.concatenate(images), np.concatenate(labels)
    digit = y != NOT_A_DIGIT_LABEL
    return TrainingExtras(x[digit], y[digit], x[~digit], sources)
