"""Candidate parts of a drawing's ink, left to right, for the models to choose the digits among.

The ink is looked at on a small working copy (longest side WORK_SIDE), so the cost does not grow
with the canvas. Geometry does only what is plainly right: its connected parts are grouped into
digits where strokes that do not touch belong together (a 5's top bar, a 7's crossbar, a 1's flag
and base, a 4 whose stem stands apart: low pieces over, under or beside a tall part, or two tall
halves one above the other), and small specks away from the digits are dropped. Whether a group is
one digit or neighbours that touch, and where to cut it, the models decide: each group is offered
whole and cut along a few cheap top-to-bottom paths through at most CUT_ENTRIES strokes, every run
of pieces between cuts is a candidate part, and recognizer.reading.best_parts keeps the reading
whose parts are most likely digits.
"""
from dataclasses import dataclass
from itertools import combinations

import cv2
import numpy as np

from recognizer.preprocess import STRAY_SIZE, _stroke_width, ink_levels

WORK_SIDE = 256  # longest side of the working copy, px
WORK_INK = 0.25  # a working pixel is ink when this share of its area is: thin lines survive, gaps stay open
PAD = 2  # margin of background around each digit's own ink map, px
MAX_PARTS = 64  # connected parts looked at, largest first

# Grouping parts into digits. Sizes are shares of the line's height: the tallest part's, a whole digit's.
PIECE = 0.6  # a part lower than this is a piece of a digit (a bar, flag, base, dot, a 9's loop), not a digit
ATTACH_GAP = 0.5  # a piece this near a part belongs with it; farther and small (STRAY_SIZE), a stray mark
WIDE_OVERLAP = 0.5  # tall parts overlapping by this share of the narrower one's width are one digit
NARROW_FLOOR = 0.3  # widths count as at least this, so a 1 beside its neighbour's ink does not overlap it
STACKED = 0.7  # tall parts sharing less than this share of the shorter one's rows, one above the other
# A 4 whose stem stands apart from its hook (the L on its left): the hook ends HOOK_BOTTOM of the stem's
# height above the stem's end (neighbouring digits end alike), starts no lower than HOOK_TOP below the
# stem's top, is HOOK_WIDTH as wide as high (an L, not a 1) and no farther than HOOK_GAP from it.
HOOK_BOTTOM, HOOK_TOP, HOOK_WIDTH, HOOK_GAP = 0.3, 0.25, 0.4, 0.15

# Candidate cuts through a group where neighbours may touch; the models choose among the readings they make.
# A group narrower than CUT_WIDTH of its height is one digit (a 1, a 7): touching pairs are wider (99 in 100
# of the training writers' pairs). A wider group gets one cut to try per CUT_STEP of its width over its
# height: a digit as wide as 0.7 one, a pair two or three. Each cut tried costs a few parts read (latency).
CUT_WIDTH, CUT_STEP = 0.6, 0.45
CUT_ROWS = 48  # cuts are searched on a copy of the group at most this many rows high
CUT_INK = 4.0  # a cut runs along at most this many brush widths of ink
ENTRY = 2.0  # entering a stroke costs ENTRY * CUT_INK brush widths: a cut crosses as few strokes as it can
CUT_ENTRIES = 2  # strokes a cut may cross: two where a bar reaches over a neighbour that touches it
CUT_INK_SHARE = 0.1  # each side of a cut holds at least this share of the group's ink
SAME_CUT = 0.05  # cuts whose left sides differ by less than this share of the ink are one cut
MAX_CUTS = 5  # cuts per group at most, cheapest first: enough for four touching digits and a wrong cut
MAX_SPAN = 3  # a part covers at most this many pieces between cuts (or the whole group)
DRIFT = 0.02  # cost of a diagonal step, so that of equal cuts the straight one wins
MAX_CANDIDATES = 32  # parts read per drawing, in one batch: fewer cuts are tried on a larger drawing


@dataclass(frozen=True)
class Digit:
    """One digit of a drawing: where it is, and an ink map holding only its own strokes."""

    box: tuple[int, int, int, int]  # x, y, width, height of its ink in the drawing's ink map
    # uint8, 255 = ink: the box's crop, other digits' ink removed, inside a margin of PAD pixels; for a
    # drawing of one digit, the whole ink map unchanged, so that a lone digit is read exactly as before.
    ink: np.ndarray


@dataclass(frozen=True)
class Candidates:
    """Candidate parts of a drawing for the models to choose among.

    The ink is cut into pieces, left to right: each group of strokes that belong together, cut further
    where neighbours may touch. A part covers a run of one group's pieces; a reading of the drawing is a
    run of parts that covers every piece once (each group whole is always a part).
    """

    parts: list[Digit]
    spans: list[tuple[int, int]]  # pieces [start, end) each part covers
    wholes: list[bool]  # whether the part is a whole group (which may be dropped when it is too small to read)
    pieces: int


def split_digits(ink: np.ndarray | None) -> list[Digit]:
    """An ink map (uint8, 255 = ink, as ink_map gives) -> its groups of strokes left to right, uncut; [] if blank."""
    found = candidates(ink, max_cuts=0)
    return found.parts


def candidates(ink: np.ndarray | None, max_cuts: int = MAX_CUTS, limit: int = MAX_CANDIDATES) -> Candidates:
    """An ink map -> its candidate parts: each group of strokes whole, and the runs of pieces between cuts."""
    levels = ink_levels(ink)
    work = None if levels is None else _working_copy(ink, levels[1])
    if work is None:
        return Candidates([], [], [], 0)
    mask, origin, scale = work
    groups = _digit_masks(mask)
    brush = max(1.0, _stroke_width(mask))
    cuts = [_cuts(group, brush, max_cuts) for group in groups]
    while sum(_part_count(len(c)) for c in cuts) > limit:  # drop the dearest cut of the group cut most
        widest = max(range(len(cuts)), key=lambda g: len(cuts[g]))
        cuts[widest] = _fewer(cuts[widest])
    parts, spans, wholes, first = [], [], [], 0
    for group, group_cuts in zip(groups, cuts):
        bounds = [None, *sorted(group_cuts, key=lambda c: c[1].mean()), None]
        for i in range(len(bounds) - 1):
            for j in range(i + 1, len(bounds)):
                whole = i == 0 and j == len(bounds) - 1
                if j - i > MAX_SPAN and not whole:
                    continue
                part = group if whole else _between(group, bounds[i], bounds[j])
                if not whole and part.sum() < CUT_INK_SHARE * group.sum():
                    continue  # a sliver between two cuts: read only with its neighbours
                if len(groups) == 1 and whole:  # a lone group: the drawing's own ink, read exactly as before
                    parts.append(Digit(_full_box(_box(part), origin, scale, ink.shape), ink))
                else:
                    parts.append(_digit_ink(ink, part, origin, scale, levels[0]))
                spans.append((first + i, first + j))
                wholes.append(whole)
        first += len(bounds) - 1
    return Candidates(parts, spans, wholes, first)


def _working_copy(ink: np.ndarray, level: int):
    """(binary mask of the ink's box at most WORK_SIDE long, its origin in the ink map, scale); None if no ink."""
    _, full = cv2.threshold(ink, level - 1, 255, cv2.THRESH_BINARY)
    x, y, w, h = cv2.boundingRect(full)
    if w == 0 or h == 0:
        return None
    crop = full[y : y + h, x : x + w]
    scale = min(1.0, WORK_SIDE / max(w, h))
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # A working pixel is ink when WORK_INK of its area is: thin lines survive, narrow gaps stay open.
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return (crop >= 255 * WORK_INK).astype(np.uint8), (x, y), scale


def _box(mask: np.ndarray) -> np.ndarray:
    """Box (x0, y0, x1, y1) of a mask's ink."""
    x, y, w, h = cv2.boundingRect(mask)
    return np.array([x, y, x + w, y + h])


def _digit_masks(mask: np.ndarray) -> list[np.ndarray]:
    """Working-copy masks of the groups of strokes that belong together, left to right."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = np.column_stack([stats[1:, 0], stats[1:, 1], stats[1:, 0] + stats[1:, 2], stats[1:, 1] + stats[1:, 3]])
    # Grouping compares parts pairwise: beyond the largest MAX_PARTS (a noisy photo), the rest are specks.
    kept = np.argsort(-stats[1:, 4], kind="stable")[:MAX_PARTS]
    groups = np.full(len(boxes), -1)
    grouped = _group(boxes[kept])
    groups[kept] = np.where(grouped >= 0, kept[grouped], -1)
    owner = np.r_[-1, groups]  # each label's digit; the background's is -1
    digits = [(owner[labels] == group).astype(np.uint8) for group in np.unique(groups[groups >= 0])]
    return sorted(digits, key=lambda m: _box(m)[[0, 2]].mean())


def _gaps(boxes: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal overlap (negative: gap) and box distance from part i to every part."""
    x0, y0, x1, y1 = boxes.T
    overlap = (np.minimum(x1, x1[i]) - np.maximum(x0, x0[i])).astype(np.float64)
    dy = np.maximum(0, np.maximum(y0 - y1[i], y0[i] - y1))
    return overlap, np.maximum(np.maximum(0, -overlap), dy)


def _is_hook(piece: np.ndarray, stem: np.ndarray, above: float = HOOK_BOTTOM, shorter: float = np.inf) -> bool:
    """Whether a part (an L) is the hook of a 4 whose stem, another part on its right, stands apart from
    it: the hook ends `above` of the stem's height above the stem's end, and is less than `shorter` of it."""
    height = stem[3] - stem[1]
    return bool(stem[3] - piece[3] >= above * height and piece[1] - stem[1] <= HOOK_TOP * height
                and piece[3] - piece[1] < shorter * height and piece[0] + piece[2] < stem[0] + stem[2]
                and piece[2] - piece[0] >= HOOK_WIDTH * (piece[3] - piece[1])
                and max(piece[0] - stem[2], stem[0] - piece[2]) <= HOOK_GAP * height)


class _Sets:
    """Disjoint sets of part indices (union-find)."""

    def __init__(self, count: int):
        self.parent = list(range(count))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def _group(boxes: np.ndarray) -> np.ndarray:
    """Digit index of each connected part (boxes x0, y0, x1, y1), or -1 for a stray mark."""
    count = len(boxes)
    height = boxes[:, 3] - boxes[:, 1]
    line = height.max()
    sets = _Sets(count)
    for i in np.flatnonzero(height < PIECE * line):
        overlap, distance = _gaps(boxes, i)
        overlap[i], distance[i] = -np.inf, np.inf
        # A bar or base lies over or under its own digit: the part it overlaps most; a dot lies beside it:
        # the nearest part. Pieces join pieces too, so that a digit drawn in bits gathers into one.
        j = int(overlap.argmax()) if overlap.max() > 0 else int(distance.argmin())
        if distance[j] <= ATTACH_GAP * line:
            sets.join(i, j)
    roots = np.array([sets.find(i) for i in range(count)])
    clusters = np.array([_union(boxes[roots == r]) for r in range(count)])  # valid at roots only
    tall = (clusters[:, 3] - clusters[:, 1] >= PIECE * line) & (roots == np.arange(count))
    for i, j in combinations(np.flatnonzero(tall), 2):
        if _one_digit(clusters[i], clusters[j], line):
            sets.join(i, j)
    stray = np.zeros(count, bool)
    for i in np.flatnonzero(~tall & (roots == np.arange(count))):  # pieces that found no digit yet
        distance = _gaps(np.vstack([clusters[i], clusters[tall]]), 0)[1][1:]
        if len(distance) and distance.min() <= ATTACH_GAP * line:
            sets.join(i, np.flatnonzero(tall)[distance.argmin()])
        elif np.ptp(clusters[i].reshape(2, 2), axis=0).max() < STRAY_SIZE * line:
            stray[roots == i] = True  # a click away from the digits
    return np.array([-1 if stray[i] else sets.find(i) for i in range(count)])


def _one_digit(a: np.ndarray, b: np.ndarray, line: int) -> bool:
    """Whether two tall parts are one digit: one over the other, or a 4's hook and stem."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    floor = NARROW_FLOOR * line
    narrower = min(max(a[2] - a[0], floor), max(b[2] - b[0], floor))
    return overlap >= WIDE_OVERLAP * narrower or _is_hook(a, b) or _is_hook(b, a) or _stacked(a, b, line)


def _stacked(a: np.ndarray, b: np.ndarray, line: int) -> bool:
    """Whether two tall parts sit one above the other, diagonally and close: halves of one digit (a 4 whose
    stem starts halfway down). Neighbouring digits share most of their rows."""
    shared = min(a[3], b[3]) - max(a[1], b[1])
    gap = max(a[0] - b[2], b[0] - a[2])
    return bool(shared < STACKED * min(a[3] - a[1], b[3] - b[1]) and gap <= HOOK_GAP * line)


def _union(boxes: np.ndarray) -> np.ndarray:
    """The box (x0, y0, x1, y1) around boxes; zeros for none."""
    if len(boxes) == 0:
        return np.zeros(4, boxes.dtype)
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


def _part_count(cuts: int) -> int:
    """Candidate parts of a group with this many cuts: runs of at most MAX_SPAN pieces, and the whole."""
    pieces = cuts + 1
    return sum(pieces - span + 1 for span in range(1, min(MAX_SPAN, pieces) + 1)) + (pieces > MAX_SPAN)


def _cuts(group: np.ndarray, brush: float, max_cuts: int) -> list[tuple[float, np.ndarray]]:
    """Up to max_cuts (cost, column in each row of the group's mask) top-to-bottom cuts, cheapest first."""
    x0, y0, x1, y1 = _box(group)
    height, width = y1 - y0, x1 - x0
    max_cuts = min(max_cuts, int(width / (CUT_STEP * height)))
    if max_cuts == 0 or width < CUT_WIDTH * height:
        return []
    ink = group[y0:y1, x0:x1]
    size = (max(1, round(width * min(1.0, CUT_ROWS / height))), min(height, CUT_ROWS))
    small = ink if size[1] == height else (
        cv2.resize(ink * 255, size, interpolation=cv2.INTER_AREA) >= 255 * WORK_INK).astype(np.uint8)
    rows = np.minimum(np.arange(height) * size[1] // height, size[1] - 1)
    cuts = []
    for cost, path in _candidates(small, brush * size[1] / height, max_cuts):
        columns = np.full(group.shape[0], -1, np.int64)  # rows above and below the group: nothing to cut
        columns[y0:y1] = x0 + np.minimum(((path[rows] + 0.5) * width / size[0]).astype(int), width - 1)
        cuts.append((cost, columns))
    return cuts


def _fewer(cuts: list) -> list:
    """The cuts without the dearest one."""
    return sorted(cuts, key=lambda c: c[0])[:-1]


def _between(group: np.ndarray, left, right) -> np.ndarray:
    """The group's ink right of one cut and left of another (None: the group's edge); cut pixels to neither."""
    columns = np.arange(group.shape[1])[None]
    keep = np.ones(group.shape, bool)
    for cut, side in ((left, 1), (right, -1)):
        if cut is not None:
            rows = cut[1] >= 0
            keep[rows] &= side * (columns - cut[1][rows, None]) > 0
    return group * keep


def _candidates(ink: np.ndarray, brush: float, max_cuts: int) -> list[tuple[float, np.ndarray]]:
    """Up to max_cuts (cost, path) top-to-bottom cuts, cheapest first, each entering CUT_ENTRIES strokes at most,
    along at most CUT_INK brush widths of ink, with CUT_INK_SHARE of the ink on either side, each its own partition."""
    limit = CUT_INK * brush
    costs, paths = _cheapest_paths(ink, ENTRY * limit)
    crossed = np.take_along_axis(ink, paths, axis=1).astype(np.int32)  # (H, W): ink on each path
    entries = crossed[0] + np.count_nonzero(np.diff(crossed, axis=0) > 0, axis=0)
    total = int(ink.sum())
    left = (np.take_along_axis(np.cumsum(ink, axis=1), paths, axis=1) - crossed).sum(axis=0)
    right = total - left - crossed.sum(axis=0)
    usable = (entries <= CUT_ENTRIES) & (crossed.sum(axis=0) <= limit) & (np.minimum(left, right) >= CUT_INK_SHARE * total)
    chosen: list[int] = []
    for end in sorted(np.flatnonzero(usable), key=lambda c: costs[c]):
        if all(abs(left[end] - left[c]) >= SAME_CUT * total for c in chosen):
            chosen.append(end)
        if len(chosen) == max_cuts:
            break
    return [(float(costs[c]), paths[:, c]) for c in chosen]


def _cheapest_paths(ink: np.ndarray, entry: float) -> tuple[np.ndarray, np.ndarray]:
    """Cost of the cheapest top-to-bottom path (one pixel a row, moving at most one column) to each bottom
    column, and those paths, (H, W): each pixel of ink costs 1, entering a stroke `entry` more."""
    height, width = ink.shape
    above = np.pad(ink[:-1], ((1, 0), (1, 1)))  # row 0 comes from blank paper
    # Stepping from the left, straight down, from the right: entering a stroke is what a second one costs,
    # so that two strokes crossed obliquely do not look cheaper than one crossed straight.
    steps = np.stack([ink * (1 + entry * (1 - above[:, k : k + width])) for k in range(3)]).astype(np.float32)
    steps[[0, 2]] += DRIFT
    moves = np.zeros((height, width), np.int64)
    cost = steps[1, 0].copy()
    padded = np.full(width + 2, np.inf, np.float32)
    options = np.empty((3, width), np.float32)
    for row in range(1, height):
        padded[1:-1] = cost
        for k in range(3):
            np.add(padded[k : k + width], steps[k, row], out=options[k])
        best = options.argmin(axis=0)
        moves[row] = best - 1
        cost = options.min(axis=0)
    paths = np.empty((height, width), np.int64)
    paths[-1] = np.arange(width)
    for row in range(height - 1, 0, -1):
        paths[row - 1] = paths[row] + moves[row, paths[row]]
    return cost, paths



def _full_box(box: np.ndarray, origin, scale: float, shape) -> tuple[int, int, int, int]:
    """A working-copy box (x0, y0, x1, y1) in the ink map's pixels, as x, y, width, height."""
    x0, y0 = (int(np.floor(v / scale)) + o for v, o in zip(box[:2], origin))
    x1, y1 = (min(int(np.ceil(v / scale)) + o, limit) for v, o, limit in zip(box[2:], origin, shape[::-1]))
    return x0, y0, x1 - x0, y1 - y0


def _digit_ink(ink: np.ndarray, part: np.ndarray, origin, scale: float, background: int) -> Digit:
    """The digit's own ink: its box cut from the ink map, other digits' ink set to background."""
    # Grown by a working pixel, the mask takes in the soft edge of the digit's strokes.
    grown = cv2.dilate(part, np.ones((3, 3), np.uint8))
    x0, y0, x1, y1 = _box(grown)
    x, y, w, h = _full_box(np.array([x0, y0, x1, y1]), origin, scale, ink.shape)
    own = cv2.resize(grown[y0:y1, x0:x1], (w, h), interpolation=cv2.INTER_NEAREST)
    crop = np.where(own > 0, ink[y : y + h, x : x + w], np.uint8(background))
    return Digit((x, y, w, h), cv2.copyMakeBorder(crop, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=background))
