"""Proxy for numbers people write: 2-4 pen digits of writers never trained on, spaced as people space them.

Two sources, neither seen in training: the 14 unseen writers of the UCI pen digits (pendigits-orig.tes)
and the 60 writers of UJIpenchars2 (another place and habit: crossed 7s, flagged 1s). Each number is
by one writer; its digits are set on an uneven baseline (train.compose: heights 0.85-1.15, shifted by
up to 7.5%) and spaced one of four ways (train.compose.SPACINGS): apart (ink 0.15-0.4 of the height
apart), close (0.02-0.1 apart), touching (inks overlapping by less than a brush width) and overlapping
(centre lines crossing by up to 0.1 of the height). The number is drawn as one sketchpad drawing in a
random visitor style on a square or wide canvas, its brush as wide next to a digit as single-digit
visitors draw it; a lone digit is drawn the same way.

Each drawing is read as the app reads it, through Predictor.read. Numbers: "count" is the share read
as the right number of digits, "exact" read exactly, "refused" read as "not a digit". Lone digits:
"cut" is the share read as more than one character, "exact" read right, "refused" as not a digit.

    python -m benchmarks.numbers --n 100 [--json out.json]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from recognizer.contract import NOT_A_DIGIT, check_gate_io
from recognizer.predictor import Predictor, load_model_file
from train.compose import SPACINGS, brush_ratio, compose_number, draw_number, touching, visitor_style
from train.pen_data import PENDIGITS_TEST, UJIPEN_FILE, read_ujipen, read_unipen

ASPECTS = {"square": 1.0, "wide": 2.0}
DIGITS = (2, 3, 4)


def by_writer(digits) -> dict:
    """{writer: indices of their digits}."""
    writers = np.array([d.writer for d in digits])
    return {w: np.flatnonzero(writers == w) for w in np.unique(writers)}


def measure_number(predictor: Predictor, digits, picks, spacing: str, aspect: float, rng) -> dict:
    """Compose, draw and read one number: what went right, and the reading's time."""
    brush = brush_ratio(rng)
    strokes, owners = compose_number([digits[i].strokes for i in picks], spacing, brush, rng)
    drawing, alone = draw_number(strokes, owners, visitor_style(strokes, aspect, brush, rng))
    truth = "".join(str(digits[i].label) for i in picks)
    start = time.perf_counter()
    label = predictor.read(drawing).label
    seconds = time.perf_counter() - start
    return {"truth": truth, "label": label, "count": label != NOT_A_DIGIT and len(label) == len(truth),
            "exact": label == truth, "refused": label == NOT_A_DIGIT, "cut": len(label) > len(truth) and label != NOT_A_DIGIT,
            "touching": touching(alone) if len(picks) > 1 else False, "ms": 1e3 * seconds}


def run(predictor: Predictor, sources: dict, n: int, seed: int, n_lone: int | None = None) -> list[dict]:
    """n numbers per source and spacing (2-4 digits, square or wide canvas), and n_lone (n) lone digits per source."""
    rng = np.random.default_rng(seed)
    records = []
    for name, digits in sources.items():
        writers = by_writer(digits)
        keys = list(writers)
        for spacing in [*SPACINGS, "lone"]:
            for _ in range(n if spacing != "lone" or n_lone is None else n_lone):
                own = writers[keys[int(rng.integers(len(keys)))]]
                count = 1 if spacing == "lone" else int(rng.choice(DIGITS))
                canvas = str(rng.choice(list(ASPECTS)))
                record = measure_number(predictor, digits, rng.choice(own, count), spacing, ASPECTS[canvas], rng)
                records.append(record | {"source": name, "spacing": spacing, "canvas": canvas, "digits": count})
    return records


def share(records: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in records])) if records else float("nan")


def summary(records: list[dict]) -> dict:
    """{row name: {n, count, exact, refused, cut}} per spacing (both sources and each), and for lone digits."""
    rows = {}
    groups = [(s, lambda r, s=s: r["spacing"] == s) for s in [*SPACINGS, "lone"]]
    groups += [(f"{s} {src}", lambda r, s=s, src=src: r["spacing"] == s and r["source"] == src)
               for s in [*SPACINGS, "lone"] for src in sorted({r["source"] for r in records})]
    groups.append(("numbers, touching inks", lambda r: r["spacing"] != "lone" and r["touching"]))
    groups.append(("numbers, inks apart", lambda r: r["spacing"] != "lone" and not r["touching"]))
    for name, keep in groups:
        chosen = [r for r in records if keep(r)]
        rows[name] = {"n": len(chosen), **{k: share(chosen, k) for k in ("count", "exact", "refused", "cut")}}
    ms = [r["ms"] for r in records]
    rows["read_ms"] = {"p50": float(np.median(ms)), "p95": float(np.percentile(ms, 95)), "n": len(ms)}
    return rows


def print_table(rows: dict) -> None:
    """The summary as a table."""
    print(f"{'':28s} {'n':>5s} {'count':>7s} {'exact':>7s} {'refused':>7s} {'cut':>7s}")
    for name, row in rows.items():
        if name != "read_ms":
            print(f"{name:28s} {row['n']:5d}" + "".join(f" {row[k]:7.1%}" for k in ("count", "exact", "refused", "cut")))
    ms = rows["read_ms"]
    print(f"\nPredictor.read: p50 {ms['p50']:.1f} ms, p95 {ms['p95']:.1f} ms per drawing ({ms['n']} drawings)")


def main(argv=None) -> None:
    """Compose, draw and read the numbers and lone digits; print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="model file that reads the digits")
    p.add_argument("--gate", type=Path, default=Path("not_digit_gate.keras"), help="not-a-digit gate ('' for none)")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"), help="folder holding pendigits/ and ujipen/")
    p.add_argument("--n", type=int, default=100, help="numbers per source and spacing, and lone digits per source")
    p.add_argument("--n-lone", type=int, default=None, help="lone digits per source (default: --n)")
    p.add_argument("--seed", type=int, default=1, help="seed for the digits, their placement and the styles")
    p.add_argument("--json", type=Path, default=None, help="also write the summary and every record here")
    args = p.parse_args(argv)

    sources = {"uci-test": read_unipen(args.data_dir / "pendigits" / PENDIGITS_TEST),
               "uji": read_ujipen(args.data_dir / "ujipen" / UJIPEN_FILE)}
    gate = load_model_file(args.gate, check=check_gate_io) if str(args.gate) else None
    predictor = Predictor(load_model_file(args.model), str(args.model), gate=gate)
    records = run(predictor, sources, args.n, args.seed, args.n_lone)
    rows = summary(records)
    print(f"model {args.model}, gate {args.gate or 'none'}, seed {args.seed}: {args.n} numbers of "
          f"{DIGITS[0]}-{DIGITS[-1]} digits per source and spacing, {args.n_lone or args.n} lone digits per source")
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"summary": rows, "records": records}, indent=1))


if __name__ == "__main__":
    main()
