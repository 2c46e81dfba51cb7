"""Proxy for numbers people write: 2-4 pen digits of writers never trained on, written in order, spaced as
people space them, with 1s and 0s as often as real numbers have them.

Two sources, neither seen in training: the 14 unseen writers of the UCI pen digits (pendigits-orig.tes)
and the 60 writers of UJIpenchars2 (another place and habit: crossed 7s, flagged 1s). Each number is by
one writer: its text is drawn as real numbers run (`number_text`: a first digit by Benford's law, later
digits 0 in ROUND of cases, as in 100, 120, 2000), each digit one of that writer's samples of it. The
digits are set on an uneven baseline (train.compose: heights 0.85-1.15, shifted by up to 7.5%) and
spaced one of four ways (train.compose.SPACINGS): apart (ink 0.15-0.4 of the height apart), close
(0.02-0.1 apart), touching (inks overlapping by less than a brush width) and overlapping (centre lines
crossing by up to 0.1 of the height). In LATE of the numbers one digit's last stroke is written after
the next digit (a 5's bar, a 7's bar, a 4's stem added later). The number is drawn in a random visitor
style on a square or wide canvas, its brush as wide next to a digit as single-digit visitors draw it; a
lone digit is drawn the same way, and so are things that are not digits: Omniglot's test characters and
Quick, Draw! doodles the gate never trained on (a stroke for each connected part of their skeletons).

Each drawing is read as the app reads it: its strokes as the page sends them (`--paths strokes`,
Predictor.read_strokes, /read_strokes) and/or its picture (`image`, Predictor.read, /predict). Numbers:
"count" is the share read as the right number of digits, "exact" read exactly, "refused" read as "not a
digit". Lone digits: "cut" is the share read as more than one character. Not digits: "answered" is the
share read as a digit or a number.

    python -m benchmarks.numbers --n 100 --n-lone 500 --n-doodles 500 [--paths strokes,image] [--json out.json]
    python -m benchmarks.numbers --source train ...   # the training writers: to choose constants on
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from recognizer.contract import NOT_A_DIGIT, check_gate_io
from recognizer.predictor import Predictor, load_model_file
from recognizer.strokes import render_strokes
from train.config import TrainConfig
from train.conventions import with_conventions
from train.compose import SPACINGS, brush_ratio, compose_number, draw_number, page_drawing, touching, visitor_style, write_late
from train.gate import doodle_split
from train.pen_data import (OMNIGLOT_FILE, PENDIGITS_TEST, PENDIGITS_TRAIN, QUICKDRAW_FILE, UJIPEN_FILE, read_omniglot,
                            read_quickdraw, read_ujipen, read_unipen)
from train.skeleton import pen_strokes
from train.styles import random_style

ASPECTS = {"square": 1.0, "wide": 2.0}
DIGITS = (2, 3, 4)
ROUND = 0.3  # share of a number's later digits that are 0 (round numbers: 100, 120, 2000)
LATE = 0.25  # share of numbers with one digit's last stroke written after the next digit
PATHS = ("strokes", "image")


def by_writer(digits) -> dict:
    """{writer: {label: indices of their digits of that label}}."""
    out: dict = {}
    for i, d in enumerate(digits):
        out.setdefault(d.writer, {}).setdefault(d.label, []).append(i)
    return out


def number_text(rng: np.random.Generator, count: int) -> str:
    """A number's digits as real numbers run: the first by Benford's law (1 most often), later ones 0 in ROUND."""
    first = rng.choice(np.arange(1, 10), p=np.log10(1 + 1 / np.arange(1, 10)) / np.log10(10))
    rest = [0 if rng.random() < ROUND else int(rng.integers(10)) for _ in range(count - 1)]
    return "".join(str(d) for d in [first, *rest])


def measure_number(predictor: Predictor, digits, picks, spacing: str, aspect: float, rng, paths, late: bool) -> dict:
    """Compose, draw and read one number through each path: what went right, and each reading's time."""
    brush = brush_ratio(rng)
    strokes, owners = compose_number([digits[i].strokes for i in picks], spacing, brush, rng)
    style = visitor_style(strokes, aspect, brush, rng)
    drawing, alone = draw_number(strokes, owners, style)
    moved = False
    if late:
        strokes, owners, moved = write_late(strokes, owners, rng)
    truth = "".join(str(digits[i].label) for i in picks)
    record = {"truth": truth, "late": moved, "touching": touching(alone) if len(picks) > 1 else False}
    for path in paths:
        start = time.perf_counter()
        if path == "strokes":
            label = predictor.read_strokes(page_drawing(strokes, style)).label
        else:
            label = predictor.read(drawing).label
        record[path] = _outcome(label, truth) | {"ms": 1e3 * (time.perf_counter() - start)}
    return record


def _outcome(label: str, truth: str) -> dict:
    answered = label != NOT_A_DIGIT
    return {"label": label, "count": answered and len(label) == len(truth), "exact": label == truth,
            "refused": not answered, "cut": answered and len(label) > len(truth)}


def run(predictor: Predictor, sources: dict, n: int, seed: int, n_lone: int | None = None, paths=PATHS) -> list[dict]:
    """n numbers per source and spacing (2-4 digits, square or wide canvas), and n_lone (n) lone digits per source."""
    rng = np.random.default_rng(seed)
    records = []
    for name, digits in sources.items():
        writers = by_writer(digits)
        keys = list(writers)
        for spacing in [*SPACINGS, "lone"]:
            done = 0
            while done < (n if spacing != "lone" or n_lone is None else n_lone):
                own = writers[keys[int(rng.integers(len(keys)))]]
                count = 1 if spacing == "lone" else int(rng.choice(DIGITS))
                text = str(int(rng.integers(10))) if spacing == "lone" else number_text(rng, count)
                if any(int(c) not in own for c in text):
                    continue  # this writer wrote no such digit
                picks = [int(rng.choice(own[int(c)])) for c in text]
                canvas = str(rng.choice(list(ASPECTS)))
                late = spacing != "lone" and rng.random() < LATE
                record = measure_number(predictor, digits, picks, spacing, ASPECTS[canvas], rng, paths, late)
                records.append(record | {"source": name, "spacing": spacing, "canvas": canvas, "digits": count})
                done += 1
    return records


def run_doodles(predictor: Predictor, kinds: dict, n: int, seed: int, paths=PATHS) -> list[dict]:
    """Up to n drawings of each kind of non-digit ({name: list of strokes}) drawn in visitor styles and read
    through each path."""
    rng = np.random.default_rng(seed)
    records = []
    for name, items in kinds.items():
        for k in rng.choice(len(items), min(n, len(items)), replace=False):
            strokes = [np.asarray(s, np.float64) for s in items[int(k)]]
            if not strokes:
                continue
            style = random_style(rng, ASPECTS[str(rng.choice(list(ASPECTS)))], np.ptp(np.concatenate(strokes), axis=0) + 1e-6)
            record = {"spacing": "doodle", "source": name}
            for path in paths:
                label = (predictor.read_strokes(page_drawing(strokes, style)).label
                         if path == "strokes" else predictor.read(render_strokes(strokes, style)).label)
                record[path] = {"label": label, "answered": label != NOT_A_DIGIT}
            records.append(record)
    return records


def doodle_kinds(data_dir: Path, source: str, n: int, seed: int) -> dict:
    """Up to n non-digits of each kind, as strokes: Omniglot characters (test split; valid for the training
    side) and Quick, Draw! doodles as pen strokes (one a connected part of the skeleton): drawings of trained kinds the gate never saw
    (the training side: drawings it trained on), and the kinds it never trained on (the recipe's gate_held_out)."""
    rng, recipe = np.random.default_rng(seed), TrainConfig()
    doodles = read_quickdraw(data_dir / "quickdraw" / QUICKDRAW_FILE)
    unseen = np.flatnonzero(np.isin(np.asarray(doodles.categories)[doodles.labels], recipe.gate_held_out))
    trained, held = doodle_split(doodles.labels, doodles.categories, recipe.gate_held_out, recipe.seed)
    characters = read_omniglot(data_dir / "omniglot" / OMNIGLOT_FILE, "valid" if source == "train" else "test")

    def some(indices):
        return np.sort(rng.choice(indices, min(n, len(indices)), replace=False))

    return {"omniglot": [characters[k] for k in some(np.arange(len(characters)))],
            "quickdraw trained kinds": pen_strokes(doodles.images[some(trained if source == "train" else held)]),
            "quickdraw unseen kinds": pen_strokes(doodles.images[some(unseen)])}


def share(records: list[dict], path: str, key: str) -> float:
    return float(np.mean([r[path][key] for r in records])) if records else float("nan")


def summary(records: list[dict], path: str) -> dict:
    """{row name: {n, count, exact, refused, cut}} per spacing (both sources and each), for lone digits, and
    {n, answered} for Omniglot, of one path."""
    rows = {}
    numbers = [r for r in records if r["spacing"] != "doodle"]
    groups = [(s, lambda r, s=s: r["spacing"] == s) for s in [*SPACINGS, "lone"]]
    groups += [(f"{s} {src}", lambda r, s=s, src=src: r["spacing"] == s and r["source"] == src)
               for s in [*SPACINGS, "lone"] for src in sorted({r["source"] for r in numbers})]
    groups.append(("numbers, a stroke written late", lambda r: r["spacing"] != "lone" and r["late"]))
    groups.append(("numbers with a 1 or a 0", lambda r: r["spacing"] != "lone" and bool(set(r["truth"]) & {"0", "1"})))
    groups.append(("numbers, touching inks", lambda r: r["spacing"] != "lone" and r["touching"]))
    for name, keep in groups:
        chosen = [r for r in numbers if keep(r)]
        rows[name] = {"n": len(chosen), **{k: share(chosen, path, k) for k in ("count", "exact", "refused", "cut")}}
    for kind in sorted({r["source"] for r in records if r["spacing"] == "doodle"}):
        chosen = [r for r in records if r["spacing"] == "doodle" and r["source"] == kind]
        rows[f"{kind} answered"] = {"n": len(chosen), "answered": share(chosen, path, "answered")}
    ms = [r[path]["ms"] for r in numbers]
    if ms:
        rows["read_ms"] = {"p50": float(np.median(ms)), "p95": float(np.percentile(ms, 95)), "n": len(ms)}
    return rows


def print_table(rows: dict) -> None:
    """The summary as a table."""
    print(f"{'':32s} {'n':>5s} {'count':>7s} {'exact':>7s} {'refused':>7s} {'cut':>7s}")
    for name, row in rows.items():
        if name != "read_ms" and "answered" not in row:
            print(f"{name:32s} {row['n']:5d}" + "".join(f" {row[k]:7.1%}" for k in ("count", "exact", "refused", "cut")))
    print(f"\n{'not digits, answered as digits':32s} {'n':>5s} {'share':>7s}")
    for name, row in rows.items():
        if "answered" in row:
            print(f"{name:32s} {row['n']:5d} {row['answered']:7.1%}")
    if "read_ms" in rows:
        ms = rows["read_ms"]
        print(f"read: p50 {ms['p50']:.1f} ms, p95 {ms['p95']:.1f} ms per drawing ({ms['n']} drawings)")


def main(argv=None) -> None:
    """Compose, draw and read the numbers, lone digits and Omniglot characters; print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="model file that reads the digits")
    p.add_argument("--gate", type=Path, default=Path("not_digit_gate.keras"), help="not-a-digit gate ('' for none)")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"), help="folder holding pendigits/, ujipen/, omniglot/")
    p.add_argument("--source", choices=("test", "train"), default="test",
                   help="test: unseen writers (UCI test + UJI); train: the training writers (pendigits .tra), to choose constants on")
    p.add_argument("--conventions", type=float, default=TrainConfig().pen_conventions,
                   help="with --source train: the share of digits redrawn in writing conventions (the recipe's; 0: as written)")
    p.add_argument("--paths", default="strokes,image", help="how drawings are read: strokes, image or both")
    p.add_argument("--n", type=int, default=100, help="numbers per source and spacing, and lone digits per source")
    p.add_argument("--n-lone", type=int, default=None, help="lone digits per source (default: --n)")
    p.add_argument("--n-doodles", type=int, default=0, help="non-digits read of each kind (Omniglot, Quick, Draw!)")
    p.add_argument("--seed", type=int, default=1, help="seed for the digits, their placement and the styles")
    p.add_argument("--json", type=Path, default=None, help="also write the summary here")
    p.add_argument("--records", action="store_true", help="with --json: every drawing's record too (for looking at misses)")
    args = p.parse_args(argv)
    paths = [path for path in args.paths.split(",") if path]
    if not paths or set(paths) - set(PATHS):
        p.error(f"--paths: one or more of {', '.join(PATHS)}")

    if args.source == "train":
        # The training writers, a share redrawn in writing conventions (the recipe's: as the reader learns them).
        digits = read_unipen(args.data_dir / "pendigits" / PENDIGITS_TRAIN)
        redrawn = with_conventions([(d.strokes, d.label) for d in digits], args.conventions, TrainConfig().seed)
        sources = {"uci-train": [d._replace(strokes=s) for d, s in zip(digits, redrawn)]}
    else:
        sources = {"uci-test": read_unipen(args.data_dir / "pendigits" / PENDIGITS_TEST),
                   "uji": read_ujipen(args.data_dir / "ujipen" / UJIPEN_FILE)}
    gate = load_model_file(args.gate, check=check_gate_io) if str(args.gate) else None
    predictor = Predictor(load_model_file(args.model), str(args.model), gate=gate)
    records = run(predictor, sources, args.n, args.seed, args.n_lone, paths)
    if args.n_doodles:
        records += run_doodles(predictor, doodle_kinds(args.data_dir, args.source, args.n_doodles, args.seed),
                               args.n_doodles, args.seed, paths)
    print(f"model {args.model}, gate {args.gate or 'none'}, seed {args.seed}, source {args.source}: {args.n} numbers "
          f"of {DIGITS[0]}-{DIGITS[-1]} digits per source and spacing, {args.n_lone or args.n} lone digits per source")
    report = {}
    for path in paths:
        print(f"\n== read through {path} ==")
        report[path] = summary(records, path)
        print_table(report[path])
    if args.json:
        args.json.write_text(json.dumps({"summary": report, **({"records": records} if args.records else {})}, indent=1))


if __name__ == "__main__":
    main()
