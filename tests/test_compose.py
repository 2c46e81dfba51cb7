"""Numbers and pieces of numbers composed from pen digits' strokes (train.compose), and the gate's fragments."""

import numpy as np
import pytest

from tests.conftest import ROOT
from train.compose import (
    FRAGMENT_KINDS,
    clip_strokes,
    fragments,
    half,
    ink_length,
    normalised,
    place,
    row_extents,
    touching_pair,
    width_of,
)
from train.pen_data import PENDIGITS_TRAIN, read_unipen

PEN = ROOT.parent / "shared" / "data" / "pendigits"


@pytest.fixture(scope="module")
def train_digits():
    return read_unipen(PEN / PENDIGITS_TRAIN)[:600]


def closest(strokes, owners) -> float:
    """Closest row-by-row distance between the centre lines of digit 1 and digit 0."""
    owners = np.array(owners)
    right = row_extents([s for s, o in zip(strokes, owners) if o == 0])[1]
    left = row_extents([s for s, o in zip(strokes, owners) if o == 1])[0]
    return float(np.min(left - right))


@pytest.mark.parametrize("gap", [0.3, 0.05, 0.0, -0.1])
def test_neighbours_are_slid_together_to_the_asked_gap(train_digits, gap):
    rng = np.random.default_rng(0)
    for i in range(0, 40, 2):
        strokes, owners = place([train_digits[i].strokes, train_digits[i + 1].strokes], [gap], rng)
        assert closest(strokes, owners) == pytest.approx(gap, abs=0.03)


def test_a_touching_pair_overlaps_and_is_wider_than_either_digit(train_digits):
    rng = np.random.default_rng(1)
    for i in range(0, 40, 2):
        a, b = train_digits[i].strokes, train_digits[i + 1].strokes
        pair = touching_pair(a, b, rng)
        assert width_of(pair) > 0.9 * max(width_of(normalised(a)), width_of(normalised(b)))
        assert len(pair) == len(a) + len(b)


def test_a_half_keeps_part_of_the_ink_and_clipping_keeps_it_inside_the_band(train_digits):
    rng = np.random.default_rng(2)
    for d in train_digits[:40]:
        whole = normalised(d.strokes)
        piece = half(d.strokes, rng)
        assert 0 < ink_length(piece) < ink_length(whole)
    band = clip_strokes(normalised(train_digits[0].strokes), 0, 0.1, 0.3)
    xs = np.concatenate(band)[:, 0]
    assert xs.min() >= 0.1 - 1e-9 and xs.max() <= 0.3 + 1e-9


def test_fragments_are_seeded_and_pairs_stay_with_one_writer(train_digits):
    strokes, writers = [d.strokes for d in train_digits], [d.writer for d in train_digits]
    for kind in FRAGMENT_KINDS:
        first, again = fragments(strokes, writers, kind, 20, 3), fragments(strokes, writers, kind, 20, 3)
        assert len(first) == 20 and all(np.array_equal(a, b) for x, y in zip(first, again) for a, b in zip(x, y))
    with pytest.raises(ValueError, match="kind"):
        fragments(strokes, writers, "wholes", 1, 0)


def test_the_gate_draws_fragments_from_training_writers_only():
    from train.config import TrainConfig
    from train.gate import draw_gate_sets
    from train.pen_data import pen_writers_split

    train, val = pen_writers_split(PEN / PENDIGITS_TRAIN, 4)
    assert {d.writer for d in train}.isdisjoint({d.writer for d in val}) and len({d.writer for d in val}) == 4
    blank = np.zeros((10, 28, 28), np.uint8)
    sizes = dict(gate_mnist=2, gate_scribbles=2, gate_val=8, gate_halves=5, gate_pairs=5, gate_neighbour_bits=5)
    sets = draw_gate_sets(blank, blank, TrainConfig(**sizes, seed=0, pen_data=PEN, limit=800))
    for kind in FRAGMENT_KINDS:
        assert sets[kind].shape == (5, 28, 28) and sets[kind + "_val"].shape == (2, 28, 28)
        assert (sets[kind].reshape(5, -1).max(axis=1) > 0).all()  # drawn, not blank
    assert len(draw_gate_sets(blank, blank, TrainConfig(**sizes, seed=0))["halves"]) == 0  # no pen file, no fragments
