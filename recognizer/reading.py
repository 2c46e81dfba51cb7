"""From the models' outputs for each part of a drawing to what the app says: a digit, a number, or not a digit."""

import heapq
from dataclasses import dataclass, field

import numpy as np

from recognizer.contract import CLASS_NAMES, NOT_A_DIGIT

EMPTY_MESSAGE = "Draw a digit"
# The gate's output is P(not a digit), its last bias shifted at training time so that the threshold
# calibrated on held-out drawings sits at 0.5: the file carries its own decision rule.
GATE_DECISION = 0.5
# Each part of a reading multiplies in this prior: of two readings the models find about as likely, the one with
# fewer parts wins. Chosen on the training writers (pendigits .tra) composed into numbers (spaced as
# benchmarks/numbers.py spaces them): the largest that cut none of 180 wide 0s, 4s, 6s and 8s (0.7 cut 1);
# at 0.5 and below close and touching neighbours merge more. The runs of pen strokes read as digits
# (recognizer.stroke_segment) take it too: of 0.2-2.5, 0.6 read the training writers' numbers best.
PART_PRIOR = 0.6
# A part cut from a group the gate refuses must be surely a digit: P(not a digit) at most this. Chosen on the
# training writers' numbers and 400 doodles: doodles answered 34.7% with no such rule, 21.0% at 0.05 (touching
# numbers read 32.9% against 34.3%), 19.8% at 0.02 (31.4%).
CUT_PART_DOUBT = 0.05
NUMBER_ALTERNATIVES = 5  # readings of a number listed: the top one and the next most likely
# A number is written on a line: its digits are about as tall as each other, each no wider than a pair of
# digits, and each overlaps the others' rows. Parts that break this are pieces of a drawing, not digits.
NUMBER_HEIGHTS = 2.0  # the tallest part at most this many times the shortest
NUMBER_WIDTH = 1.6  # each part at most this many times as wide as the tallest part is high
NUMBER_ROWS = 0.5  # each part shares at least this share of its height with the tallest part's rows


@dataclass(frozen=True)
class Reading:
    """What the app makes of a drawing: the top label, the ranked alternatives, each part as the model saw it."""

    label: str  # a digit, a number ("2026"), NOT_A_DIGIT, or EMPTY_MESSAGE for a blank canvas
    alternatives: list  # (label, probability), the top label's first; for one part, all ten digits
    inputs: list = field(default_factory=list)  # (28, 28) float32 model inputs, left to right

    @property
    def confidence(self) -> float:
        return self.alternatives[0][1] if self.alternatives else 0.0


def top_numbers(digits: np.ndarray, k: int = NUMBER_ALTERNATIVES) -> list[tuple[str, float]]:
    """The k most likely strings for parts with these (P, 10) digit probabilities, by product (a beam search)."""
    beam = [(1.0, "")]
    for probabilities in digits:
        candidates = ((p * float(q), text + CLASS_NAMES[d]) for p, text in beam for d, q in enumerate(probabilities))
        beam = heapq.nlargest(k, candidates, key=lambda c: c[0])
    return [(text, p) for p, text in beam]


def part_scores(digits: np.ndarray, not_digit: np.ndarray) -> np.ndarray:
    """How likely each candidate part is one digit, on the models' own scores: max P(digit) x P(a digit)."""
    return digits.max(axis=1) * (1 - not_digit)


def part_gain(score: float, prior: float = PART_PRIOR) -> float:
    """A part's log contribution to its reading: its score times the prior a part costs."""
    return float(np.log(max(score, 1e-12) * prior))


def best_parts(scores, spans, wholes, pieces: int, prior: float = PART_PRIOR) -> list[int]:
    """The candidate parts (indices) that cover every piece once, left to right, with the largest product of scores.

    scores is None where a part could not be read (too small): a whole group that cannot be read is left
    out, as a speck is. Each part multiplies in its score and the prior, so "0" beats "6" + "7" unless the
    models are much surer of both halves than of the 0; of equal products, the wider part wins.
    """
    gains = [0.0 if score is None and whole else -np.inf if score is None else part_gain(score, prior)
             for score, whole in zip(scores, wholes)]
    best = np.full(pieces + 1, -np.inf)
    best[0] = 0.0
    came: list[int | None] = [None] * (pieces + 1)
    order = sorted(range(len(spans)), key=lambda k: spans[k][0] - spans[k][1])  # wider parts first
    for end in range(1, pieces + 1):
        for k in order:
            start, stop = spans[k]
            if stop == end and best[start] + gains[k] > best[end]:
                best[end], came[end] = best[start] + gains[k], k
    chosen, end = [], pieces
    while end > 0 and came[end] is not None:
        chosen.append(came[end])
        end = spans[came[end]][0]
    return [k for k in reversed(chosen) if scores[k] is not None]


def group_refusals(not_digit, spans, wholes, chosen) -> np.ndarray:
    """P(not a digit) of each chosen part, raised to its whole group's where the gate refuses the group and the
    part is not surely a digit (CUT_PART_DOUBT): a doodle cut into digit-like pieces is still no number.

    not_digit: each candidate part's P(not a digit), None where it could not be read.
    """
    out = []
    for k in chosen:
        whole = next(w for w, (a, b) in enumerate(spans) if wholes[w] and a <= spans[k][0] and spans[k][1] <= b)
        group_refused = whole != k and not_digit[whole] is not None and not_digit[whole] > GATE_DECISION
        out.append(max(not_digit[k], not_digit[whole]) if group_refused and not_digit[k] > CUT_PART_DOUBT
                   else not_digit[k])
    return np.asarray(out, np.float64)


def off_the_line(boxes) -> np.ndarray:
    """Which parts, with these (x, y, width, height) boxes, do not sit like digits of a number written on a
    line with the others: far shorter than the tallest, far wider than it is high, or off its rows."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    tops, heights, widths = boxes[:, 1], boxes[:, 3], boxes[:, 2]
    tallest = int(heights.argmax())
    shared = np.minimum(tops + heights, tops[tallest] + heights[tallest]) - np.maximum(tops, tops[tallest])
    return ((heights.max() > NUMBER_HEIGHTS * heights) | (widths > NUMBER_WIDTH * heights.max())
            | (shared < NUMBER_ROWS * heights))


def written_on_a_line(boxes) -> bool:
    """Whether parts with these (x, y, width, height) boxes sit like the digits of a written number."""
    return not off_the_line(boxes).any()


def decide(digits: np.ndarray, not_digit: np.ndarray, inputs: list, boxes=None, apart: bool = False) -> Reading:
    """The reading of a drawing from its parts' digit probabilities (P, 10) and P(not a digit) (P,).

    One part reads as one digit, with all ten probabilities; several parts as a number. A drawing
    is not a digit when the gate refuses any of its parts, or when its parts (boxes: (x, y, w, h)
    each) do not sit like a written number: a doodle split into pieces is no number. Parts drawn
    apart (apart: each from its own pen strokes, no part carrying another's refusal) are judged on
    average: the number is refused when the geometric mean of their P(a digit) is under one half,
    so one doubtful digit among sure ones does not refuse it, nor is a long number refused for its
    length.
    """
    if not inputs:
        return Reading(EMPTY_MESSAGE, [], [])
    if len(inputs) == 1:
        ranked = sorted(zip(CLASS_NAMES, digits[0].tolist()), key=lambda kv: kv[1], reverse=True)
    else:
        ranked = top_numbers(digits)
        if boxes is not None and not written_on_a_line(boxes):
            not_digit = np.maximum(not_digit, 1.0)  # certain: these parts are no number
    refusal = float(1 - np.exp(np.mean(np.log(np.clip(1 - not_digit, 1e-12, 1)))) if apart else not_digit.max())
    if refusal > GATE_DECISION:
        # P(digit d) = P(a digit) x P(d | a digit): below P(not a digit), which is over one half
        return Reading(NOT_A_DIGIT, [(NOT_A_DIGIT, refusal), *((text, p * (1 - refusal)) for text, p in ranked)], inputs)
    return Reading(ranked[0][0], ranked, inputs)


def label_value(reading: Reading) -> dict[str, float] | str:
    """What gr.Label gets: {label: probability}, the reading's label the most probable; the prompt when blank."""
    return dict(reading.alternatives) if reading.alternatives else reading.label


def label_json(reading: Reading) -> dict:
    """What /predict returns for the label: {"label": ..., "confidences": [{"label", "confidence"}, ...]}."""
    return {"label": reading.label,
            "confidences": [{"label": label, "confidence": p} for label, p in reading.alternatives]}


PREVIEW_SCALE = 3  # 84 px a digit: readable, and the PNG stays about a kilobyte (a 224 px one slowed replies)


def preview(inputs: list) -> np.ndarray | None:
    """The parts as the model sees them, side by side, each 28x28 shown PREVIEW_SCALE times, a grey bar between."""
    if not inputs:
        return None
    bar = np.full((inputs[0].shape[0], 2), 64, np.uint8)
    tiles = np.hstack([part for x in inputs for part in (bar, (x * 255).astype(np.uint8))][1:])
    return tiles.repeat(PREVIEW_SCALE, axis=0).repeat(PREVIEW_SCALE, axis=1)
