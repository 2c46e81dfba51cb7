"""Draw pen strokes as a visitor draws them on the sketchpad: one round brush, any canvas, size and place.

Training (pen digits, Omniglot characters), benchmarks and tests all turn strokes into drawings
here, so what the model learns from and what it is measured on are drawn the same way.
"""

from dataclasses import dataclass

import cv2
import numpy as np

SUBPIXEL_BITS = 4  # cv2 draws at 1/16 px, so short pen segments keep their shape


@dataclass(frozen=True)
class Style:
    canvas: int = 600  # canvas height, px
    aspect: float = 1.0  # canvas width / height
    stroke: float = 0.04  # brush width as a fraction of the canvas height
    size: float = 0.6  # share of the canvas the drawing fills along its binding side
    x: float = 0.5  # centre of the drawing, as fractions of the canvas width and height
    y: float = 0.5
    transparent: bool = True  # ink in alpha over a transparent background; else black on white

    @property
    def width(self) -> int:
        return round(self.canvas * self.aspect)


def brush_px(style: Style) -> int:
    """The style's brush width in canvas pixels."""
    return max(1, round(style.stroke * style.canvas))


def fit_strokes(strokes, style: Style) -> list[np.ndarray]:
    """Strokes (each (K, 2) x, y with y down, any unit) scaled and placed on the style's canvas, in px."""
    points = np.concatenate(strokes).astype(np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    w, h = np.maximum(hi - lo, 1e-6)
    width_px = brush_px(style)
    # The brush's round ends add half a width on each side: the inked drawing fills `size`.
    room = max(1.0, style.size * style.canvas - width_px)
    scale = room / max(h, w / style.aspect)
    centre = np.array([style.x * style.width, style.y * style.canvas])
    return [(np.asarray(s, np.float64) - (lo + hi) / 2) * scale + centre for s in strokes]


def alpha_to_rgba(alpha: np.ndarray, transparent: bool, noise_seed: int = 0) -> np.ndarray:
    """A uint8 ink map (H, W) as the sketchpad sends it: ink in alpha over transparency, or black on white."""
    height, width = alpha.shape
    image = np.zeros((height, width, 4), np.uint8)
    if transparent:
        # What lies under transparent pixels is arbitrary: fill it with noise so nobody relies on it.
        image[..., :3] = np.random.default_rng(noise_seed).integers(0, 256, (height, width, 3), np.uint8)
        image[alpha > 0, :3] = 20
        image[..., 3] = alpha
    else:
        image[..., :3] = (255 - alpha)[..., None]
        image[..., 3] = 255
    return image


def draw_alpha(strokes_px, canvas_hw: tuple[int, int], width_px: int) -> np.ndarray:
    """Ink map (H, W) uint8 of strokes already in canvas pixels, drawn with a round brush."""
    alpha = np.zeros(canvas_hw, np.uint8)
    one = 2**SUBPIXEL_BITS
    for stroke in strokes_px:
        pts = np.round(np.asarray(stroke) * one).astype(np.int32)
        if len(pts) == 1 or (pts == pts[0]).all():  # a dot: the brush's round tip
            cv2.circle(alpha, tuple(pts[0]), max(1, width_px // 2) * one, 255, -1, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            cv2.polylines(alpha, [pts], False, 255, width_px, cv2.LINE_AA, SUBPIXEL_BITS)
    return alpha


def render_strokes(strokes, style: Style) -> np.ndarray:
    """Pen strokes (list of (K, 2) arrays, x and y with y down) -> an RGBA uint8 sketchpad drawing."""
    alpha = draw_alpha(fit_strokes(strokes, style), (style.canvas, style.width), brush_px(style))
    return alpha_to_rgba(alpha, style.transparent, style.canvas)


def render_bitmap(bitmap: np.ndarray, style: Style) -> np.ndarray:
    """A small white-on-black bitmap (a Quick, Draw! doodle) scaled up onto a sketchpad canvas, RGBA uint8."""
    ys, xs = np.nonzero(bitmap > 0)
    if len(ys) == 0:
        return alpha_to_rgba(np.zeros((style.canvas, style.width), np.uint8), style.transparent, style.canvas)
    crop = bitmap[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = crop.shape
    scale = style.size * style.canvas / max(h, w / style.aspect)
    big = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LINEAR)
    alpha = np.zeros((style.canvas, style.width), np.uint8)
    top = int(np.clip(round(style.y * style.canvas - big.shape[0] / 2), 0, max(0, style.canvas - big.shape[0])))
    left = int(np.clip(round(style.x * style.width - big.shape[1] / 2), 0, max(0, style.width - big.shape[1])))
    big = big[: style.canvas - top, : style.width - left]
    alpha[top: top + big.shape[0], left: left + big.shape[1]] = big
    return alpha_to_rgba(alpha, style.transparent, style.canvas)
