"""Turn anything a sketchpad or an API client sends into the model's 28x28 input.

The MNIST recipe: dark-on-light becomes white-on-black, crop to the ink, normalise the
stroke width, scale to fit 20x20 keeping the aspect ratio, centre by centre of mass in
28x28, scale to [0, 1]. Everything after the first crop runs on a small working copy,
so the cost does not grow with the canvas.
"""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from recognizer.contract import DIGIT_BOX, IMAGE_SIZE

MAX_SIDE = 2048  # larger inputs are downscaled first: bounded time and memory
WORK_SIDE = 4 * DIGIT_BOX  # working resolution of the cropped digit
# Median MNIST stroke width at the working resolution, as benchmarks/stroke_width.py measures it.
TARGET_STROKE = 9.0
INK_LEVEL = 0.25  # fraction of full ink that counts as ink for the bounding box
MIN_CONTRAST = 40  # on 0..255: less than this between ink and background is an empty canvas
MIN_INK_SIDE = 0.03  # a mark smaller than this fraction of the canvas is a speck, not a digit
# A stray mark (a click, a dot) beside the digit would shrink the digit to make room for it. A part of
# the ink is stray when it is small next to the largest part and far from the digit's other parts.
STRAY_SIZE = 0.3  # longest side, as a share of the largest part's
STRAY_GAP = 0.25  # distance from the digit's box, as a share of the box's longest side


class InvalidImage(ValueError):
    """The input cannot be read as an image; the message says why."""


def _as_array(image) -> np.ndarray | None:
    if image is None:
        return None
    if isinstance(image, (str, Path)):
        try:
            with Image.open(image) as im:
                im.load()
                image = im
        except (OSError, SyntaxError, ValueError) as e:  # PIL's errors for unreadable/truncated files
            raise InvalidImage(f"not a readable image: {Path(image).name} ({e})") from None
    if isinstance(image, Image.Image):
        if image.mode.startswith("I"):  # 16- or 32-bit grey: keep the full range, _to_uint8 scales it
            return np.asarray(image).astype(np.uint16 if image.mode.startswith("I;16") else np.int64)
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        return np.asarray(image)
    array = np.asarray(image)
    if array.dtype == object or array.size == 0:
        raise InvalidImage(f"not an image: {type(image).__name__} with shape {array.shape}")
    return array


def _merge_editor_value(value: dict):
    """The sketchpad's dict: its composite, else the background with the layers drawn over it."""
    if value.get("composite") is not None:
        return value["composite"]
    parts = [value.get("background"), *(value.get("layers") or [])]
    images = [Image.fromarray(_to_uint8(_as_array(part))).convert("RGBA") for part in parts if part is not None]
    if not images:
        return None
    merged = images[0]
    for layer in images[1:]:
        if layer.size == merged.size:
            merged = Image.alpha_composite(merged, layer)
    return merged


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return (array >> 8).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):  # wider integers: scale 16-bit ranges, clip the rest
        return (array >> 8 if array.max(initial=0) > 255 else array).clip(0, 255).astype(np.uint8)
    array = np.nan_to_num(array.astype(np.float32))
    if array.max(initial=0) <= 1.0:  # floats in [0, 1]
        array = array * 255
    return np.clip(array, 0, 255).astype(np.uint8)


def _downscale(array: np.ndarray) -> np.ndarray:
    height, width = array.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale >= 1:
        return array
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def _border(channel: np.ndarray) -> np.ndarray:
    return np.concatenate([channel[0], channel[-1], channel[:, 0], channel[:, -1]])


def ink_map(image) -> np.ndarray | None:
    """Any image form -> uint8 (H, W) where 255 is ink and 0 is background; None for no image."""
    if isinstance(image, dict):
        image = _merge_editor_value(image)
    array = _as_array(image)
    if array is None:
        return None
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise InvalidImage(f"unsupported image shape {array.shape}: expected grey, RGB or RGBA")
    array = _downscale(_to_uint8(array))
    if array.ndim == 2:
        grey = array
    else:
        channels = array.shape[2]
        if channels in (2, 4):
            alpha = cv2.extractChannel(array, channels - 1)
            if np.median(_border(alpha)) < 128:  # transparent background: the ink is the alpha channel
                return alpha
        grey = cv2.extractChannel(array, 0) if channels == 2 else cv2.cvtColor(
            array, cv2.COLOR_RGBA2GRAY if channels == 4 else cv2.COLOR_RGB2GRAY)
    # Dark ink on a light background is the usual drawing: invert it to MNIST's white on black.
    return cv2.bitwise_not(grey) if np.median(_border(grey)) >= 128 else np.ascontiguousarray(grey)


def _stroke_width(binary: np.ndarray) -> float:
    dist = cv2.distanceTransform(binary, cv2.DIST_L2, 3)
    ridge = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    return 2.0 * float(np.median(dist[ridge])) - 1.0 if ridge.any() else 0.0


def _normalise_stroke(work: np.ndarray) -> np.ndarray:
    """Dilate or erode a working-resolution digit towards MNIST's stroke width."""
    binary = (work >= 128).astype(np.uint8)
    width = _stroke_width(binary)
    change = int(round((TARGET_STROKE - width) / 2))  # pixels per side
    if change == 0 or width == 0:
        return work
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(change) + 1,) * 2)
    if change > 0:
        return cv2.dilate(work, kernel)
    eroded = cv2.erode(work, kernel)
    # Never erase a digit: keep the original if erosion would lose most of its ink.
    return eroded if (eroded >= 128).sum() > 0.2 * binary.sum() else work


def _rescale(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize by scale: bilinear when enlarging, area-averaged when shrinking."""
    if scale >= 1:
        return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    factor = int(1 / scale)
    if factor >= 2:
        # OpenCV averages areas 5x faster by a whole factor: pad with background to a multiple of it,
        # shrink by it, then finish with the small remaining scale. Later steps crop the padding away.
        image = cv2.copyMakeBorder(image, 0, -image.shape[0] % factor, 0, -image.shape[1] % factor,
                                   cv2.BORDER_CONSTANT, value=0)
        image = cv2.resize(image, (image.shape[1] // factor, image.shape[0] // factor), interpolation=cv2.INTER_AREA)
        scale *= factor
    height, width = image.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _bounding_box(ink: np.ndarray, level: int) -> tuple[int, int, int, int] | None:
    _, mask = cv2.threshold(ink, level - 1, 255, cv2.THRESH_BINARY)
    x, y, w, h = cv2.boundingRect(mask)
    return None if w == 0 or h == 0 else (x, y, w, h)


def _digit_box(ink: np.ndarray, level: int) -> tuple[int, int, int, int] | None:
    """Bounding box of the ink at level, stray marks (small parts far from the digit) left out; None if none."""
    _, mask = cv2.threshold(ink, level - 1, 255, cv2.THRESH_BINARY)
    # Outer contours, one per 8-connected part: several times faster here than labelling the parts.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    left, top, width, height = np.array([cv2.boundingRect(c) for c in contours]).T
    right, bottom = left + width, top + height
    side = np.maximum(width, height)
    keep = side >= STRAY_SIZE * side.max()
    while True:  # take in the small parts near the digit: dots and dashes of its own strokes
        x0, y0, x1, y1 = left[keep].min(), top[keep].min(), right[keep].max(), bottom[keep].max()
        gap = STRAY_GAP * max(x1 - x0, y1 - y0)
        near = (left <= x1 + gap) & (right >= x0 - gap) & (top <= y1 + gap) & (bottom >= y0 - gap)
        if (near <= keep).all():
            return int(x0), int(y0), int(x1 - x0), int(y1 - y0)
        keep |= near


def ink_levels(ink: np.ndarray | None) -> tuple[int, int, int] | None:
    """(background, ink level, peak) of an ink map: pixels at or above the level are ink; None if blank."""
    if ink is None or ink.size == 0:
        return None
    background = int(np.median(_border(ink)))
    peak = int(cv2.minMaxLoc(ink)[1])
    if peak - background < MIN_CONTRAST:
        return None
    return background, background + int((peak - background) * INK_LEVEL), peak


def to_model_input(image, normalise_stroke: bool = True) -> np.ndarray | None:
    """Sketchpad value or image -> (28, 28) float32 in [0, 1], white on black; None if blank."""
    return ink_to_model_input(ink_map(image), normalise_stroke)


def ink_to_model_input(ink: np.ndarray | None, normalise_stroke: bool = True) -> np.ndarray | None:
    """An ink map (uint8, 255 = ink, as ink_map gives) -> (28, 28) float32 model input; None if blank."""
    levels = ink_levels(ink)
    if levels is None:
        return None
    background, level, peak = levels
    box = _digit_box(ink, level)
    if box is None:
        return None
    x, y, w, h = box
    if max(w, h) < MIN_INK_SIDE * max(ink.shape):
        return None
    # Stretch ink to the full range so faint pencils and soft brushes look like MNIST ink.
    crop = cv2.convertScaleAbs(ink[y : y + h, x : x + w], alpha=255.0 / (peak - background),
                               beta=-255.0 * background / (peak - background))
    # Working copy: longest side WORK_SIDE, padded so dilation has room.
    work = cv2.copyMakeBorder(_rescale(crop, WORK_SIDE / max(w, h)), *(WORK_SIDE // 4,) * 4,
                              cv2.BORDER_CONSTANT, value=0)
    if normalise_stroke:
        work = _normalise_stroke(work)
    box = _bounding_box(work, int(255 * INK_LEVEL))
    if box is None:  # a faint hairline the rescaling thinned below the ink level: nothing to read
        return None
    x, y, w, h = box
    work = work[y : y + h, x : x + w]
    scale = DIGIT_BOX / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = cv2.resize(work, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return _centre_by_mass(digit)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    height, width = digit.shape
    total = digit.sum()
    rows, cols = np.arange(height), np.arange(width)
    cy = (digit.sum(axis=1) @ rows) / total
    cx = (digit.sum(axis=0) @ cols) / total
    centre = (IMAGE_SIZE - 1) / 2
    top = int(np.clip(round(centre - cy), 0, IMAGE_SIZE - height))
    left = int(np.clip(round(centre - cx), 0, IMAGE_SIZE - width))
    frame = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    frame[top : top + height, left : left + width] = digit
    return frame
