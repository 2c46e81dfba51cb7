"""Real drawings beyond MNIST: UCI pen digits (UNIPEN text), Omniglot strokes, Quick, Draw! bitmaps.

Loaders return strokes or bitmaps as they are; `drawn_inputs` turns strokes into the model's
28x28 inputs the way the app sees them: drawn on a sketchpad canvas, then preprocessed.
"""

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np

from train.data import DataError

PENDIGITS_TRAIN, PENDIGITS_TEST = "pendigits-orig.tra", "pendigits-orig.tes"
UJIPEN_FILE = "ujipenchars2-digits.txt"  # a test collection: never trained on
OMNIGLOT_FILE, QUICKDRAW_FILE = "omniglot.npz", "doodles_28x28.npz"
LICENCES = {"mnist": "CC BY-SA 3.0", "pendigits": "CC BY 4.0", "omniglot": "MIT", "quickdraw": "CC BY 4.0",
            "ujipen": "CC BY 4.0"}


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


def read_ujipen(path: Path) -> list[PenDigit]:
    """Parse UJIpenchars2's digits (y down; writer = its W number); DataError naming the file and line if malformed.

    A test collection of another place and habit (crossed 7s, flagged 1s): never train on it.
    """
    path = _checked(Path(path))
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list = []
    expected = 0

    def close_digit(number: int):
        if label is not None and len(strokes) != expected:
            raise DataError(f"{path}:{number}: digit {label} of W{writer:02d} has {len(strokes)} of {expected} strokes")
        if label is not None:
            digits.append(PenDigit(strokes, label, writer))

    lines = path.read_text(encoding="ascii").splitlines()
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0].startswith("//"):
            continue
        try:
            if words[0] == "WORD":
                close_digit(number)
                label, session = int(words[1]), words[2]
                if not 0 <= label <= 9:
                    raise ValueError(f"label {label} is not a digit")
                writer, strokes, expected = int(session.split("_W")[1].split("-")[0]), [], 0
            elif words[0] == "NUMSTROKES" and label is not None:
                expected = int(words[1])
            elif words[0] == "POINTS" and label is not None:
                count, values = int(words[1]), words[3:]
                if words[2] != "#" or len(values) != 2 * count or count < 1:
                    raise ValueError(f"{len(values)} numbers for {count} points")
                strokes.append(np.asarray(values, np.float32).reshape(count, 2))
            else:
                raise ValueError("unexpected line")
        except (ValueError, IndexError) as e:
            raise DataError(f"{path}:{number}: malformed line {line.strip()[:60]!r} ({e})") from None
    close_digit(len(lines))
    if not digits:
        raise DataError(f"{path}: no digits found: not a UJIpenchars2 file?")
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


DRAW_CHUNK = 1000  # items per task: the chunking, not the worker count, fixes each item's random style


def _draw_chunk(items, kind: str, seed_sequence, styles) -> np.ndarray:
    from recognizer.preprocess import to_model_input
    from recognizer.strokes import render_strokes
    from train.skeleton import skeleton_strokes
    from train.styles import random_style

    rng = np.random.default_rng(seed_sequence)
    # Bitmaps are redrawn along their skeletons, as strokes (at 2x: four times cheaper than 4x, and
    # the brush hides the difference), so every training drawing is inked the same way.
    strokes = skeleton_strokes(np.asarray(items), upsample=2) if kind == "bitmap" else items
    out = np.zeros((len(items), 28, 28), np.uint8)
    for i, item in enumerate(strokes):
        if len(item) == 0:
            continue
        x = to_model_input(render_strokes(item, random_style(rng, styles=styles)))
        if x is not None:
            out[i] = np.round(x * 255)
    return out


def drawn_inputs(items, kind: str, seed: int, workers: int | None = None, styles=None) -> np.ndarray:
    """Strokes (kind "strokes") or white-on-black bitmaps ("bitmap"), each drawn on a sketchpad canvas in
    a random visitor style (within styles, a train.config.Styles; the recipe's by default) and preprocessed
    as the app does: (N, 28, 28) uint8; zeros where blank.

    Runs on all cores; the result depends only on the items, the seed and the styles.
    """
    if kind not in ("strokes", "bitmap"):
        raise ValueError(f"kind must be 'strokes' or 'bitmap', not {kind!r}")
    chunks = [items[i: i + DRAW_CHUNK] for i in range(0, len(items), DRAW_CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    if workers <= 1:
        parts = [_draw_chunk(chunk, kind, s, styles) for chunk, s in zip(chunks, seeds)]
    else:
        # spawn, not fork: the caller may already hold TensorFlow's threads
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_draw_chunk, chunks, [kind] * len(chunks), seeds, [styles] * len(chunks)))
    return np.concatenate(parts) if parts else np.zeros((0, 28, 28), np.uint8)


class PenSets(NamedTuple):
    x_train: np.ndarray  # (N, 28, 28) uint8: each training writer's digit drawn `copies` times
    y_train: np.ndarray
    x_val: np.ndarray  # held-out writers' digits drawn once, then again in a convention: validation and the gate's threshold
    y_val: np.ndarray
    train_writers: int
    val_writers: int


def pen_writers_split(pen_file: Path, val_writers: int, limit: int | None = None) -> tuple[list, list]:
    """The training file's pen digits split by writer: (training writers', the last val_writers' digits).

    limit keeps only that many digits (of all writers, in file order) for quick runs.
    """
    digits = read_unipen(_checked(Path(pen_file)))[:limit]
    writers = sorted({d.writer for d in digits})
    held_out = set(writers[len(writers) - val_writers:]) if val_writers else set()
    return [d for d in digits if d.writer not in held_out], [d for d in digits if d.writer in held_out]


def pen_sets(folder: Path, copies: int, val_writers: int, seed: int, limit: int | None = None,
             conventions: float = 0.0, styles=None) -> PenSets:
    """The training file's writers split by writer: the last val_writers held out, the rest drawn copies times.

    A seeded `conventions` share of the training drawings of 0, 1, 4, 5, 7 and 9 is redrawn in a writing
    convention (train.conventions); the held-out writers' digits are drawn as written and, where one
    fits, once more in a convention, so the gate's threshold counts these styles too.
    limit keeps only that many digits (of all writers, in file order) for quick runs.
    """
    from train.conventions import draw_convention, with_conventions

    train, val = pen_writers_split(Path(folder) / PENDIGITS_TRAIN, val_writers, limit)
    strokes = with_conventions([(d.strokes, d.label) for d in train] * copies, conventions, seed + 2)
    x_train = drawn_inputs(strokes, "strokes", seed, styles=styles)
    y_train = np.tile(np.array([d.label for d in train], np.int64), copies)
    rng = np.random.default_rng(seed + 3)
    styled = [(made[0], d.label) for d in val if conventions
              and (made := draw_convention(d.strokes, d.label, rng)) is not None]
    x_val = drawn_inputs([d.strokes for d in val] + [s for s, _ in styled], "strokes", seed + 1, styles=styles)
    y_val = np.array([d.label for d in val] + [label for _, label in styled], np.int64)
    return PenSets(x_train, y_train, x_val, y_val, len({d.writer for d in train}), len({d.writer for d in val}))
