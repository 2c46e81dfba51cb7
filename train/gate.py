"""The not-a-digit gate: a tiny CNN beside the digit reader that says whether a drawing is a digit at all.

It learns digits (MNIST and pen digits, drawn as sketchpad strokes) against things that are not:
Omniglot characters, Quick, Draw! doodles and random scribbles, all drawn and preprocessed the
same way, so the stroke rendering itself tells nothing. Its threshold is set on held-out writers'
digits for a target refusal rate, then folded into its last bias so the saved file decides at 0.5.
"""

from typing import NamedTuple

import numpy as np

from recognizer.contract import INPUT_SHAPE
from train.compose import FRAGMENT_KINDS
from train.pen_data import drawn_inputs

EMPTY = np.zeros((0, 28, 28), np.uint8)
# Categories never trained on: the benchmark measures the gate on kinds of things it has not seen.
HELD_OUT_CATEGORIES = ("bee", "car", "guitar", "octopus", "snowman")
# Omniglot glyphs the digit reader takes for a digit this surely (a circle, a bar) are digits in all
# but name: as negatives they would teach the gate to refuse real 0s and 1s.
DIGIT_LIKE = 0.99
# Pieces of numbers (train.compose) the digit reader takes for a digit this surely are left out of the negatives:
# near a real digit they only push the threshold up and let doodles through (measured: a 4-epoch gate on a
# subsample let 32.7% of validation doodles through screened at 0.9, 34.1-43.7% at 0.99, 30.0% without pieces).
FRAGMENT_SCREEN = 0.9


class GateData(NamedTuple):
    x: np.ndarray  # (N, 28, 28) uint8 model inputs
    not_digit: np.ndarray  # (N,) float32, 1 for a non-digit


def scribble_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """A random squiggle of 2-4 strokes of 3-8 points each."""
    return [rng.uniform(0, 1, (int(rng.integers(3, 9)), 2)) for _ in range(int(rng.integers(2, 5)))]


def build_gate(width: int = 1) -> "keras.Model":  # noqa: F821
    """Conv16w-Pool-Conv32w-Pool-Dense64w-Dense1 sigmoid: P(not a digit); 60k weights at width 1, 220k at 2."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(16 * width, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32 * width, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(64 * width, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="not_digit_gate")


def screen_digit_like(x: np.ndarray, digit_probabilities: np.ndarray, level: float = DIGIT_LIKE) -> np.ndarray:
    """The negatives the digit reader does not take for a digit with this confidence."""
    return x[digit_probabilities.max(axis=1) < level]


def labelled(digits: list, non_digits: list) -> GateData:
    """Stack digit and non-digit inputs into one labelled set."""
    digits = [d for d in digits if len(d)]
    non_digits = [n for n in non_digits if len(n)]
    x = np.concatenate(digits + non_digits)
    n_digits = sum(map(len, digits))
    y = np.zeros(len(x), np.float32)
    y[n_digits:] = 1
    return GateData(x, y)


def draw_scribbles(count: int, seed: int) -> np.ndarray:
    """count random scribbles drawn as sketchpad drawings and preprocessed."""
    rng = np.random.default_rng(seed)
    return drawn_inputs([scribble_strokes(rng) for _ in range(count)], "strokes", seed + 1)


def fit_gate(train: GateData, val: GateData, epochs: int, seed: int, verbose: int = 2,
             width: int = 1) -> "keras.Model":  # noqa: F821
    """Train the gate with class-balanced weights; keep the epoch with the best validation accuracy."""
    import keras

    from train.fit import RestoreBest, to_float

    keras.utils.set_random_seed(seed)
    gate = build_gate(width)
    gate.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    share = train.not_digit.mean()
    weights = np.where(train.not_digit == 1, 0.5 / share, 0.5 / (1 - share)).astype(np.float32)
    best = RestoreBest()
    gate.fit(to_float(train.x), train.not_digit, sample_weight=weights, batch_size=256, epochs=epochs,
             validation_data=(to_float(val.x), val.not_digit), callbacks=[best], shuffle=True, verbose=verbose)
    return gate


def threshold_for(not_digit_scores: np.ndarray, refusal: float) -> float:
    """The P(not a digit) threshold that refuses at most this share of the given real digits."""
    return float(np.quantile(not_digit_scores, 1 - refusal, method="higher"))


def fold_threshold(gate, threshold: float) -> None:
    """Shift the gate's last bias so that P(not a digit) = 0.5 where it was `threshold`."""
    threshold = float(np.clip(threshold, 1e-6, 1 - 1e-6))
    kernel, bias = gate.layers[-1].get_weights()
    gate.layers[-1].set_weights([kernel, bias - np.log(threshold / (1 - threshold))])


def doodle_split(labels: np.ndarray, categories: list[str], seed: int, val_share: float = 0.05):
    """Indices (train, val) of the doodles in the trained categories; the held-out categories are in neither."""
    held_out = np.isin(np.asarray(categories)[labels], HELD_OUT_CATEGORIES)
    order = np.random.default_rng(seed).permutation(np.flatnonzero(~held_out))
    n_val = int(len(order) * val_share)
    return order[n_val:], order[:n_val]


def pen_writers_split(pen_file, val_writers: int, limit: int | None = None) -> tuple[list, list]:
    """The pen digits of the training file split by writer as pen_sets splits them: (training, held-out)."""
    from train.pen_data import read_unipen

    digits = read_unipen(pen_file)[:limit]
    writers = sorted({d.writer for d in digits})
    held_out = set(writers[len(writers) - val_writers:]) if val_writers else set()
    return [d for d in digits if d.writer not in held_out], [d for d in digits if d.writer in held_out]


def draw_fragments(digits: list, sizes: dict, seed: int, suffix: str = "") -> dict[str, np.ndarray]:
    """Pieces of numbers that are not one digit (train.compose.FRAGMENT_KINDS), made from these pen
    digits' strokes and drawn as sketchpad drawings: {kind + suffix: inputs}."""
    from train.compose import FRAGMENT_KINDS, fragments

    strokes, writers = [d.strokes for d in digits], [d.writer for d in digits]
    out = {}
    for k, kind in enumerate(FRAGMENT_KINDS):
        count = sizes.get(kind, 0) if not suffix else sizes["val"] // 4
        drawn = fragments(strokes, writers, kind, count, seed + 2 * k) if digits and count else []
        out[kind + suffix] = drawn_inputs(drawn, "strokes", seed + 2 * k + 1)
    return out


def fragment_sizes(cfg) -> dict[str, int]:
    """How many of each fragment kind the gate trains on, from the TrainConfig."""
    return {"halves": cfg.gate_halves, "pairs": cfg.gate_pairs, "neighbour_bits": cfg.gate_neighbour_bits}


def draw_gate_sets(mnist_train: np.ndarray, mnist_val: np.ndarray, omniglot_file, quickdraw_file,
                   sizes: dict, seed: int, pen_file=None, pen_val_writers: int = 0,
                   pen_limit: int | None = None) -> dict[str, np.ndarray]:
    """Every set the gate needs beyond the pen digits, drawn as sketchpad drawings and preprocessed.

    Keys: mnist, mnist_val (digits); omniglot, omniglot_val, doodles, doodles_val, scribbles,
    scribbles_val, and each fragment kind with and without _val (non-digits). Fragments are made from
    the pen training file's training writers (val: its held-out writers; never the test file's). A set
    whose file is not given is empty.
    """
    from train.pen_data import read_omniglot, read_quickdraw

    rng = np.random.default_rng(seed)
    pick = lambda n, count: rng.choice(n, min(count, n), replace=False)  # noqa: E731
    sets = {
        "mnist": drawn_inputs(mnist_train[pick(len(mnist_train), sizes["mnist"])], "bitmap", seed + 10),
        "mnist_val": drawn_inputs(mnist_val[pick(len(mnist_val), sizes["val"])], "bitmap", seed + 11),
        "scribbles": draw_scribbles(sizes["scribbles"], seed + 12),
        "scribbles_val": draw_scribbles(sizes["val"] // 4, seed + 13),
    }
    empty = np.zeros((0, 28, 28), np.uint8)
    sets["omniglot"] = sets["omniglot_val"] = sets["doodles"] = sets["doodles_val"] = empty
    if omniglot_file is not None:
        train = read_omniglot(omniglot_file, "train")
        sets["omniglot"] = drawn_inputs([train[i] for i in pick(len(train), sizes["omniglot"])], "strokes", seed + 14)
        sets["omniglot_val"] = drawn_inputs(read_omniglot(omniglot_file, "valid"), "strokes", seed + 15)
    if quickdraw_file is not None:
        doodles = read_quickdraw(quickdraw_file)
        train, val = doodle_split(doodles.labels, doodles.categories, seed)
        train = train[pick(len(train), sizes["doodles"])]
        sets["doodles"] = drawn_inputs(doodles.images[train], "bitmap", seed + 16)
        sets["doodles_val"] = drawn_inputs(doodles.images[val[: sizes["val"]]], "bitmap", seed + 17)
    pen_train, pen_val = pen_writers_split(pen_file, pen_val_writers, pen_limit) if pen_file else ([], [])
    sets |= draw_fragments(pen_train, sizes, seed + 20) | draw_fragments(pen_val, sizes, seed + 30, "_val")
    return sets


# Measured in benchmarks/gate_variants.py: all the drawn negatives and width 2 each let fewer doodles through.
GATE_SIZES = {"mnist": 12000, "omniglot": 30000, "doodles": 48000, "scribbles": 6000, "val": 2000}
GATE_WIDTH = 2


def train_gate(digit_model, sets: dict, pen_train: np.ndarray, pen_val: np.ndarray, epochs: int,
               refusal: float, seed: int, width: int = GATE_WIDTH, screen: float = DIGIT_LIKE,
               extra_not_digits: np.ndarray | None = None, fragment_screen: float = FRAGMENT_SCREEN):
    """Fit the gate on the drawn sets, set its threshold on held-out digits, fold it in; return (gate, metrics).

    pen_train are the training digits beyond MNIST's (pen digits, visitors' corrections); extra_not_digits
    the drawings visitors said are not digits.
    """
    from train.fit import to_float

    def screened(x, level):
        if not len(x):
            return x
        return screen_digit_like(x, digit_model.predict(to_float(x), batch_size=1000, verbose=0), level)

    # Omniglot glyphs and pieces of numbers the reader takes surely for a digit are screened out.
    kinds = ("omniglot", "doodles", "scribbles", *FRAGMENT_KINDS)
    levels = {"omniglot": screen} | {kind: fragment_screen for kind in FRAGMENT_KINDS}
    negatives = {k: screened(sets.get(k, EMPTY), levels[kind]) if kind in levels else sets[k]
                 for kind in kinds for k in (kind, kind + "_val")}
    extra = [] if extra_not_digits is None else [extra_not_digits]
    train = labelled([sets["mnist"], pen_train], [negatives[k] for k in kinds] + extra)
    val_digits = [sets["mnist_val"], pen_val]
    val = labelled(val_digits, [negatives[k + "_val"] for k in kinds])
    gate = fit_gate(train, val, epochs, seed, width=width)
    score = lambda x: gate.predict(to_float(x), batch_size=1000, verbose=0)[:, 0] if len(x) else np.zeros(0)  # noqa: E731
    threshold = threshold_for(np.concatenate([score(x) for x in val_digits]), refusal)
    fold_threshold(gate, threshold)
    metrics = {
        "threshold": threshold, "target_refusal": refusal, "width": width, "parameters": gate.count_params(),
        "train_digits": int((train.not_digit == 0).sum()), "train_non_digits": int(train.not_digit.sum()),
        "omniglot_screened_out": int(len(sets["omniglot"]) - len(negatives["omniglot"])),
        "train_omniglot": int(len(negatives["omniglot"])), "train_doodles": int(len(sets["doodles"])),
        "train_scribbles": int(len(sets["scribbles"])),
        "train_fragments": {k: int(len(negatives[k])) for k in FRAGMENT_KINDS},
        "fragments_screened_out": {k: int(len(sets.get(k, EMPTY)) - len(negatives[k])) for k in FRAGMENT_KINDS},
        "held_out_categories": list(HELD_OUT_CATEGORIES),
        # validation rates at the folded threshold (0.5): digits refused, non-digits let through
        "val_refused": {k: float((score(sets[k]) > 0.5).mean()) if len(sets[k]) else None
                        for k in ("mnist_val",)} | {"pen_val": float((score(pen_val) > 0.5).mean()) if len(pen_val) else None},
        "val_answered": {k: float((score(negatives[k]) <= 0.5).mean()) if len(negatives[k]) else None
                         for k in ("omniglot_val", "doodles_val", "scribbles_val", *(f + "_val" for f in FRAGMENT_KINDS))},
    }
    return gate, metrics
