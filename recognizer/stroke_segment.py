"""Candidate digits of a drawing from its pen strokes, in the order they were written.

People write a number digit by digit, so each digit's strokes follow each other in time even where the
digits touch or overlap on the canvas. The candidates are the runs of 1 to MAX_RUN consecutive strokes,
and each such run with one later stroke that lies over it (a 5's top bar, a 7's bar or a 4's stem drawn
after the next digit). A single stroke that could hold two digits written without lifting the pen is
also offered cut as the image path cuts ink (recognizer.segment.candidates). Which candidates are the
digits the models decide: `best_cover` keeps the cover of every stroke with the largest product of
part scores (scored as recognizer.reading.best_parts scores parts, with how many strokes each digit
takes weighed in). Geometry does only what is plainly right: a number is written left to right; strokes
the image path groups apart are different digits; a stroke inside another's loop (a 0's slash) is part
of it; a far speck may be left out; the digits sit on a line (`likeliest_on_a_line`).
"""

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import cv2
import numpy as np

from recognizer.reading import best_parts, group_refusals, off_the_line, part_gain
from recognizer.segment import CUT_WIDTH, PAD, Candidates, Digit
from recognizer.strokes import draw_alpha

MAX_RUN = 4  # strokes one digit takes at most: 1-4 in the UCI and UJIpenchars2 pen digits
# A drawing of more strokes than a long number takes (a doodle, a scribble) is read as a picture
# (recognizer.segment, whose candidates are bounded): the runs of strokes grow with their count.
MAX_PEN_STROKES = 24
# P(a digit takes n strokes | the digit), n = 1..MAX_RUN: how the training writers write each digit, with the
# recipe's writing conventions, a stroke inside another's loop not counted (python -m train.stroke_counts
# prints it; a test checks it is that table). A
# run's reading weighs in how likely its digit takes that many strokes or more: a 0 in two strokes is
# rare, a 5 or a 7 in two is the rule, so a 1 written against a 0 reads "10", not "0".
STROKE_COUNTS = np.array([
    [0.8610, 0.1365, 0.0013, 0.0013],
    [0.7522, 0.2337, 0.0128, 0.0013],
    [0.9923, 0.0051, 0.0013, 0.0013],
    [0.9945, 0.0028, 0.0014, 0.0014],
    [0.3508, 0.6429, 0.0051, 0.0013],
    [0.1395, 0.8536, 0.0055, 0.0014],
    [0.9917, 0.0055, 0.0014, 0.0014],
    [0.0742, 0.6125, 0.3120, 0.0013],
    [0.9336, 0.0636, 0.0014, 0.0014],
    [0.9474, 0.0498, 0.0014, 0.0014],
])
INSIDE = 0.5  # share of a stroke's centre line within another stroke's loop that makes it part of that digit
# A later stroke belongs to an earlier run when they share at least this share of the narrower one's width:
# a bar or stem drawn over its own digit, not beside it.
OVER = 0.5


@dataclass(frozen=True)
class StrokeSet:
    """A candidate digit: the strokes it is made of, its box (x, y, w, h) in canvas px and its ink map."""

    strokes: tuple[int, ...]
    box: tuple[int, int, int, int]
    ink: np.ndarray  # uint8, 255 = ink: the strokes alone, cropped to the box inside a margin of PAD + brush


def own_strokes(members, together) -> int:
    """Strokes of a candidate that count as its own: one inside the loop of another of them (inner_strokes)
    is part of that stroke, as a 0's slash is part of the 0."""
    return len(members) - len({inner for inner, loop in together if inner in members and loop in members})


def run_scores(digits: np.ndarray, not_digit: np.ndarray, strokes: list[int]) -> np.ndarray:
    """How likely each run of strokes is one digit: max over digits of P(digit) x P(at least that many strokes |
    digit), times P(a digit); the image path's part_scores with the pen's stroke counts weighed in. At least:
    a writer may always join a digit's strokes (a 5 in one go), but each stroke more must be one the digit has."""
    at_least = STROKE_COUNTS[:, ::-1].cumsum(axis=1)[:, ::-1]  # (10, MAX_RUN): P(n or more strokes | digit)
    counts = at_least[:, np.minimum(np.asarray(strokes, int), MAX_RUN) - 1].T  # (P, 10)
    return (digits * counts).max(axis=1) * (1 - not_digit)


def _extent(points: np.ndarray, brush: float) -> np.ndarray:
    """x0, y0, x1, y1 of a stroke's ink (its centre line grown by half the brush)."""
    return np.r_[points.min(axis=0) - brush / 2, points.max(axis=0) + brush / 2]


def draw_set(strokes, indices, brush: float) -> StrokeSet:
    """The candidate of these strokes: their own ink, drawn as the page draws it, cropped to their box."""
    chosen = [np.asarray(strokes[k], np.float64) for k in indices]
    lo = np.min([s.min(axis=0) for s in chosen], axis=0) - brush / 2 - PAD
    hi = np.max([s.max(axis=0) for s in chosen], axis=0) + brush / 2 + PAD
    size = np.maximum(1, np.ceil(hi - lo)).astype(int)
    ink = draw_alpha([s - lo for s in chosen], (size[1], size[0]), max(1, round(brush)))
    x, y = np.floor(lo + PAD).astype(int)
    return StrokeSet(tuple(indices), (int(x), int(y), int(size[0] - 2 * PAD), int(size[1] - 2 * PAD)), ink)


def _covers(over: np.ndarray, under: np.ndarray) -> bool:
    """Whether a stroke's extent lies over a run's: they share OVER of the narrower one's width (a bar over
    its 5, a base under its 1)."""
    shared = min(over[2], under[2]) - max(over[0], under[0])
    return shared >= OVER * min(over[2] - over[0], under[2] - under[0])


def stroke_groups(strokes, groups: list) -> np.ndarray:
    """The image path's group (recognizer.segment.split_digits of the drawing's ink) each stroke's centre line
    lies in most, -1 for none (a speck the image path drops: a stray mark, which may be left out): strokes the
    geometry sets apart as digits of their own are never one digit."""
    owner = np.full(len(strokes), -1)
    for k, stroke in enumerate(strokes):
        points = np.round(np.asarray(stroke, np.float64)).astype(int)
        votes = []
        for group in groups:
            x, y = (0, 0) if len(groups) == 1 else (group.box[0] - PAD, group.box[1] - PAD)
            px, py = points[:, 0] - x, points[:, 1] - y
            inside = (px >= 0) & (py >= 0) & (px < group.ink.shape[1]) & (py < group.ink.shape[0])
            votes.append(int((group.ink[py[inside], px[inside]] >= 128).sum()))
        if votes and max(votes) > 0:
            owner[k] = int(np.argmax(votes))
    return owner


def _holes(ink: np.ndarray) -> np.ndarray:
    """Where an ink map's loops enclose the paper: background the border's paper cannot reach."""
    paper = (ink < 128).astype(np.uint8)
    reached = np.zeros((ink.shape[0] + 2, ink.shape[1] + 2), np.uint8)
    cv2.floodFill(paper, reached, (0, 0), 2)
    return paper == 1


def inner_strokes(strokes, brush: float) -> list[tuple[int, int]]:
    """(stroke, loop) pairs: a stroke whose centre line lies mostly (INSIDE) within the loop of another stroke,
    as a slash or bar through a 0. A digit is never written inside another digit's loop, so such a stroke is
    part of the loop's digit."""
    pairs, lengths = [], {}  # each stroke's whole centre line, px: measured once, for any loop
    for j in range(len(strokes)):
        loop = draw_set(strokes, (j,), brush)
        holes = _holes(loop.ink)
        if not holes.any():
            continue
        origin = np.array(loop.box[:2]) - PAD
        for k in range(len(strokes)):
            if k == j:
                continue
            line = draw_alpha([np.asarray(strokes[k], np.float64) - origin], loop.ink.shape, 1) >= 128
            if k not in lengths:
                lengths[k] = np.count_nonzero(draw_set(strokes, (k,), 1).ink >= 128)
            if lengths[k] and np.count_nonzero(line & holes) >= INSIDE * lengths[k]:
                pairs.append((k, j))
    return pairs


def stroke_sets(strokes, brush: float, groups=None, together=(), max_run: int = MAX_RUN) -> list[tuple[int, ...]]:
    """The candidate digits, as stroke indices: runs of consecutive strokes, and runs with one later stroke
    over them (not the stroke right after: that one is a longer run). Strokes of different groups (as
    stroke_groups gives them, -1 joining any) are never one digit; the strokes of a pair in `together`
    (inner_strokes) are one digit wherever a candidate holds both."""
    extents = [_extent(np.asarray(s, np.float64), brush) for s in strokes]
    groups = np.full(len(strokes), -1) if groups is None else np.asarray(groups)

    def one_group(members) -> bool:
        known = {int(groups[k]) for k in members} - {-1}
        return len(known) <= 1

    sets = []
    for start in range(len(strokes)):
        for stop in range(start + 1, min(start + max_run, len(strokes)) + 1):
            if not one_group(range(start, stop)):
                break
            sets.append(tuple(range(start, stop)))
            if stop - start == max_run:
                continue
            run = np.r_[np.min([extents[k][:2] for k in range(start, stop)], axis=0),
                        np.max([extents[k][2:] for k in range(start, stop)], axis=0)]
            # The late stroke comes after the next digit, which takes at most max_run strokes.
            sets += [(*range(start, stop), late) for late in range(stop + 1, min(stop + 1 + max_run, len(strokes)))
                     if _covers(extents[late], run) and one_group([*range(start, stop), late])]
    held = [(a, b) for a, b in together if any(a in members and b in members for members in sets)]
    return [members for members in sets if all((a in members) == (b in members) for a, b in held)]


def may_hold_two(stroke_set: StrokeSet) -> bool:
    """Whether one stroke is wide enough to hold two digits written without lifting the pen (the image
    path's own rule for cutting a group, recognizer.segment.CUT_WIDTH)."""
    _, _, w, h = stroke_set.box
    return len(stroke_set.strokes) == 1 and w >= CUT_WIDTH * h


def best_cover(count: int, options: list, stray) -> list[int]:
    """The options (stroke indices, log gain, (centre x of its first digit, of its last)) that cover every
    stroke once, each digit's centre right of the digit's written before it (a number is written left to
    right), with the largest sum of gains; a stray stroke may be left out. Returns the chosen options'
    indices in writing order, [] when no cover is left to right."""
    starting = [[] for _ in range(count)]
    for k, (members, _, _) in enumerate(options):
        starting[members[0]].append(k)

    @cache
    def best(i: int, taken: frozenset, after: float) -> tuple[float, tuple[int, ...]]:
        while i < count and i in taken:  # a stroke an earlier digit took as its late stroke
            i += 1
        if i == count:
            return 0.0, ()
        rest = frozenset(k for k in taken if k > i)
        choices = [best(i + 1, rest, after)] if stray[i] else []
        for k in starting[i]:
            members, gain, (left, right) = options[k]
            if left <= after or any(m in taken for m in members):
                continue
            run_end = i + 1
            while run_end in members:
                run_end += 1
            late = frozenset(m for m in members if m >= run_end)
            score, chosen = best(run_end, rest | late, right)
            choices.append((gain + score, (k, *chosen)))
        return max(choices, key=lambda c: c[0], default=(-np.inf, ()))

    score, chosen = best(0, frozenset(), -np.inf)
    return list(chosen) if np.isfinite(score) else []


class Part(NamedTuple):
    """A digit of a reading: its model input's index, where it is and its own ink, P(not a digit)."""

    input: int
    digit: Digit
    refusal: float


class Option(NamedTuple):
    """A candidate for some strokes: the digits it reads them as (one, or a stroke's cuts), its log gain."""

    strokes: tuple[int, ...]
    gain: float
    parts: list  # of Part, left to right


def cut_option(stroke_set: StrokeSet, found: Candidates, first: int, scores: dict, refusals: dict) -> list[Option]:
    """One stroke read as several digits, cut as the image path cuts ink (its candidates' inputs from index
    first on, scored and refused as the models said): [] when one digit reads best."""
    sub = [scores.get(first + j) for j in range(len(found.parts))]
    chosen = best_parts(sub, found.spans, found.wholes, found.pieces)
    if len(chosen) < 2:
        return []
    refused = group_refusals([refusals.get(first + j) for j in range(len(sub))], found.spans, found.wholes, chosen)
    x, y = stroke_set.box[0] - PAD, stroke_set.box[1] - PAD  # the cut parts' boxes are in the set's own ink
    parts = [Part(first + j, Digit((x + bx, y + by, bw, bh), found.parts[j].ink), float(refusal))
             for j, refusal in zip(chosen, refused) for bx, by, bw, bh in [found.parts[j].box]]
    return [Option(stroke_set.strokes, sum(part_gain(sub[j]) for j in chosen), parts)]


def _centre(part: Part) -> float:
    return part.digit.box[0] + part.digit.box[2] / 2


def likeliest_on_a_line(count: int, options: list[Option], skippable) -> list[Part]:
    """The parts of the likeliest cover of the strokes (best_cover), left to right, that sit on a line like a
    number's digits: an option with a part off the line is left out and the cover chosen again. [] when no
    cover is written left to right; the last cover when none is on a line (the reading refuses it)."""
    usable, parts = list(range(len(options))), []
    while True:
        spans = [(_centre(options[k].parts[0]), _centre(options[k].parts[-1])) for k in usable]
        chosen = [usable[k] for k in best_cover(count, [(*options[k][:2], span) for k, span in zip(usable, spans)],
                                                skippable)]
        if not chosen:
            return parts
        owned = sorted(((k, part) for k in chosen for part in options[k].parts), key=lambda kp: _centre(kp[1]))
        parts = [part for _, part in owned]
        off = off_the_line([part.digit.box for part in parts])
        if len(parts) == 1 or not off.any():
            return parts
        dropped = {k for (k, _), bad in zip(owned, off) if bad}
        usable = [k for k in usable if k not in dropped]
