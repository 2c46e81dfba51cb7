"""Splitting a drawing's ink into digits, on real pen digits of the unseen writers and MNIST test digits."""

import cv2
import numpy as np
import pytest

from benchmarks.numbers import brush_ratio, compose, draw, mnist_source, pen_source, touching, visitor_style
from recognizer.preprocess import INK_LEVEL, ink_map
from recognizer.segment import PAD, split_digits
from recognizer.strokes import Style, render_strokes
from tests.conftest import ROOT
from train.pen_data import PENDIGITS_TEST

PEN_TEST = ROOT.parent / "shared" / "data" / "pendigits" / PENDIGITS_TEST
INK = round(255 * INK_LEVEL)
# A thin brush leaves apart the strokes that a thick one joins.
THIN = [Style(canvas=400, stroke=0.02, size=0.7), Style(canvas=400, aspect=2.0, stroke=0.025, size=0.5, x=0.3,
                                                       transparent=False)]


@pytest.fixture(scope="module")
def pen():
    return pen_source(PEN_TEST)


def parts_of(ink: np.ndarray) -> int:
    return cv2.connectedComponents((ink >= INK).astype(np.uint8))[0] - 1


def numbers(source, count: int, want_touching: bool, n: int, seed: int):
    """n drawings of count digits whose neighbours' inks touch (or not): (ink map, alone inks, labels)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        picks = source.pick(rng, count)
        brush = brush_ratio(rng)
        strokes, owners = compose([source.strokes(i) for i in picks], brush, rng)
        drawing, alone = draw(strokes, owners, visitor_style(strokes, float(rng.choice([1.0, 2.0])), brush, rng))
        if touching(alone) == want_touching:
            out.append((ink_map(drawing), alone, source.labels[picks]))
    return out


def test_digits_drawn_in_strokes_that_do_not_touch_stay_one_digit(pen):
    # Every unseen writer's digit of two or more strokes: 4s with a separate stem, 5s with a separate
    # bar, crossed 7s, 1s with a flag and base; those whose strokes stand apart on a wide canvas too.
    multi = [i for i in range(len(pen.labels)) if len(pen.strokes(i)) > 1]
    inks = {i: ink_map(render_strokes(pen.strokes(i), THIN[0])) for i in multi}
    apart = [i for i in multi if parts_of(inks[i]) > 1]
    assert len(apart) >= 50  # the test looks at digits whose strokes really stand apart
    inks.update({-i: ink_map(render_strokes(pen.strokes(i), THIN[1])) for i in apart})
    split = [int(pen.labels[abs(i)]) for i, ink in inks.items() if len(split_digits(ink)) != 1]
    assert split == []


def test_lone_digits_stay_whole_and_come_back_unchanged(pen, mnist):
    rng = np.random.default_rng(5)
    source = mnist_source(mnist.x_test, mnist.y_test)
    inks = [ink_map(render_strokes(s.strokes(int(i)), Style(canvas=int(rng.integers(400, 801)),
                                                              stroke=rng.uniform(0.02, 0.07))))
            for s in (pen, source) for i in rng.choice(len(s.labels), 150, replace=False)]
    digits = [split_digits(ink) for ink in inks]
    whole = [len(d) == 1 for d in digits]
    assert np.mean(whole) >= 0.99
    # The one digit's ink is the drawing's own ink map: a lone digit is read exactly as before.
    assert all(d[0].ink is ink for d, ink in zip(digits, inks) if len(d) == 1)


def own_share(digit, alone: np.ndarray) -> float:
    """Share of a digit's ink that lies on this one of the number's digits, drawn alone."""
    x, y, w, h = digit.box
    return float((alone[y : y + h, x : x + w][inked(digit)] >= INK).mean())


def inked(digit) -> np.ndarray:
    """Where a digit's own ink map, its margin left out, has ink: a mask over its box."""
    return digit.ink[PAD:-PAD, PAD:-PAD] >= INK


def assert_split_in_order(cases, least: float):
    """At least `least` of the numbers split into their digits, in order, each mostly its own ink."""
    right = 0
    for ink, alone, _ in cases:
        digits = split_digits(ink)
        right += len(digits) == len(alone) and all(own_share(d, a) > 0.8 for d, a in zip(digits, alone))
    assert right / len(cases) >= least


def test_neighbours_apart_are_split_left_to_right(pen):
    assert_split_in_order(numbers(pen, 2, False, 60, seed=1) + numbers(pen, 3, False, 30, seed=2), 0.95)


def test_neighbours_that_touch_lightly_are_split_left_to_right_often(pen):
    # Touching neighbours are hard to tell from one wide digit: this guards what is reached (about 40%).
    assert_split_in_order(numbers(pen, 2, True, 60, seed=3), 0.3)


def test_each_digit_ink_holds_only_its_own_strokes(pen):
    for ink, alone, _ in numbers(pen, 3, False, 10, seed=4):
        digits = split_digits(ink)
        assert len(digits) == 3
        for digit, own, other in zip(digits, alone, alone[1:] + alone[:1]):
            x, y, w, h = digit.box
            assert own_share(digit, own) > 0.97
            assert (other[y : y + h, x : x + w][inked(digit)] >= INK).mean() < 0.03


def test_a_click_far_from_the_digits_is_not_a_digit(pen):
    for ink, alone, _ in numbers(pen, 2, False, 10, seed=5):
        rows, cols = np.nonzero(ink >= INK)
        height = rows.max() - rows.min()
        corners = [(x, y) for x in (12, ink.shape[1] - 12) for y in (12, ink.shape[0] - 12)]
        away = [max(cols.min() - x, x - cols.max(), rows.min() - y, y - rows.max()) for x, y in corners]
        spot = corners[int(np.argmax(away))]
        assert max(away) > 0.5 * height  # the click lands well away from the digits
        with_click = ink.copy()
        cv2.circle(with_click, spot, max(4, int(0.05 * height)), 255, -1, cv2.LINE_AA)
        assert parts_of(with_click) == parts_of(ink) + 1
        digits = split_digits(with_click)
        assert len(digits) == len(split_digits(ink))
        assert not any(x - 5 <= spot[0] <= x + w + 5 and y - 5 <= spot[1] <= y + h + 5 for x, y, w, h in
                       (d.box for d in digits))


def test_a_lone_click_and_blank_maps_are_no_digits():
    assert split_digits(None) == []
    assert split_digits(np.zeros((300, 400), np.uint8)) == []
    assert split_digits(np.full((300, 400), 90, np.uint8)) == []  # no contrast: an empty canvas


def test_a_number_splits_alike_in_every_sketchpad_form(pen):
    ink, _, _ = numbers(pen, 4, False, 1, seed=6)[0]
    expected = [d.box for d in split_digits(ink)]
    assert len(expected) == 4 and [b[0] for b in expected] == sorted(b[0] for b in expected)
    on_white = np.dstack([255 - ink] * 3)  # dark ink on white, RGB
    assert [d.box for d in split_digits(ink_map(on_white))] == expected
    value = {"background": None, "layers": [], "composite": on_white}
    assert [d.box for d in split_digits(ink_map(value))] == expected
