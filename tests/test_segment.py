"""Splitting a drawing's ink into digits, on real pen digits of the unseen writers and MNIST test digits.

The geometry (split_digits: strokes that belong together, specks) is tested alone; the cuts through
touching strokes are chosen by the models (Predictor.read_parts), tested with the bundled models.
"""

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from recognizer.preprocess import INK_LEVEL, ink_map
from recognizer.reading import best_parts
from recognizer.segment import MAX_CANDIDATES, PAD, candidates, split_digits
from recognizer.strokes import Style, render_strokes
from tests.conftest import ROOT
from train.compose import brush_ratio, compose_number, draw_number, normalised, touching, visitor_style
from train.pen_data import PENDIGITS_TEST, UJIPEN_FILE, read_ujipen, read_unipen
from train.skeleton import skeleton_segments

DATA = ROOT.parent / "shared" / "data"
INK = round(255 * INK_LEVEL)
# A thin brush leaves apart the strokes that a thick one joins.
THIN = [Style(canvas=400, stroke=0.02, size=0.7), Style(canvas=400, aspect=2.0, stroke=0.025, size=0.5, x=0.3,
                                                       transparent=False)]


@dataclass(frozen=True)
class Source:
    """Digits of one source: their strokes, labels and writers."""

    strokes: list
    labels: np.ndarray
    writers: np.ndarray

    def pick(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Indices of count digits by one writer."""
        writer = rng.choice(self.writers)
        return rng.choice(np.flatnonzero(self.writers == writer), count)


def pen_source(digits) -> Source:
    return Source([d.strokes for d in digits], np.array([d.label for d in digits]), np.array([d.writer for d in digits]))


@pytest.fixture(scope="module")
def pen():
    return pen_source(read_unipen(DATA / "pendigits" / PENDIGITS_TEST))


@pytest.fixture(scope="module")
def uji():
    return pen_source(read_ujipen(DATA / "ujipen" / UJIPEN_FILE))


def parts_of(ink: np.ndarray) -> int:
    return cv2.connectedComponents((ink >= INK).astype(np.uint8))[0] - 1


def numbers(source, count: int, want_touching: bool, n: int, seed: int):
    """n drawings of count digits whose neighbours' inks touch (or not): (ink map, alone inks, labels)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        picks = source.pick(rng, count)
        brush = brush_ratio(rng)
        spacing = "touching" if want_touching else "apart"
        strokes, owners = compose_number([source.strokes[i] for i in picks], spacing, brush, rng)
        drawing, alone = draw_number(strokes, owners, visitor_style(strokes, float(rng.choice([1.0, 2.0])), brush, rng))
        if touching(alone) == want_touching:
            out.append((ink_map(drawing), alone, source.labels[picks]))
    return out


def test_digits_drawn_in_strokes_that_do_not_touch_stay_one_digit(pen):
    # Every unseen writer's digit of two or more strokes: 4s with a separate stem, 5s with a separate
    # bar, crossed 7s, 1s with a flag and base; those whose strokes stand apart on a wide canvas too.
    multi = [i for i in range(len(pen.labels)) if len(pen.strokes[i]) > 1]
    inks = {i: ink_map(render_strokes(pen.strokes[i], THIN[0])) for i in multi}
    apart = [i for i in multi if parts_of(inks[i]) > 1]
    assert len(apart) >= 50  # the test looks at digits whose strokes really stand apart
    inks.update({-i: ink_map(render_strokes(pen.strokes[i], THIN[1])) for i in apart})
    split = [int(pen.labels[abs(i)]) for i, ink in inks.items() if len(split_digits(ink)) != 1]
    assert split == []


def test_lone_digits_stay_whole_and_come_back_unchanged(pen, mnist):
    rng = np.random.default_rng(5)
    mnist_strokes = Source([list(skeleton_segments(image)) for image in mnist.x_test[:300]], mnist.y_test[:300],
                           np.zeros(300, int))
    inks = [ink_map(render_strokes(s.strokes[int(i)], Style(canvas=int(rng.integers(400, 801)),
                                                             stroke=rng.uniform(0.02, 0.07))))
            for s in (pen, mnist_strokes) for i in rng.choice(len(s.labels), 150, replace=False)]
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


@pytest.mark.slow  # over 5 s
def test_neighbours_that_touch_lightly_are_split_left_to_right_often(pen, gated):
    # The models choose the cut: the bundled gate never saw touching pairs, so this guards what it reaches.
    right = 0
    cases = numbers(pen, 2, True, 60, seed=3)
    for ink, alone, _ in cases:
        _, digits = gated.read_parts(ink)
        right += len(digits) == len(alone) and all(own_share(d, a) > 0.8 for d, a in zip(digits, alone))
    assert right / len(cases) >= 0.3


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


def test_the_likeliest_reading_keeps_a_digit_whole_unless_its_halves_are_far_likelier():
    # pieces 0-1 of one group: the whole (part 0) or its halves (parts 1, 2)
    spans, wholes = [(0, 2), (0, 1), (1, 2)], [True, False, False]
    assert best_parts([0.9, 0.99, 0.99], spans, wholes, 2) == [0]  # "0" beats "6" + "7"
    assert best_parts([0.05, 0.95, 0.9], spans, wholes, 2) == [1, 2]  # a pair the gate refuses whole
    assert best_parts([None, 0.9, 0.9], spans, wholes, 2) == []  # a speck too small to read: dropped
    assert best_parts([0.9, None, 0.99], spans, wholes, 2) == [0]  # a half too small to read is no reading
    # two groups, each read on its own: the second cut in two
    assert best_parts([0.9, 0.05, 0.9, 0.9], [(0, 1), (1, 3), (1, 2), (2, 3)], [True, True, False, False], 3) == [0, 2, 3]


def test_candidates_are_bounded_and_cover_each_group_whole(pen):
    for ink, alone, _ in numbers(pen, 4, True, 10, seed=8):
        found = candidates(ink)
        assert 1 <= len(found.parts) <= MAX_CANDIDATES and len(found.parts) == len(found.spans) == len(found.wholes)
        assert all(0 <= a < b <= found.pieces for a, b in found.spans)
        groups = [span for span, whole in zip(found.spans, found.wholes) if whole]
        assert groups[0][0] == 0 and groups[-1][1] == found.pieces  # the wholes tile the pieces
        assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))


def wide(strokes, stretch: float) -> list:
    """A digit drawn wider: its x stretched."""
    return [s * [stretch, 1.0] for s in normalised(strokes)]


@pytest.mark.slow  # over 5 s
def test_real_wide_zeros_fours_sixes_and_eights_stay_whole(pen, uji, gated):
    # The lone digits the geometric splitter cut ("67", "46", "10", "55"): unseen writers, drawn up to
    # 1.8 times as wide as they wrote them, on square and wide canvases.
    rng = np.random.default_rng(9)
    cut, n = [], 0
    for source in (pen, uji):
        for i in [i for i in range(len(source.labels)) if source.labels[i] in (0, 4, 6, 8)][::3]:
            strokes = wide(source.strokes[i], rng.uniform(1.0, 1.8))
            style = visitor_style(strokes, float(rng.choice([1.0, 2.0])), brush_ratio(rng), rng)
            drawing, _ = draw_number(strokes, [0] * len(strokes), style)
            reading, parts = gated.read_parts(ink_map(drawing))
            n += 1
            if len(parts) != 1:
                cut.append((int(source.labels[i]), reading.label))
    # Measured with the bundled models: 5 of 627 cut (the geometric splitter cut 7); a gate that has seen
    # halves of digits should cut fewer.
    assert n > 600 and len(cut) <= 0.01 * n, cut


def test_touching_pairs_of_unseen_writers_split_into_two(pen, uji, gated):
    counts = [len(gated.read_parts(ink)[1]) for source in (pen, uji) for ink, _, _ in numbers(source, 2, True, 40, 11)]
    assert np.mean(np.array(counts) == 2) >= 0.5


def test_a_group_the_gate_refuses_is_no_number_even_cut_into_digit_like_pieces():
    from recognizer.reading import group_refusals

    spans, wholes = [(0, 2), (0, 1), (1, 2)], [True, False, False]
    # A doodle: refused whole, and its pieces are not surely digits.
    assert group_refusals([0.99, 0.2, 0.01], spans, wholes, [1, 2]).tolist() == [0.99, 0.01]
    # A touching pair: refused whole as one digit, its pieces surely digits.
    assert group_refusals([0.9, 0.01, 0.02], spans, wholes, [1, 2]).tolist() == [0.01, 0.02]
    assert group_refusals([0.3, 0.2, 0.1], spans, wholes, [1, 2]).tolist() == [0.2, 0.1]  # not refused whole
    assert group_refusals([0.3, 0.2, 0.1], spans, wholes, [0]).tolist() == [0.3]  # kept whole: its own
