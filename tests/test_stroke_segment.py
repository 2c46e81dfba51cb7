"""Numbers read from the pen's strokes in writing order (recognizer.stroke_segment, Predictor.read_strokes).

The candidates and the cover are tested on strokes made here; the readings on real pen digits of writers
never trained on (UCI test writers and UJIpenchars2), composed into numbers as the numbers benchmark does,
with the bundled models. Each rule the issue names has its own case: a touching 17, an overlapping 88,
a 5 whose bar comes after the next digit, a 100.
"""

import numpy as np
import pytest

from recognizer.contract import NOT_A_DIGIT
from recognizer.stroke_input import Drawing, draw_ink
from recognizer.segment import split_digits
from recognizer.stroke_segment import (MAX_PEN_STROKES, MAX_RUN, STROKE_COUNTS, best_cover, inner_strokes, own_strokes,
                                       stroke_groups, stroke_sets)
from tests.conftest import ROOT
from train.compose import brush_ratio, compose_number, draw_number, page_drawing, visitor_style, write_late
from train.pen_data import PENDIGITS_TEST, UJIPEN_FILE, read_ujipen, read_unipen

DATA = ROOT.parent / "shared" / "data"


def line(x0, y0, x1, y1, points: int = 20) -> np.ndarray:
    return np.linspace([x0, y0], [x1, y1], points)


def circle(cx, cy, r, points: int = 40) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, points)
    return np.column_stack([cx + r * np.cos(t), cy + r * 1.4 * np.sin(t)])


def test_candidates_are_runs_of_strokes_and_a_late_stroke_over_its_run():
    one, zero, bar = line(10, 0, 10, 100), circle(80, 50, 30), line(0, 10, 25, 10)
    sets = stroke_sets([one, zero, bar], brush=4)
    assert {(0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)} <= set(sets)
    assert (0, 2) in sets  # the bar, written after the 0, lies over the 1
    assert (1, 2) in sets and (1, 2, 0) not in sets  # runs go forward in time only
    # A run takes at most MAX_RUN strokes; a late stroke comes within the next digit's strokes.
    many = [line(10 * k, 0, 10 * k, 100) for k in range(10)] + [line(0, 5, 8, 5)]
    sets = stroke_sets(many, brush=2)
    assert max(len(s) for s in sets) == MAX_RUN
    assert (0, 10) not in sets and (5, 10) not in sets


def test_strokes_the_geometry_sets_apart_are_never_one_digit():
    one, zero = line(10, 0, 10, 100), circle(300, 50, 30)
    assert (0, 1) in stroke_sets([one, zero], brush=4)
    assert (0, 1) not in stroke_sets([one, zero], brush=4, groups=[0, 1])
    assert (0, 1) in stroke_sets([one, zero], brush=4, groups=[0, -1])  # a speck joins anything


def test_a_stroke_inside_a_loop_belongs_to_it():
    zero, slash, beside = circle(50, 50, 30), line(35, 95, 65, 5), line(120, 0, 120, 100)
    assert inner_strokes([zero, slash], brush=4) == [(1, 0)]
    assert inner_strokes([zero, beside], brush=4) == []
    # The slash is part of the 0: its run counts one stroke of its own, and it is never read apart.
    assert own_strokes((0, 1), [(1, 0)]) == 1
    sets = stroke_sets([zero, slash, beside], brush=4, together=[(1, 0)])
    assert (0, 1) in sets and (0,) not in sets and (1,) not in sets and (1, 2) not in sets


def test_the_cover_is_the_likeliest_written_left_to_right():
    # (strokes, log gain, (centre x of its first digit, of its last))
    options = [((0,), -0.1, (10, 10)), ((1,), -0.1, (50, 50)), ((0, 1), -0.5, (30, 30)), ((2,), -0.1, (5, 5))]
    assert best_cover(2, options[:3], [False, False]) == [0, 1]
    assert best_cover(2, [options[0], options[1], ((0, 1), -0.1, (30, 30))], [False, False]) == [2]
    # A third stroke left of the first digit breaks the order: no reading of all three but whole runs.
    assert best_cover(3, options, [False, False, False]) == []
    assert best_cover(3, options, [False, False, True]) == [0, 1]  # a stray mark may be left out
    # A late stroke: the 5's bar (stroke 2) after the 3 (stroke 1) belongs to the 5 (stroke 0).
    late = [((0,), -3.0, (10, 10)), ((0, 2), -0.1, (10, 10)), ((1,), -0.1, (50, 50)), ((2,), -3.0, (12, 12))]
    assert best_cover(3, late, [False] * 3) == [1, 2]


def test_a_drawing_of_more_strokes_than_a_long_number_is_read_as_a_picture(gated):
    rng = np.random.default_rng(0)
    scribble = [rng.uniform(0, 300, (3, 2)) for _ in range(MAX_PEN_STROKES + 1)]
    drawing = Drawing(300, 300, 6.0, scribble)
    reading = gated.read_strokes(drawing)
    assert reading.label == gated.read_ink(draw_ink(drawing)).label
    # A click far from the digit is a speck the image path drops: no group, so it may be left out.
    click = Drawing(400, 200, 6.0, [line(50, 20, 50, 180), circle(120, 100, 40), np.array([[380.0, 30.0]])])
    assert stroke_groups(click.strokes, split_digits(draw_ink(click))).tolist()[2] == -1
    assert gated.read_strokes(click).label == gated.read_strokes(Drawing(400, 200, 6.0, click.strokes[:2])).label


@pytest.mark.slow  # about 2 s: the whole training file
def test_the_stroke_counts_are_the_training_writers():
    from train.stroke_counts import training_counts

    assert np.allclose(STROKE_COUNTS, training_counts(DATA / "pendigits"), atol=1e-4)
    assert STROKE_COUNTS[0, 0] > 0.8 and STROKE_COUNTS[7, 1] > 0.5  # 0s take one stroke, 7s mostly two


@pytest.fixture(scope="module")
def unseen():
    """Pen digits of writers the models never trained on: UCI's test writers and UJIpenchars2."""
    return [read_unipen(DATA / "pendigits" / PENDIGITS_TEST), read_ujipen(DATA / "ujipen" / UJIPEN_FILE)]


def written(unseen, text: str, spacing: str, count: int, seed: int, late: bool = False):
    """count (page drawing, picture) pairs of `text`, each by one unseen writer, its digits spaced one way;
    late: the first digit's last stroke written after the next digit (the first digit is one of two strokes)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        source = unseen[len(out) % len(unseen)]
        writer = source[int(rng.integers(len(source)))].writer
        own = {c: [i for i, d in enumerate(source) if d.writer == writer and str(d.label) == c
                   and not (late and c == text[0] and len(d.strokes) < 2)] for c in set(text)}
        if any(not v for v in own.values()):
            continue
        picks = [int(rng.choice(own[c])) for c in text]
        brush = brush_ratio(rng)
        strokes, owners = compose_number([source[i].strokes for i in picks], spacing, brush, rng)
        style = visitor_style(strokes, float(rng.choice([1.0, 2.0])), brush, rng)
        picture, _ = draw_number(strokes, owners, style)
        if late:
            strokes, owners, moved = write_late(strokes, owners, rng)
            assert moved and owners[-1] == 0
        out.append((page_drawing(strokes, style), picture))
    return out


def readings(gated, pairs):
    """(labels read from the strokes, labels read from the pictures)."""
    return [gated.read_strokes(d).label for d, _ in pairs], [gated.read(p).label for _, p in pairs]


def test_a_touching_17_reads_17(gated, unseen):
    strokes, pictures = readings(gated, written(unseen, "17", "touching", 20, seed=3))
    # Measured: 18 of 20 from the strokes, 11 from the pictures.
    assert strokes.count("17") >= 17 and strokes.count("17") > pictures.count("17"), strokes


def test_an_overlapping_88_reads_88(gated, unseen):
    strokes, pictures = readings(gated, written(unseen, "88", "overlapping", 20, seed=3))
    # Measured: 20 of 20 from the strokes, 1 from the pictures.
    assert strokes.count("88") >= 18 and pictures.count("88") < 10, strokes


def test_a_5_whose_bar_comes_after_the_next_digit_reads_as_written(gated, unseen):
    strokes, _ = readings(gated, written(unseen, "53", "close", 20, seed=3, late=True))
    assert strokes.count("53") >= 19, strokes  # measured: 20 of 20


@pytest.mark.parametrize("spacing", ["apart", "close", "touching"])
def test_a_100_reads_100(gated, unseen, spacing):
    strokes, _ = readings(gated, written(unseen, "100", spacing, 20, seed=3))
    # Measured: 19 of 20 in each spacing. The one miss is refused: a UJI writer's slashed 0 that starts
    # with a curl, which the gate refuses on its own too (a reader's miss, not a segmentation's).
    assert strokes.count("100") >= 19 and strokes.count(NOT_A_DIGIT) <= 1, strokes


def test_a_lone_digit_written_in_strokes_stays_one_digit(gated, unseen):
    strokes, _ = readings(gated, [pair for digit in "0123456789" for pair in written(unseen, digit, "apart", 4, seed=5)])
    assert all(len(label) == 1 for label in strokes), strokes
    assert sum(label == digit for label, digit in zip(strokes, np.repeat(list("0123456789"), 4))) >= 38, strokes


def test_a_number_is_refused_when_its_parts_are_on_average_not_digits():
    from recognizer.reading import decide

    digits = np.eye(10)[[1, 0, 0]]
    inputs = [np.zeros((28, 28), np.float32)] * 3
    # Parts drawn apart: one doubtful digit among sure ones, the number stands (geometric mean of P(a digit) 0.73).
    assert decide(digits, np.array([0.6, 0.01, 0.01]), inputs, apart=True).label == "100"
    # Cut from one picture, a part may carry its group's refusal: any part refused refuses the drawing.
    assert decide(digits, np.array([0.6, 0.01, 0.01]), inputs).label == NOT_A_DIGIT
    # A piece the gate is sure of is no digit, and the rest is doubtful: refused.
    assert decide(digits[:2], np.array([0.99, 0.1]), inputs[:2], apart=True).label == NOT_A_DIGIT
    # One part decides as the gate alone does.
    assert decide(digits[:1], np.array([0.6]), inputs[:1], apart=True).label == NOT_A_DIGIT
    assert decide(digits[:1], np.array([0.4]), inputs[:1], apart=True).label == "1"
