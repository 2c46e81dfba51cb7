"""Writers and things the models never saw, drawn as sketchpad drawings and read as the app reads them.

Digits: UJIpenchars2 (60 writers of another collection, crossed 7s and flagged 1s the rule: all of
its 1,200 digits), each writing convention of train.conventions drawn into the digits of writers never
trained on (the UCI test file's 14 and UJI's 60), the 14 UCI test writers as they wrote, and MNIST test
digits re-drawn as strokes: accuracy of the top label (strict: it must be the digit), per digit, and the
share refused as "not a digit". Non-digits: Omniglot's test split, Quick, Draw! doodles of the
categories the gate never trained on (drawn along their strokes' skeletons, and as scaled-up
bitmaps) and random scribbles: the share answered with a digit or a number.

    python -m benchmarks.real_writers [--model final_model.keras] [--gate not_digit_gate.keras] [--json out.json]
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np

from recognizer.contract import NOT_A_DIGIT, check_gate_io
from recognizer.predictor import Predictor, load_model_file
from recognizer.reading import EMPTY_MESSAGE
from recognizer.strokes import render_bitmap, render_strokes
from train.config import TrainConfig
from train.conventions import CONVENTIONS, draw_convention
from train.data import load_idx_dir
from train.gate import doodle_split, scribble_strokes
from train.pen_data import (
    OMNIGLOT_FILE,
    PENDIGITS_TEST,
    QUICKDRAW_FILE,
    UJIPEN_FILE,
    read_omniglot,
    read_quickdraw,
    read_ujipen,
    read_unipen,
)
from train.skeleton import redraw_digit as render
from train.skeleton import redraw_set
from train.styles import random_style


def labels_read(predictor: Predictor, drawings) -> list[str]:
    """The app's top label for each drawing, sent as the sketchpad's composite."""
    return [predictor.read({"background": None, "layers": [], "composite": image}).label for image in drawings]


def digit_report(name: str, labels: list[str], truth: np.ndarray) -> dict:
    """Print and return strict accuracy, refusals and per-digit accuracy of one digit set."""
    labels = np.asarray(labels)
    right = labels == truth.astype(str)
    refused = labels == NOT_A_DIGIT
    per_digit = {d: float(right[truth == d].mean()) for d in range(10) if (truth == d).any()}
    print(f"{name:34s} {len(truth):6d} {right.mean():8.2%} {refused.mean():8.2%}  "
          + " ".join(f"{per_digit[d]:6.1%}" if d in per_digit else " " * 6 for d in range(10)))
    return {"accuracy": float(right.mean()), "refused": float(refused.mean()), "n": len(truth),
            "per_digit": {str(d): a for d, a in per_digit.items()}}


def convention_sets(digits, per_convention: int, seed: int) -> dict[str, tuple[list, np.ndarray]]:
    """Each convention drawn into up to per_convention digits of its label (in a seeded order): (strokes, labels)."""
    rng = np.random.default_rng(seed)
    sets = {}
    for label, options in CONVENTIONS.items():
        own = [digits[i] for i in rng.permutation(len(digits)) if digits[i].label == label]
        for name, _, _ in options:
            made = [m[0] for d in own if (m := draw_convention(d.strokes, label, rng, name)) is not None]
            sets[name] = (made[:per_convention], np.full(min(len(made), per_convention), label))
    return sets


def non_digit_report(name: str, labels: list[str]) -> dict:
    """Print and return the share of non-digits answered with a digit or a number."""
    labels = np.asarray(labels)
    answered = (labels != NOT_A_DIGIT) & (labels != EMPTY_MESSAGE)
    print(f"{name:44s} {len(labels):6d} {answered.mean():9.2%}")
    return {"answered": float(answered.mean()), "n": len(labels)}


def styled(items, draw, seed: int) -> list[np.ndarray]:
    """Each item drawn by draw(item, style) in a random visitor style, seeded."""
    rng = np.random.default_rng(seed)
    return [draw(item, random_style(rng)) for item in items]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="digit model file")
    p.add_argument("--gate", type=Path, default=Path("not_digit_gate.keras"), help="not-a-digit gate file ('' for none)")
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with mnist/, pendigits/, ujipen/, omniglot/, quickdraw/")
    p.add_argument("--n", type=int, default=1000, help="drawings per set (at most the set's size)")
    p.add_argument("--per-convention", type=int, default=200, help="drawings per writing convention (UCI test writers and UJI)")
    p.add_argument("--seed", type=int, default=1, help="seed for the samples and the drawing styles")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here (the model card reads them)")
    args = p.parse_args(argv)

    gate = load_model_file(args.gate, check=check_gate_io) if str(args.gate) else None
    predictor = Predictor(load_model_file(args.model), str(args.model), gate=gate)
    rng = np.random.default_rng(args.seed)
    print(f"model {args.model}, gate {args.gate or 'none'}; seed {args.seed}; {os.cpu_count()} cores\n")

    print(f"{'digits':34s} {'n':>6s} {'correct':>8s} {'refused':>8s}  " + " ".join(f"{d:>6d}" for d in range(10)))
    report = {"model": str(args.model), "gate": str(args.gate), "seed": args.seed}
    uji = read_ujipen(args.data / "ujipen" / UJIPEN_FILE)
    report["ujipen"] = digit_report("UJIpenchars2, all 60 writers", labels_read(predictor, styled([d.strokes for d in uji], render_strokes, args.seed)),
                 np.array([d.label for d in uji]))
    all_unseen = read_unipen(args.data / "pendigits" / PENDIGITS_TEST)
    report["conventions"] = {}
    for name, (strokes, truth) in convention_sets(all_unseen + uji, args.per_convention, args.seed).items():
        report["conventions"][name] = digit_report(f"{name} (unseen writers)", labels_read(predictor, styled(strokes, render_strokes, args.seed)), truth)
    pen = [all_unseen[i] for i in np.sort(rng.choice(len(all_unseen), min(args.n, len(all_unseen)), replace=False))]
    report["unseen_writers"] = digit_report("unseen pen writers (14)", labels_read(predictor, styled([d.strokes for d in pen], render_strokes, args.seed)),
                 np.array([d.label for d in pen]))
    mnist = load_idx_dir(args.data / "mnist")
    pick = rng.choice(len(mnist.x_test), min(args.n, len(mnist.x_test)), replace=False)
    report["mnist_redrawn"] = digit_report("MNIST test digits, re-drawn", labels_read(predictor, [im for im, _ in redraw_set(mnist.x_test[pick], args.seed)]),
                 mnist.y_test[pick])

    print(f"\n{'not digits':44s} {'n':>6s} {'answered':>9s}")
    omniglot = read_omniglot(args.data / "omniglot" / OMNIGLOT_FILE, "test")
    report["omniglot"] = non_digit_report("Omniglot test split", labels_read(predictor, styled(omniglot[: args.n], render_strokes, args.seed)))
    doodles, recipe = read_quickdraw(args.data / "quickdraw" / QUICKDRAW_FILE), TrainConfig()
    unseen = np.flatnonzero(np.isin(np.asarray(doodles.categories)[doodles.labels], recipe.gate_held_out))
    unseen = np.sort(rng.choice(unseen, min(args.n, len(unseen)), replace=False))
    name = f"Quick, Draw! unseen kinds ({len(recipe.gate_held_out)})"
    report["doodles_strokes"] = non_digit_report(f"{name}, strokes", labels_read(predictor, styled(doodles.images[unseen], render, args.seed)))
    report["doodles_bitmaps"] = non_digit_report(f"{name}, bitmaps", labels_read(predictor, styled(doodles.images[unseen], render_bitmap, args.seed)))
    # The trained kinds' doodles the gate never trained on: its validation share, as training splits it.
    _, held = doodle_split(doodles.labels, doodles.categories, recipe.gate_held_out, recipe.seed)
    held = np.sort(rng.choice(held, min(args.n, len(held)), replace=False))
    report["doodles_trained_kinds"] = non_digit_report(f"Quick, Draw! trained kinds ({len(doodles.categories) - len(recipe.gate_held_out)}), held-out drawings",
                                                       labels_read(predictor, styled(doodles.images[held], render, args.seed)))
    scribble_rng = np.random.default_rng(10_000 + args.seed)  # training draws its scribbles from other seeds
    scribbles = [scribble_strokes(scribble_rng) for _ in range(min(args.n, 1000))]
    report["scribbles"] = non_digit_report("random scribbles", labels_read(predictor, styled(scribbles, render_strokes, args.seed)))

    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
