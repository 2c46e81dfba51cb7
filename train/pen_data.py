"""Real drawings beyond MNIST: UCI pen digits (UNIPEN text), Omniglot strokes, Quick, Draw! bitmaps.

Loaders return strokes or bitmaps as they are; `drawn_inputs` turns strokes into the model's
28x28 inputs the way the app sees them: drawn on a sketchpad canvas, then preprocessed.
"""

import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from train.data import DataError

PENDIGITS_TRAIN, PENDIGITS_TEST = "pendigits-orig.tra", "pendigits-orig.tes"
OMNIGLOT_FILE, QUICKDRAW_FILE = "omniglot.npz", "doodles_28x28.npz"
LICENCES = {"mnist": "CC BY-SA 3.0", "pendigits": "CC BY 4.0", "omniglot": "MIT", "quickdraw": "CC BY 4.0"}


class PenDigit(NamedTuple):
    strokes: list  # of (K, 2) float32 arrays: x, y with y growing downwards, tablet units
    label: int
    writer: int  # numbered per file


def read_unipen(path: Path) -> list[PenDigit]:
    """Parse a UCI pen-digits file (.tra/.tes); DataError naming the file and line when it is malformed."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list = []
    points: list | None = None  # the open stroke, between .PEN_DOWN and .PEN_UP

    def close_digit(number: int):
        if label is None:
            return
        if points is not None:
            raise DataError(f"{path}:{number}: a stroke is still open (.PEN_DOWN without .PEN_UP): truncated file?")
        if not strokes:
            raise DataError(f"{path}:{number}: digit {label!r} has no strokes: truncated file?")
        digits.append(PenDigit(strokes, label, -1 if writer is None else writer))

    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == ".SEGMENT":
                close_digit(number)
                label, writer, strokes, points = int(words[-1].strip('"')), None, [], None
                if not 0 <= label <= 9:
                    raise ValueError(f"label {label} is not a digit")
            elif words[0] == ".COMMENT" and label is not None:
                writer = int(words[2])
            elif words[0] == ".PEN_DOWN":
                if label is None or points is not None:
                    raise ValueError(".PEN_DOWN outside a digit or inside a stroke")
                points = []
            elif words[0] == ".PEN_UP":
                if points is None or not points:
                    raise ValueError(".PEN_UP without a stroke")
                xy = np.asarray(points, np.float32)
                xy[:, 1] = -xy[:, 1]  # the tablet's y grows upwards, the canvas's downwards
                strokes.append(xy)
                points = None
            elif points is not None:
                x, y = words
                points.append((int(x), int(y)))
            elif not words[0].startswith("."):
                raise ValueError("coordinates outside a stroke")
        except (ValueError, IndexError) as e:
            raise DataError(f"{path}:{number}: malformed line {line.strip()[:60]!r} ({e})") from None
    close_digit(len(lines))
    if not digits:
        raise DataError(f"{path}: no digits found: not a UCI pen-digits file?")
    return digits


def md5_matches(path: Path) -> bool:
    """Whether a file's md5 equals the one its folder's MD5SUMS lists (True when no sum is listed)."""
    sums = Path(path).parent / "MD5SUMS"
    if not sums.is_file():
        return True
    listed = dict(reversed(line.split()) for line in sums.read_text().splitlines() if line.strip())
    expected = listed.get(Path(path).name)
    return expected is None or hashlib.md5(Path(path).read_bytes()).hexdigest() == expected


def _checked(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if not md5_matches(path):
        raise DataError(f"{path}: md5 differs from {path.parent / 'MD5SUMS'}: corrupt or replaced file")
    return path


def read_omniglot(path: Path, split: str) -> list[list[np.ndarray]]:
    """Omniglot characters of one split (train/valid/test) as lists of (K, 2) strokes, y down."""
    path = _checked(Path(path))
    try:
        with np.load(path, allow_pickle=True, encoding="latin1") as archive:  # md5-checked above
            items = archive[split]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: cannot read split {split!r} ({e})") from None
    characters = []
    for item in items:
        xy = np.cumsum(item[:, :2].astype(np.float32), axis=0)
        ends = np.flatnonzero(item[:, 2] == 1) + 1
        strokes = [s for s in np.split(xy, ends) if len(s)]
        if strokes:
            characters.append(strokes)
    return characters


class Doodles(NamedTuple):
    images: np.ndarray  # (N, 28, 28) uint8, white on black
    labels: np.ndarray  # (N,) index into categories
    categories: list[str]


def read_quickdraw(path: Path) -> Doodles:
    """Quick, Draw! 28x28 doodles with their categories."""
    path = _checked(Path(path))
    try:
        with np.load(path) as archive:
            images, labels, categories = archive["X"], archive["y"], archive["categories"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    return Doodles(images.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64), [str(c) for c in categories])


def drawn_inputs(items, render, seed: int) -> np.ndarray:
    """Each item drawn in a random visitor style by render(item, style), then preprocessed: (N, 28, 28) uint8.

    A drawing that preprocessing finds blank comes out as zeros.
    """
    from recognizer.preprocess import to_model_input
    from recognizer.strokes import random_style

    rng = np.random.default_rng(seed)
    out = np.zeros((len(items), 28, 28), np.uint8)
    for i, item in enumerate(items):
        x = to_model_input(render(item, random_style(rng)))
        if x is not None:
            out[i] = np.round(x * 255)
    return out
