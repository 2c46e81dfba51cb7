"""Load a model file safely and predict digits from drawings."""

import zipfile
from pathlib import Path

import cv2
import keras
import numpy as np
import tensorflow as tf

from recognizer.contract import CLASS_NAMES, IMAGE_SIZE, INPUT_SHAPE, NUM_CLASSES, check_gate_io, check_model_io
from recognizer.preprocess import ink_map, ink_to_model_input
from recognizer.reading import Reading, best_parts, decide, group_refusals, part_gain, part_scores
from recognizer.segment import Digit, candidates, split_digits
from recognizer.stroke_input import Drawing, draw_ink
from recognizer.stroke_segment import (MAX_PEN_STROKES, Option, Part, cut_option, draw_set, inner_strokes,
                                       likeliest_on_a_line, may_hold_two, own_strokes, run_scores, stroke_groups,
                                       stroke_sets)


class ModelFileError(Exception):
    """A model file is missing, corrupt or breaks the input/output contract."""


def load_model_file(path: Path, check=check_model_io) -> keras.Model:
    """Load a .keras file with safe_mode (no code from the file runs) and check its contract."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
        check(model)
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
    """The digit reader (and the not-a-digit gate, when given) compiled into one graph and warmed up.

    One call reads every part of a drawing: the digit model on each part and its test-time
    rotations, the gate on each part, in one batch.
    """

    def __init__(self, model: keras.Model, source: str = "local", test_accuracy: float | None = None,
                 tta_angles=TTA_ANGLES, gate: keras.Model | None = None):
        check_model_io(model)
        if gate is not None:
            check_gate_io(gate)
        self.model, self.source, self.test_accuracy, self.gate = model, source, test_accuracy, gate
        self.tta_angles = tta_angles
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
        )
        copies = len(tta_angles)

        def read(batch):  # rotated copies, angle-major: the first part count rows are the parts as drawn
            parts = tf.shape(batch)[0] // copies
            digits = tf.reduce_mean(tf.reshape(model(batch, training=False), [copies, parts, NUM_CLASSES]), axis=0)
            not_digit = gate(batch[:parts], training=False)[:, 0] if gate is not None else tf.zeros([parts])
            return digits, not_digit

        self._read = tf.function(read, input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)])
        self.predict_input(np.zeros(INPUT_SHAPE[:2], np.float32))  # trace now, not on the first visitor

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 -> (N, 10) softmax probabilities of the digit model alone."""
        return self._forward(tf.convert_to_tensor(batch, tf.float32)).numpy()

    def read_inputs(self, inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Model inputs (28, 28) -> ((P, 10) digit probabilities averaged over rotations, (P,) P(not a digit))."""
        batch = np.concatenate([rotations(x, self.tta_angles) for x in inputs], axis=0)
        order = np.arange(len(batch)).reshape(len(inputs), len(self.tta_angles)).T.ravel()  # angle-major
        digits, not_digit = self._read(tf.convert_to_tensor(batch[order], tf.float32))
        return digits.numpy(), not_digit.numpy()

    def predict_input(self, x: np.ndarray | None) -> dict[str, float]:
        """A preprocessed (28, 28) input -> {digit: probability}; {} for None (blank)."""
        if x is None:
            return {}
        return dict(zip(CLASS_NAMES, self.read_inputs([x])[0][0].tolist()))

    def read_ink(self, ink: np.ndarray | None) -> Reading:
        """An ink map -> its Reading: every candidate part read in one model call, the likeliest parts kept."""
        return self.read_parts(ink)[0]

    def read_parts(self, ink: np.ndarray | None) -> tuple[Reading, list[Digit]]:
        """An ink map -> its Reading and the parts it reads, left to right (segment.candidates, reading.best_parts)."""
        found = candidates(ink)
        inputs = [ink_to_model_input(part.ink) for part in found.parts]
        readable = [k for k, x in enumerate(inputs) if x is not None]
        if not readable:
            return decide(np.zeros((0, NUM_CLASSES)), np.zeros(0), []), []
        digits, not_digit = self.read_inputs([inputs[k] for k in readable])
        scores: list[float | None] = [None] * len(inputs)
        refusals: list[float | None] = [None] * len(inputs)
        for k, score, refusal in zip(readable, part_scores(digits, not_digit), not_digit):
            scores[k], refusals[k] = float(score), float(refusal)
        chosen = best_parts(scores, found.spans, found.wholes, found.pieces)
        rows = [readable.index(k) for k in chosen]
        parts = [found.parts[k] for k in chosen]
        refused = group_refusals(refusals, found.spans, found.wholes, chosen)
        reading = decide(digits[rows], refused, [inputs[k] for k in chosen], [part.box for part in parts])
        return reading, parts

    def read_strokes(self, drawing: Drawing) -> Reading:
        """A drawing's pen strokes, in writing order -> its Reading: runs of strokes read as digits (stroke_segment)."""
        return self.read_stroke_parts(drawing)[0]

    def read_stroke_parts(self, drawing: Drawing) -> tuple[Reading, list[Digit]]:
        """Pen strokes -> their Reading and the parts it reads, left to right: every candidate run of strokes
        (and the image path's cuts of a stroke that may hold two digits) read in one model call, the cover
        of the strokes with the largest product of part scores kept (recognizer.stroke_segment)."""
        strokes, brush = drawing.strokes, drawing.brush
        if len(strokes) > MAX_PEN_STROKES:  # a scribble: the picture's candidates are bounded
            return self.read_parts(draw_ink(drawing))
        together = inner_strokes(strokes, brush)
        groups = stroke_groups(strokes, split_digits(draw_ink(drawing)))
        sets = [draw_set(strokes, members, brush) for members in stroke_sets(strokes, brush, groups, together)]
        inputs = [ink_to_model_input(s.ink) for s in sets]
        cuts = {}  # set index -> (the image path's candidates of its stroke, the index of their first input)
        for k, stroke_set in enumerate(sets):
            found = candidates(stroke_set.ink) if may_hold_two(stroke_set) else None
            if found is not None and len(found.parts) > 1:
                cuts[k] = found, len(inputs)
                inputs += [ink_to_model_input(part.ink) for part in found.parts]
        readable = [i for i, x in enumerate(inputs) if x is not None]
        if not readable:
            return decide(np.zeros((0, NUM_CLASSES)), np.zeros(0), []), []
        digits, not_digit = self.read_inputs([inputs[i] for i in readable])
        row = {i: r for r, i in enumerate(readable)}
        scores = dict(zip(readable, part_scores(digits, not_digit).tolist()))
        refusals = dict(zip(readable, not_digit.tolist()))
        runs = [k for k in range(len(sets)) if k in row]
        counted = run_scores(digits[[row[k] for k in runs]], not_digit[[row[k] for k in runs]],
                             [own_strokes(sets[k].strokes, together) for k in runs])
        options = [Option(sets[k].strokes, part_gain(score), [Part(k, Digit(sets[k].box, sets[k].ink), refusals[k])])
                   for k, score in zip(runs, counted.tolist())]
        options += [option for k, (found, first) in cuts.items()
                    for option in cut_option(sets[k], found, first, scores, refusals)]
        # A stray mark (a speck the image path drops) or a stroke too faint or small to read alone may be left out.
        skippable = groups < 0
        skippable[[s.strokes[0] for k, s in enumerate(sets) if len(s.strokes) == 1 and k not in row]] = True
        parts = likeliest_on_a_line(len(strokes), options, skippable)
        if not parts:  # no digits written left to right: a picture, then
            return self.read_parts(draw_ink(drawing))
        reading = decide(digits[[row[p.input] for p in parts]], np.array([p.refusal for p in parts]),
                         [inputs[p.input] for p in parts], [p.digit.box for p in parts], apart=True)
        return reading, [p.digit for p in parts]

    def read(self, image) -> Reading:
        """Any drawing or image -> its Reading (InvalidImage for what cannot be read as an image)."""
        return self.read_ink(ink_map(image))
