"""One typed, side-effect-free training config and its command-line flags."""

import argparse
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class TrainConfig:
    data_dir: Path | None = None  # folder of IDX files; None loads ylecun/mnist from the Hub
    hub_dataset: str = "ylecun/mnist"
    extra_data: tuple[str, ...] = ()  # corrections' folders or Hub dataset ids (train.extra_data)
    epochs: int = 45  # with the pen digits, 74,500 digits an epoch: as many steps as 60 epochs of MNIST alone
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak of the warm-up + cosine schedule
    warmup_epochs: int = 1
    val_size: int = 5000  # held out from the training split; the test split is for evaluation only
    limit: int | None = None  # use only the first N training digits (quick runs)
    augment: bool = True
    writer_strokes: float = 0.5  # share of training 0s, 1s and 7s given a slash, flag/base or bar
    calm_fraction: float = 0.25  # share of the epochs, at the end, with gentler augmentation
    calm_strength: float = 0.25
    pen_data: Path | None = None  # folder with pendigits-orig.tra: real pen digits, drawn as sketchpad drawings
    pen_copies: int = 3  # drawings of each training pen digit, each in its own random style
    pen_val_writers: int = 4  # pen writers held out of training: validation and the gate's threshold
    omniglot_data: Path | None = None  # folder with omniglot.npz: non-digits for the gate
    quickdraw_data: Path | None = None  # folder with doodles_28x28.npz: non-digits for the gate
    # Pieces of numbers the gate learns are not one digit (train.compose), so that it can score the parts of
    # candidate readings: as many of each kind as scribbles, a small share beside 96k other negatives.
    gate_halves: int = 6000  # one side of a digit cut at 30-70% of its width (or height)
    gate_pairs: int = 6000  # two digits slid together until they touch, overlapping 0-30%
    gate_neighbour_bits: int = 6000  # a digit and a band of its touching neighbour's ink
    gate_epochs: int = 10
    gate_refusal: float = 0.002  # share of held-out real digits the gate may refuse
    gate_out: Path = Path("not_digit_gate.keras")
    seed: int = 42
    model_out: Path = Path("final_model.keras")
    report_dir: Path = Path("reports")
    push: bool = False
    repo_id: str | None = None  # None: space_config's model repo
    min_accuracy: float = 0.99  # refuse to push a model under this test accuracy


def parse_args(argv=None) -> TrainConfig:
    """Build a TrainConfig from command-line flags."""
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m train", description="Train the seed CNN on MNIST.")
    p.add_argument("--data-dir", type=Path, default=d.data_dir,
                   help="folder with the MNIST IDX files (.gz or raw); default: load ylecun/mnist from the Hub")
    p.add_argument("--hub-dataset", default=d.hub_dataset, help="Hub dataset id or local dataset folder")
    p.add_argument("--extra-data", action="append", default=None, metavar="SRC",
                   help="also train on these samples: a folder of the Space's corrections (FEEDBACK_DIR) or a Hub "
                        "dataset id in that layout; 'not a digit' ones are set aside for the not-a-digit gate; "
                        "repeatable")
    p.add_argument("--epochs", type=int, default=d.epochs, help="training epochs")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="batch size")
    p.add_argument("--learning-rate", type=float, default=d.learning_rate, help="peak learning rate (Adam)")
    p.add_argument("--warmup-epochs", type=int, default=d.warmup_epochs, help="linear warm-up epochs")
    p.add_argument("--val-size", type=int, default=d.val_size, help="validation digits held out of the training split")
    p.add_argument("--limit", type=int, default=d.limit, help="train on the first N training digits only")
    p.add_argument("--no-augment", dest="augment", action="store_false", help="disable data augmentation")
    p.add_argument("--writer-strokes", type=float, default=d.writer_strokes,
                   help="share of training 0s, 1s and 7s drawn with a slash, a flag or base, a crossbar")
    p.add_argument("--calm-fraction", type=float, default=d.calm_fraction,
                   help="share of the epochs, at the end, trained with gentler augmentation")
    p.add_argument("--calm-strength", type=float, default=d.calm_strength,
                   help="augmentation strength (0-1) in the calm epochs")
    p.add_argument("--pen-data", type=Path, default=d.pen_data,
                   help="folder with the UCI pen digits (pendigits-orig.tra): train on them too, drawn as sketchpad drawings")
    p.add_argument("--pen-copies", type=int, default=d.pen_copies, help="drawings of each training pen digit")
    p.add_argument("--pen-val-writers", type=int, default=d.pen_val_writers,
                   help="pen writers held out of training, for validation and the gate's threshold")
    p.add_argument("--omniglot-data", type=Path, default=d.omniglot_data,
                   help="folder with omniglot.npz: handwritten non-digits for the not-a-digit gate")
    p.add_argument("--quickdraw-data", type=Path, default=d.quickdraw_data,
                   help="folder with doodles_28x28.npz: Quick, Draw! doodles for the not-a-digit gate")
    p.add_argument("--gate-epochs", type=int, default=d.gate_epochs, help="training epochs of the not-a-digit gate")
    p.add_argument("--gate-refusal", type=float, default=d.gate_refusal,
                   help="share of held-out real digits the gate may call 'not a digit' (sets its threshold)")
    p.add_argument("--gate-out", type=Path, default=d.gate_out, help="where to save the not-a-digit gate")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for every random source")
    p.add_argument("--model-out", type=Path, default=d.model_out, help="where to save the trained model")
    p.add_argument("--report-dir", type=Path, default=d.report_dir, help="folder for metrics.json and plots")
    p.add_argument("--push", action="store_true", help="push the model to the Hub after training (needs HF_TOKEN)")
    p.add_argument("--repo-id", default=d.repo_id, help="Hub model repo to push to (default: HF_MODEL_REPO)")
    p.add_argument("--min-accuracy", type=float, default=d.min_accuracy,
                   help="refuse to push a model whose test accuracy is below this")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        p.error("--epochs and --batch-size must be positive")
    if not (0 <= args.calm_fraction <= 1 and 0 <= args.calm_strength <= 1 and 0 <= args.writer_strokes <= 1):
        p.error("--calm-fraction, --calm-strength and --writer-strokes must be between 0 and 1")
    if args.pen_copies < 1 or args.pen_val_writers < 0 or args.gate_epochs < 1:
        p.error("--pen-copies and --gate-epochs must be positive, --pen-val-writers not negative")
    if not 0 < args.gate_refusal < 1:
        p.error("--gate-refusal must be between 0 and 1")
    if args.limit is not None and args.limit < 100:
        p.error("--limit must be at least 100 digits")
    args.extra_data = tuple(args.extra_data or ())
    names = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
