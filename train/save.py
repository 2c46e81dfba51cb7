"""Save the model atomically: an interrupted save never leaves a corrupt final model."""

import os
import tempfile
from pathlib import Path

import keras


def save_atomic(model: keras.Model, path: Path) -> None:
    """Save to a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp.keras")
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
