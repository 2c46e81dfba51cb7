"""Load a model file safely and predict digits from drawings."""

import zipfile
from pathlib import Path

import cv2
import keras
import numpy as np
import tensorflow as tf

from recognizer.contract import CLASS_NAMES, IMAGE_SIZE, INPUT_SHAPE, check_model_io
from recognizer.preprocess import to_model_input


class ModelFileError(Exception):
    """A model file is missing, corrupt or breaks the input/output contract."""


def load_model_file(path: Path) -> keras.Model:
    """Load a .keras file with safe_mode (no code from the file runs) and check its contract."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
        check_model_io(model)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, zipfile.BadZipFile) as e:
        raise ModelFileError(f"{path}: not a usable model ({type(e).__name__}: {str(e)[:200]})") from None
    return model


# Test-time averaging over small rotations of the preprocessed drawing: one batched model call.
TTA_ANGLES = (0.0, -8.0, 8.0)


def rotations(x: np.ndarray, angles=TTA_ANGLES) -> np.ndarray:
    """(28, 28) input -> (len(angles), 28, 28, 1) copies rotated about the centre."""
    centre = ((IMAGE_SIZE - 1) / 2,) * 2
    return np.stack([x if a == 0 else cv2.warpAffine(x, cv2.getRotationMatrix2D(centre, a, 1.0), x.shape[::-1])
                     for a in angles])[..., None]


class Predictor:
    """A model compiled once into a graph and warmed up, so each call costs about a millisecond."""

    def __init__(self, model: keras.Model, source: str = "local", test_accuracy: float | None = None,
                 tta_angles=TTA_ANGLES):
        check_model_io(model)
        self.model, self.source, self.test_accuracy = model, source, test_accuracy
        self.tta_angles = tta_angles
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
        )
        self.predict_input(np.zeros(INPUT_SHAPE[:2], np.float32))  # trace now, not on the first visitor

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 -> (N, 10) softmax probabilities."""
        return self._forward(tf.convert_to_tensor(batch, tf.float32)).numpy()

    def predict_input(self, x: np.ndarray | None) -> dict[str, float]:
        """A preprocessed (28, 28) input -> {digit: probability}; {} for None (blank)."""
        if x is None:
            return {}
        return dict(zip(CLASS_NAMES, self.probabilities(rotations(x, self.tta_angles)).mean(axis=0).tolist()))

    def predict(self, image) -> dict[str, float]:
        """Any drawing or image -> {digit: probability} for all 10 digits; {} for a blank one."""
        return self.predict_input(to_model_input(image))


EMPTY_MESSAGE = "Draw a digit"
# Below this top probability the drawing is reported as "not a digit?". Calibrated on held-out
# re-drawn test digits and non-digit scribbles: benchmarks/calibrate_threshold.py.
UNSURE_BELOW = 0.6
TOP_K = 3
PREVIEW_SCALE = 8


def label_value(probabilities: dict[str, float]) -> dict[str, float] | str:
    """What the label shows: the top digits, a prompt for a blank canvas, or a doubt."""
    if not probabilities:
        return EMPTY_MESSAGE
    top = sorted(probabilities.items(), key=lambda kv: kv[1], reverse=True)[:TOP_K]
    digit, confidence = top[0]
    if confidence < UNSURE_BELOW:
        return f"Not a digit? (best guess {digit}, {confidence:.0%})"
    return dict(top)


def preview(x: np.ndarray | None) -> np.ndarray | None:
    """The 28x28 model input, upscaled with nearest neighbour so a person can read it."""
    if x is None:
        return None
    image = (x * 255).astype(np.uint8)
    return image.repeat(PREVIEW_SCALE, axis=0).repeat(PREVIEW_SCALE, axis=1)
