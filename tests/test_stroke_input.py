"""Stroke payloads: validated with a reason for every refusal, drawn by the shared renderer, read as images are."""

import json
import math
import re
import time
from dataclasses import replace

import numpy as np
import pytest

from recognizer.reading import EMPTY_MESSAGE
from recognizer.stroke_input import (
    MAX_POINTS,
    MAX_SIDE,
    MAX_STROKES,
    InvalidStrokes,
    draw_ink,
    parse_strokes,
    strokes_ink,
)
from recognizer.strokes import Style, brush_px, fit_strokes, render_strokes
from tests.conftest import MNIST_DIR
from train.styles import random_style

SEVEN = {"width": 720, "height": 360, "brush": 18, "strokes": [[[300, 80], [420, 80], [330, 290]]]}


@pytest.fixture(scope="module")
def pen_digits():
    from train.pen_data import read_unipen

    return read_unipen(MNIST_DIR.parent / "pendigits" / "pendigits-orig.tes")  # 14 writers nobody trained on


def payload_of(strokes, style: Style) -> dict:
    """Pen strokes placed on the style's canvas as the page sends them: canvas px, its size and brush."""
    return {"width": style.width, "height": style.canvas, "brush": brush_px(style),
            "strokes": [s.tolist() for s in fit_strokes(strokes, style)]}


def test_a_payload_is_drawn_on_its_canvas_with_its_brush():
    ink = strokes_ink(SEVEN)
    assert ink.shape == (360, 720) and ink.dtype == np.uint8
    ys, xs = np.nonzero(ink > 127)
    assert (xs.min(), xs.max()) == pytest.approx((300 - 9, 420 + 9), abs=2)  # the round brush's half width
    assert (ys.min(), ys.max()) == pytest.approx((80 - 9, 290 + 9), abs=2)
    row = ink[200] > 127  # across the 7's stem: one band about a brush wide
    assert 16 <= row.sum() <= 24


def test_json_text_a_dot_and_an_empty_canvas():
    assert np.array_equal(strokes_ink(json.dumps(SEVEN)), strokes_ink(SEVEN))
    dot = strokes_ink({"width": 100, "height": 50, "brush": 10, "strokes": [[[50, 25]]]})
    assert 60 <= (dot > 127).sum() <= 100  # a round tip about 10 px across
    blank = parse_strokes({"width": 100, "height": 50, "brush": 10, "strokes": []})
    assert blank.blank and not draw_ink(blank).any()


def with_(**changes) -> dict:
    return {**SEVEN, **changes}


BAD = {
    "nothing": (None, "expected"),
    "empty text": ("", "not JSON"),
    "empty object": ({}, "expected"),
    "a list": ([[1, 2]], "expected"),
    "not JSON": ("{width: 3", "not JSON"),
    "missing strokes": ({"width": 9, "height": 9, "brush": 2}, "missing strokes"),
    "width text": (with_(width="720"), "width must be a number"),
    "width true": (with_(width=True), "width must be a number"),
    "width zero": (with_(width=0), "width must be between"),
    "huge canvas": (with_(width=MAX_SIDE + 1), "width must be between"),
    "NaN height": (with_(height=math.nan), "finite"),
    "inf brush": (with_(brush=math.inf), "finite"),
    "no brush": (with_(brush=0), "brush must be between"),
    "strokes an object": (with_(strokes={"0": []}), "strokes must be a list"),
    "an empty stroke": (with_(strokes=[[]]), "stroke 0 must be a non-empty list"),
    "a stroke a number": (with_(strokes=[3]), "stroke 0 must be"),
    "a point of three": (with_(strokes=[[[1, 2, 3]]]), "each point must be [x, y]"),
    "a point a string": (with_(strokes=[[[1, 2], "3,4"]]), "each point must be [x, y]"),
    "a NaN coordinate": (with_(strokes=[[[1, 2], [math.nan, 4]]]), "finite"),
    "an inf coordinate": (with_(strokes=[[[1, -math.inf]]]), "finite"),
    "a coordinate far away": (with_(strokes=[[[1, 2], [1e12, 4]]]), "between"),
    "a coordinate null": (with_(strokes=[[[1, None]]]), "must be a number"),
    "too many strokes": (with_(strokes=[[[1, 1]]] * (MAX_STROKES + 1)), f"at most {MAX_STROKES} strokes"),
    "too many points": (with_(strokes=[[[1, 1]] * (MAX_POINTS + 1)]), "points in all"),
}


@pytest.mark.parametrize("payload, message", BAD.values(), ids=BAD.keys())
def test_bad_payloads_are_refused_with_the_reason(payload, message):
    with pytest.raises(InvalidStrokes, match=re.escape(message)) as refused:
        strokes_ink(payload)
    assert isinstance(refused.value, ValueError)


def test_a_huge_payload_is_refused_at_once():
    points = [[float(i % 700), 5.0] for i in range(500_000)]
    start = time.perf_counter()
    with pytest.raises(InvalidStrokes, match="points in all"):
        parse_strokes(with_(strokes=[points[i:i + 2000] for i in range(0, len(points), 2000)]))
    assert time.perf_counter() - start < 0.1
    with pytest.raises(InvalidStrokes, match="over"):
        parse_strokes(json.dumps(with_(strokes=[points])))


def side_by_side(digits) -> list:
    """The digits' strokes, each scaled to 100 units high, left to right as a number is written."""
    strokes = []
    for k, digit in enumerate(digits):
        points = np.concatenate(digit.strokes)
        scale = 100 / max(1e-6, np.ptp(points[:, 1]))
        strokes += [(s - points.min(axis=0)) * scale + [k * 110, 0] for s in digit.strokes]
    return strokes


def test_strokes_and_the_image_of_the_same_drawing_read_alike(predictor, pen_digits):
    # The page sends strokes; the sketchpad sent the picture the same strokes make. One reader, one answer.
    rng = np.random.default_rng(3)
    picks = rng.choice(len(pen_digits), 24, replace=False)
    drawings = [[pen_digits[i]] for i in picks] + [[pen_digits[i] for i in picks[k:k + 3]] for k in (0, 3, 6)]
    right = 0
    for digits in drawings:
        strokes = side_by_side(digits)
        style = replace(random_style(rng, aspect=2.0), size=0.6)
        from_strokes = predictor.read_ink(strokes_ink(payload_of(strokes, style)))
        from_image = predictor.read(render_strokes(strokes, style))
        assert from_strokes.label == from_image.label != EMPTY_MESSAGE
        np.testing.assert_allclose([p for _, p in from_strokes.alternatives], [p for _, p in from_image.alternatives],
                                   atol=1e-5)
        right += from_strokes.label == "".join(str(d.label) for d in digits)
    assert right >= len(drawings) - 3, right
