"""The digits the app misreads, drawn as one PNG sheet per collection, to look at them.

Reads every UJIpenchars2 digit and the UCI test writers' digits (all 3,498, or a seeded sample with
--n), drawn as visitors draw them and read as the app reads them, exactly as benchmarks.real_writers
does; each miss (a wrong label or "not a digit") becomes a tile of the drawn digit with its caption
"truth -> reading" (and the writer), in a grid. Prints the totals and every miss.

    python -m benchmarks.miss_sheet [--model final_model.keras] [--gate not_digit_gate.keras] [--n 0] [--seed 1] [--out docs]
"""

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from benchmarks.real_writers import labels_read, styled
from recognizer.contract import NOT_A_DIGIT, check_gate_io
from recognizer.predictor import Predictor, load_model_file
from recognizer.preprocess import ink_map
from recognizer.strokes import render_strokes
from train.pen_data import PENDIGITS_TEST, UJIPEN_FILE, read_ujipen, read_unipen

DIGIT_PX, CAPTION_PX, PAD = 64, 28, 4  # a tile: the digit in a 64 px box over two caption lines
COLUMNS = 12


def tile(drawing: np.ndarray, caption: str, writer: str) -> np.ndarray:
    """One miss: the drawing's ink cropped, scaled into a 64 px box (black on white), captioned below."""
    ink = ink_map(drawing)
    ys, xs = np.nonzero(ink > 0)
    crop = ink[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1] if len(ys) else np.zeros((1, 1), np.uint8)
    scale = DIGIT_PX / max(crop.shape)
    small = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    out = np.full((DIGIT_PX + CAPTION_PX + 2 * PAD, DIGIT_PX + 2 * PAD), 255, np.uint8)
    top, left = PAD + (DIGIT_PX - small.shape[0]) // 2, PAD + (DIGIT_PX - small.shape[1]) // 2
    out[top: top + small.shape[0], left: left + small.shape[1]] = 255 - small
    cv2.putText(out, caption, (PAD, DIGIT_PX + PAD + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
    cv2.putText(out, writer, (PAD, DIGIT_PX + PAD + 25), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 110, 1, cv2.LINE_AA)
    cv2.rectangle(out, (0, 0), (out.shape[1] - 1, out.shape[0] - 1), 200, 1)
    return out


def sheet(tiles: list[np.ndarray], title: str) -> np.ndarray:
    """Tiles in a grid of COLUMNS, under a title line."""
    h, w = tiles[0].shape if tiles else (DIGIT_PX + CAPTION_PX + 2 * PAD, DIGIT_PX + 2 * PAD)
    rows = max(1, -(-len(tiles) // COLUMNS))
    out = np.full((24 + rows * h, COLUMNS * w), 255, np.uint8)
    cv2.putText(out, title, (6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1, cv2.LINE_AA)
    for k, t in enumerate(tiles):
        r, c = divmod(k, COLUMNS)
        out[24 + r * h: 24 + (r + 1) * h, c * w: (c + 1) * w] = t
    return out


def short(label: str) -> str:
    """A reading as a caption shows it: 'not a digit' as 'refused'."""
    return "refused" if label == NOT_A_DIGIT else label


def misses(name: str, predictor: Predictor, digits, seed: int, writer_tag: str, path: Path) -> dict:
    """Draw and read digits, write the sheet of their misses to path; print and return totals and misses."""
    drawings = styled([d.strokes for d in digits], render_strokes, seed)
    labels = labels_read(predictor, drawings)
    missed = [k for k, d in enumerate(digits) if labels[k] != str(d.label)]
    missed.sort(key=lambda k: (digits[k].label, labels[k], digits[k].writer))  # like with like on the sheet
    refused = sum(labels[k] == NOT_A_DIGIT for k in missed)
    n = len(digits)
    title = f"{name}: {len(missed)} misses of {n} read ({n - len(missed)} right, {refused} refused)"
    tiles = [tile(drawings[k], f"{digits[k].label} -> {short(labels[k])}", f"{writer_tag}{digits[k].writer:02d} #{k}")
             for k in missed]
    cv2.imwrite(str(path), sheet(tiles, title), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{title}  -> {path} ({path.stat().st_size // 1024} KB)")
    for k in missed:
        print(f"  #{k:5d} {writer_tag}{digits[k].writer:02d}  {digits[k].label} -> {short(labels[k])}")
    return {"n": n, "right": n - len(missed), "wrong": len(missed) - refused, "refused": refused,
            "misses": [{"index": k, "writer": digits[k].writer, "truth": digits[k].label, "reading": labels[k]}
                       for k in missed]}


def main(argv=None) -> None:
    """Read both collections, write docs/misses_uji.png and docs/misses_uci.png (and --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=Path("final_model.keras"), help="digit model file")
    p.add_argument("--gate", type=Path, default=Path("not_digit_gate.keras"), help="not-a-digit gate file ('' for none)")
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with pendigits/ and ujipen/")
    p.add_argument("--n", type=int, default=0, help="UCI test digits to read, a seeded sample (0: all 3,498)")
    p.add_argument("--seed", type=int, default=1, help="seed for the sample and the drawing styles")
    p.add_argument("--out", type=Path, default=Path("docs"), help="folder for misses_uji.png and misses_uci.png")
    p.add_argument("--json", type=Path, default=None, help="also write the totals and every miss here")
    args = p.parse_args(argv)

    gate = load_model_file(args.gate, check=check_gate_io) if str(args.gate) else None
    predictor = Predictor(load_model_file(args.model), str(args.model), gate=gate)
    uji = read_ujipen(args.data / "ujipen" / UJIPEN_FILE)
    uci = read_unipen(args.data / "pendigits" / PENDIGITS_TEST)
    if 0 < args.n < len(uci):  # the sample benchmarks.real_writers reads with the same seed
        rng = np.random.default_rng(args.seed)
        uci = [uci[i] for i in np.sort(rng.choice(len(uci), args.n, replace=False))]
    report = {"model": str(args.model), "gate": str(args.gate), "seed": args.seed,
              "uji": misses("UJIpenchars2 (60 writers)", predictor, uji, args.seed, "W", args.out / "misses_uji.png"),
              "uci": misses("UCI pen digits, 14 test writers", predictor, uci, args.seed, "w", args.out / "misses_uci.png")}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
