"""MNIST as uint8 arrays, from the Hub (`datasets`) or from a folder of IDX files."""

import gzip
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np

from recognizer.contract import IMAGE_SIZE

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class DataError(Exception):
    """A data source is missing, unreachable or malformed; the message names it."""


class Mnist(NamedTuple):
    x_train: np.ndarray  # (N, 28, 28) uint8, white digit on black
    y_train: np.ndarray  # (N,) int64
    x_test: np.ndarray
    y_test: np.ndarray


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder / (stem + '.gz')}: file not found (nor {stem} uncompressed)")


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzip or raw) into a uint8 array, checking magic and size."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if len(raw) < 8:
        raise DataError(f"{path}: truncated (only {len(raw)} bytes)")
    magic, count = struct.unpack(">II", raw[:8])
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise DataError(f"{path}: not an MNIST IDX file (magic {magic}, expected {IMAGES_MAGIC} or {LABELS_MAGIC})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = (count, *struct.unpack(f">{ndim - 1}I", raw[8:header])) if len(raw) >= header else None
    expected = header + (int(np.prod(shape)) if shape else 0)
    if shape is None or len(raw) != expected:
        raise DataError(f"{path}: truncated or padded ({len(raw)} bytes, expected {expected})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_idx_dir(folder: Path) -> Mnist:
    """Load the four classic MNIST IDX files from a folder."""
    folder = Path(folder)
    arrays = {key: read_idx(_find_idx(folder, stem)) for key, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(f"{folder}: {split} images have shape {images.shape[1:]}, expected 28x28")
        if len(images) != len(labels):
            raise DataError(f"{folder}: {len(images)} {split} images but {len(labels)} labels")
    return Mnist(arrays["train_images"], arrays["train_labels"].astype(np.int64),
                 arrays["test_images"], arrays["test_labels"].astype(np.int64))


def _split_arrays(split) -> tuple[np.ndarray, np.ndarray]:
    images = np.stack([np.asarray(im.convert("L"), dtype=np.uint8) for im in split["image"]])
    return images, np.asarray(split["label"], dtype=np.int64)


def load_hub_dataset(name: str, hint: str, **kwargs):
    """datasets.load_dataset(name, **kwargs), or DataError naming the source and ending with hint."""
    from datasets import load_dataset  # heavy; only the Hub paths need it

    try:
        return load_dataset(name, **kwargs)
    except (OSError, ConnectionError, ValueError) as e:
        # datasets/huggingface_hub raise OSError subclasses (and ValueError for missing
        # configs) when offline or when the repo is unknown.
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"cannot load {name!r} from the Hub ({first[:160]}); {hint}") from None


def load_hub(name: str = "ylecun/mnist") -> Mnist:
    """Load MNIST with `datasets` (Hub id or local folder in the ylecun/mnist schema)."""
    ds = load_hub_dataset(name, "offline, pass --data-dir with the MNIST IDX files")
    return Mnist(*_split_arrays(ds["train"]), *_split_arrays(ds["test"]))


def load_mnist(data_dir: Path | None, hub_dataset: str = "ylecun/mnist") -> Mnist:
    """Load MNIST from IDX files when data_dir is given, else from the Hub."""
    return load_idx_dir(data_dir) if data_dir is not None else load_hub(hub_dataset)


def split_validation(x: np.ndarray, y: np.ndarray, val_size: int, seed: int):
    """Hold out a seeded random validation set from the training split."""
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:val_size], order[val_size:]
    return (x[train], y[train]), (x[val], y[val])
