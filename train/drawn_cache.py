"""Drawn training sets kept between runs, keyed on everything that makes them.

Drawing 100k+ sketchpad drawings takes most of a training run's first ten minutes; a rerun with
the same data, recipe and code loads them instead. The key covers the recipe's fields (but those
that only shape the fitting: epochs, learning rate, the gate's width...), the data files' bytes,
the MNIST digits drawn, and the source of every module and function that draws or preprocesses:
change any of them and the sets are drawn again (a change to the fitting alone keeps them).
"""

import hashlib
import inspect
import json
import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Fields that act after the drawing: changing them keeps the drawn sets.
FITTING_ONLY = {"epochs", "batch_size", "learning_rate", "warmup_epochs", "augment", "aug",
                "calm_fraction", "calm_strength", "gate_epochs", "gate_width", "gate_refusal", "gate_screen",
                "gate_fragment_screen",
                "model_out", "gate_out", "report_dir", "min_accuracy", "push", "repo_id", "cache_dir", "extra_data"}
# The modules that draw and preprocess, whole; of the gate's module, its drawing functions.
DRAWING_MODULES = ("recognizer/strokes.py", "recognizer/preprocess.py", "recognizer/contract.py", "train/pen_data.py",
                   "train/skeleton.py", "train/conventions.py", "train/compose.py", "train/styles.py", "train/data.py")
GATE_DRAWING = ("gate_sizes", "draw_gate_sets", "draw_fragments", "draw_scribbles", "scribble_strokes", "doodle_split")


def _digest_file(path: Path, h) -> None:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)


def cache_key(recipe: dict, data_files: list[Path], arrays: list[np.ndarray]) -> str:
    """A hex digest of what makes the drawn sets: recipe, data files, input arrays and drawing code."""
    h = hashlib.sha256(json.dumps({k: v for k, v in recipe.items() if k not in FITTING_ONLY}, sort_keys=True).encode())
    for path in sorted(map(Path, data_files)):
        _digest_file(path, h)
    for array in arrays:
        h.update(np.ascontiguousarray(array).tobytes())
    for module in DRAWING_MODULES:
        h.update(module.encode())
        _digest_file(ROOT / module, h)
    from train import gate

    for name in GATE_DRAWING:
        h.update(inspect.getsource(getattr(gate, name)).encode())
    return h.hexdigest()[:24]


def save_sets(path: Path, pen, gate_sets: dict | None) -> None:
    """Write the pen sets (a NamedTuple or None) and the gate's sets (a dict of arrays or None), atomically."""
    arrays = {}
    if pen is not None:
        arrays.update({f"pen.{k}": np.asarray(v) for k, v in pen._asdict().items()})
    if gate_sets is not None:
        arrays.update({f"gate.{k}": v for k, v in gate_sets.items()})
    arrays["has"] = np.array([pen is not None, gate_sets is not None])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_sets(path: Path, pen_type):
    """(pen sets or None, gate sets or None) as save_sets wrote them."""
    with np.load(path, allow_pickle=False) as archive:
        has_pen, has_gate = archive["has"].tolist()
        pen = pen_type(**{k[4:]: (archive[k].item() if archive[k].ndim == 0 else archive[k])
                          for k in archive.files if k.startswith("pen.")}) if has_pen else None
        gate = {k[5:]: archive[k] for k in archive.files if k.startswith("gate.")} if has_gate else None
    return pen, gate
