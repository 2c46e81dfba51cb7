"""A short real training run on a small real MNIST subset, through the CLI."""

import json
import subprocess
import sys

import cv2
import numba
import numpy as np
import pytest

from recognizer.preprocess import _stroke_width
from tests.conftest import MNIST_DIR, ROOT, offline_env
from train.augment import (
    _GAUSS,
    _UPSAMPLE,
    _render,
    augment_batch,
    change_stroke_width,
    random_affine,
    stroke_variants,
    to_atlas,
    training_skeletons,
    warp,
)
from train.config import Augmentation, TrainConfig, parse_args, parser, recipe, to_argv
from train.conventions import CONVENTIONS
from train.fit import to_float, training_dataset
from train.pen_data import PENDIGITS_TRAIN, read_unipen


@pytest.mark.slow
def test_short_training_run_learns_real_digits(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "train", "--data-dir", str(MNIST_DIR), "--limit", "2000", "--epochs", "2",
         "--batch-size", "32", "--calm-fraction", "0.5",  # one epoch of each augmentation phase
         "--model-out", str(out / "final_model.keras"), "--report-dir", str(out / "reports")],
        cwd=ROOT, capture_output=True, text=True, env=offline_env(tmp_path), timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "reports" / "metrics.json").read_text())
    # 1,600 augmented training digits, 2 epochs: measured 87.8% on the 10,000 unseen test digits.
    assert metrics["test_accuracy"] >= 0.85, metrics["test_accuracy"]
    assert metrics["train_samples"] == 1600 and metrics["val_samples"] == 400
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 10000
    assert set(metrics["per_class_accuracy"]) == {str(d) for d in range(10)}
    for png in ("training_curves.png", "confusion_matrix.png"):
        assert (out / "reports" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "final_model.keras").stat().st_size > 100_000


@pytest.mark.slow
def test_short_run_with_pen_digits_and_conventions_trains_the_digit_model_and_the_gate(tmp_path):
    out, data = tmp_path / "run", MNIST_DIR.parent
    result = subprocess.run(
        [sys.executable, "-m", "train", "--data-dir", str(MNIST_DIR), "--limit", "1000", "--epochs", "2",
         "--pen-data", str(data / "pendigits"), "--pen-copies", "1", "--omniglot-data", str(data / "omniglot"),
         "--quickdraw-data", str(data / "quickdraw"), "--gate-epochs", "2", "--model-out", str(out / "m.keras"),
         "--gate-out", str(out / "gate.keras"), "--report-dir", str(out / "reports"),
         "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True, env=offline_env(tmp_path), timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "reports" / "metrics.json").read_text())
    # The whole recipe is recorded, and the flags that rebuild it from the defaults.
    assert parse_args(metrics["rebuild_flags"]) == parse_args(
        ["--data-dir", str(MNIST_DIR), "--limit", "1000", "--epochs", "2", "--pen-data", str(data / "pendigits"),
         "--pen-copies", "1", "--omniglot-data", str(data / "omniglot"), "--quickdraw-data", str(data / "quickdraw"),
         "--gate-epochs", "2", "--model-out", str(out / "m.keras"), "--gate-out", str(out / "gate.keras"),
         "--report-dir", str(out / "reports"), "--cache-dir", str(tmp_path / "cache")])
    assert metrics["recipe"]["gate_width"] == TrainConfig().gate_width and len(list((tmp_path / "cache").iterdir())) == 1
    sets = {s["name"].split(" (")[0]: s for s in metrics["training_sets"]}
    # --limit 1000 keeps the first 1,000 pen digits; those of their last 4 writers are held out for validation,
    # drawn as written and, where one fits, again in a writing convention (the gate's threshold counts them)
    pen = read_unipen(data / "pendigits" / PENDIGITS_TRAIN)[:1000]
    held_out = [d for d in pen if d.writer in sorted({d.writer for d in pen})[-4:]]
    conventions = metrics["val_samples"] - 200 - len(held_out)
    assert sets["UCI pen digits"]["samples"] + len(held_out) == 1000
    assert 0.4 * sum(d.label in CONVENTIONS for d in held_out) < conventions <= sum(d.label in CONVENTIONS for d in held_out)
    assert sets["MNIST"]["samples"] == 800 and metrics["train_samples"] == 800 + sets["UCI pen digits"]["samples"]
    assert all(s["licence"] for s in sets.values()) and {"Omniglot", "Quick, Draw! doodles"} <= set(sets)
    assert metrics["pen_val_accuracy"] > 0.3  # 2 short epochs on 1,400 digits; chance is 0.1
    stages = metrics["stage_seconds"]  # each stage timed, the gate's and the drawing's included
    assert set(stages) == {"data", "drawing", "tensorflow", "digit_model", "gate", "save", "total"}
    assert stages["digit_model"] > 0 and stages["total"] >= max(v for k, v in stages.items() if k != "total")
    gate = metrics["gate"]
    assert gate["train_non_digits"] > 0 and gate["train_digits"] > 0 and 0 < gate["threshold"] < 1
    # The threshold was set on held-out digits and folded in: at 0.5 it refuses about the target share.
    assert gate["val_refused"]["pen_val"] <= 0.05 and gate["val_refused"]["mnist_val"] <= 0.05
    assert "gate: threshold" in result.stdout
    # Pieces of numbers (halves, touching pairs, a digit with a neighbour's bit) join the negatives.
    assert all(n > 0 for n in gate["train_fragments"].values()), gate["train_fragments"]
    assert set(gate["val_answered"]) >= {"halves_val", "pairs_val", "neighbour_bits_val"}

    from recognizer.contract import check_gate_io
    from recognizer.predictor import load_model_file

    check_gate_io(load_model_file(out / "gate.keras", check=check_gate_io))


def test_folded_threshold_moves_the_decision_to_one_half():
    import keras

    from train.gate import build_gate, fold_threshold

    keras.utils.set_random_seed(0)
    gate = build_gate()
    x = np.random.default_rng(0).uniform(0, 1, (64, 28, 28, 1)).astype(np.float32)
    before = gate.predict(x, verbose=0)[:, 0]
    threshold = float(np.median(before))
    fold_threshold(gate, threshold)
    after = gate.predict(x, verbose=0)[:, 0]
    np.testing.assert_array_equal(after > 0.5, before > threshold)
    assert abs(np.median(after) - 0.5) < 1e-4


def test_augmented_batches_are_seeded_and_in_range(mnist):
    cfg = parse_args(["--seed", "3", "--batch-size", "32"])
    x = mnist.x_train[:256]
    skeletons = training_skeletons(x)
    y = mnist.y_train[:256]
    first = next(iter(training_dataset(x, y, cfg, skeletons)))
    again = next(iter(training_dataset(x, y, cfg, skeletons)))
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    images = first[0].numpy()
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    # augmented, not copied: no batch image equals an original digit
    originals = to_float(x)
    assert not any(np.array_equal(img, o) for img in images for o in originals)


def test_warp_moves_real_digits_where_the_map_says(mnist):
    digits = mnist.x_test[:8].astype(np.float32) / 255
    identity = np.broadcast_to(np.eye(2, 3, dtype=np.float32), (8, 2, 3))
    np.testing.assert_array_equal(warp(to_atlas(digits), identity), digits)
    # Output pixel (x, y) reads input (x - 2, y + 1): the ink moves 2 right and 1 up, and no digit
    # bleeds into its neighbour in the batch.
    shift = identity.copy()
    shift[:, :, 2] = [-2, 1]
    moved = warp(to_atlas(digits), shift)
    np.testing.assert_allclose(moved[:, :27, 2:], digits[:, 1:, :26], atol=1e-6)
    assert not moved[:, 27, :].any() and not moved[:, :, :2].any()
    # Far outside the frame there is only background.
    away = identity.copy()
    away[:, :, 2] = [40, -40]
    assert not warp(to_atlas(digits), away).any()


def test_stroke_width_change_thickens_and_thins(mnist):
    digits = mnist.x_test[:4].astype(np.float32) / 255
    ink = lambda amount: change_stroke_width(to_atlas(digits), np.full(4, amount, np.float32)).sum(axis=(1, 2))  # noqa: E731
    assert (ink(1.0) > 1.3 * ink(0.0)).all() and (ink(-0.5) < 0.9 * ink(0.0)).all()
    np.testing.assert_allclose(ink(0.0), digits.sum(axis=(1, 2)), rtol=1e-6)


def _median_stroke_px(digits: np.ndarray) -> float:
    """Median stroke width, in pixels, of float digits (B, 28, 28) in [0, 1], measured at 4x."""
    big = [cv2.resize(d.astype(np.float32), (112, 112), interpolation=cv2.INTER_LINEAR) for d in digits]
    return float(np.median([_stroke_width((b > 0.5).astype(np.uint8)) / 4 for b in big]))


def test_augmented_strokes_are_about_as_wide_as_mnist_writes_them(mnist):
    # The app brings drawn strokes to MNIST's width, so training spends nothing on blobs far bolder
    # than that. Before the width change was centred, the median was 0.7 px bolder than MNIST's.
    x = mnist.x_train[:600]
    skeletons = training_skeletons(x)
    augmented = augment_batch(stroke_variants(x), skeletons, np.random.default_rng(0), Augmentation())
    assert abs(_median_stroke_px(augmented) - _median_stroke_px(mnist.x_train[:600] / 255)) < 0.3


def test_precomputed_stroke_variants_give_the_filtered_stroke_width(mnist):
    digits = mnist.x_test[:16]
    amount = np.linspace(-0.5, 1.0, 16, dtype=np.float32)
    filtered = change_stroke_width(to_atlas(digits.astype(np.float32) / 255), amount)[:, 2:-2, 2:-2]
    identity = np.broadcast_to(np.eye(2, 3, dtype=np.float32), (16, 2, 3)).copy()
    out = np.empty((16, 28, 28), np.float32)
    no = np.zeros(16, bool)
    _render(stroke_variants(digits), np.zeros((16, 28, 28), bool), no, np.ones(16, np.float32), amount, identity,
            np.zeros((16, 2, 4, 4), np.float32), _GAUSS, _UPSAMPLE, out)
    np.testing.assert_allclose(out, filtered, atol=1e-5)


def test_affine_maps_stay_in_their_ranges():
    ranges = Augmentation()
    maps = random_affine(np.random.default_rng(0), 2000, ranges)
    linear = maps[:, :, :2]
    # The inverse map of a scale within the shrink/grow range (the aspect jitter keeps the area) and a shear.
    det = np.linalg.det(linear)
    largest, smallest = 1 + ranges.grow, 1 - ranges.shrink
    assert (det > 1 / largest**2 * 0.999).all() and (det < 1 / smallest**2 * 1.001).all()
    assert det.max() > 1 / smallest**2 * 0.97 and det.min() < 1 / largest**2 * 1.03  # the ranges are used, not just bounds
    # The digit's centre lands within the shift of the frame's centre.
    centre = np.full(2, 13.5)
    landed = np.linalg.solve(linear, (centre - maps[:, :, 2])[..., None])[..., 0]
    assert np.abs(landed - centre).max() <= ranges.shift + 1e-4


def test_augmentation_is_reproducible_from_its_seed(mnist):
    x = mnist.x_train[:64]
    skeletons = training_skeletons(x)
    variants = stroke_variants(x)
    first = augment_batch(variants, skeletons, np.random.default_rng(7), Augmentation())
    np.testing.assert_array_equal(first, augment_batch(variants, skeletons, np.random.default_rng(7), Augmentation()))
    assert not np.array_equal(first, augment_batch(variants, skeletons, np.random.default_rng(8), Augmentation()))
    assert first.dtype == np.float32 and 0 <= first.min() and first.max() <= 1
    # The digits are shared out over the cores: the result must not depend on how.
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        np.testing.assert_array_equal(first, augment_batch(variants, skeletons, np.random.default_rng(7), Augmentation()))
    finally:
        numba.set_num_threads(threads)


@pytest.mark.slow
def test_cli_flags_have_help_text():
    result = subprocess.run([sys.executable, "-m", "train", "--help"], cwd=ROOT, capture_output=True, text=True)
    for flag in ("--epochs", "--batch-size", "--seed", "--model-out", "--report-dir", "--limit", "--data-dir",
                 "--push", "--calm-fraction", "--pen-copies", "--pen-conventions", "--extra-data", "--gate-width",
                 "--aug-rotation"):
        assert flag in result.stdout


def test_every_config_field_is_a_flag_with_help():
    actions = {a.dest: a for a in parser()._actions if a.dest != "help"}

    def names(config, prefix=""):
        for name, value in vars(config).items():
            yield from names(value, prefix + name + "_") if hasattr(value, "__dataclass_fields__") else [prefix + name]

    assert set(names(TrainConfig())) == set(actions)
    assert all(a.help and len(a.help) > 10 for a in actions.values())
    assert "0-30%" in parser().format_help()  # help texts with a % sign print as they read


def test_the_defaults_are_the_recipe_and_flags_rebuild_any_config():
    assert parse_args([]) == TrainConfig()
    cfg = parse_args(["--epochs", "3", "--no-augment", "--extra-data", "a", "--extra-data", "b", "--gate-width", "1",
                      "--aug-rotation", "5", "--styles-brush", "0.01", "0.05", "--pen-data", "/x", "--push"])
    assert cfg.epochs == 3 and not cfg.augment and cfg.extra_data == ("a", "b") and cfg.aug.rotation == 5
    assert cfg.styles.brush == (0.01, 0.05) and cfg.push and str(cfg.pen_data) == "/x"
    assert parse_args(to_argv(cfg)) == cfg
    assert to_argv(TrainConfig()) == []
    written = json.loads(json.dumps(recipe(cfg)))  # metrics.json holds it as plain JSON
    assert written["aug"]["rotation"] == 5 and written["extra_data"] == ["a", "b"] and written["pen_data"] == "/x"


def test_drawn_sets_are_kept_by_what_makes_them(tmp_path):
    from train.drawn_cache import cache_key, load_sets, save_sets
    from train.pen_data import PenSets

    data = tmp_path / "data.txt"
    data.write_text("pen digits")
    mnist = np.arange(10, dtype=np.uint8)
    key = lambda cfg, digits=mnist: cache_key(recipe(cfg), [data], [digits])  # noqa: E731
    base = TrainConfig()
    assert key(base) == key(TrainConfig(epochs=3, gate_width=1))  # fitting only: the same drawings
    assert key(base) != key(TrainConfig(pen_copies=2)) and key(base) != key(TrainConfig(seed=1))
    assert key(base) != key(base, mnist[::-1])
    before = key(base)
    data.write_text("other pen digits")
    assert key(base) != before
    pen = PenSets(np.ones((2, 28, 28), np.uint8), np.array([3, 4]), np.zeros((1, 28, 28), np.uint8), np.array([5]), 26, 4)
    gate = {"mnist": np.full((3, 28, 28), 7, np.uint8), "doodles": np.zeros((0, 28, 28), np.uint8)}
    save_sets(tmp_path / "sets.npz", pen, gate)
    pen_back, gate_back = load_sets(tmp_path / "sets.npz", PenSets)
    assert pen_back.train_writers == 26 and isinstance(pen_back.val_writers, int)
    np.testing.assert_array_equal(pen_back.y_train, pen.y_train)
    assert set(gate_back) == set(gate) and gate_back["mnist"].shape == (3, 28, 28)
    save_sets(tmp_path / "none.npz", None, None)
    assert load_sets(tmp_path / "none.npz", PenSets) == (None, None)


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--limit", "5"], ["--calm-fraction", "1.5"],
                                  ["--gate-refusal", "2"], ["--batch-size", "x"]])
def test_cli_rejects_bad_flags(argv, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "error" in capsys.readouterr().err
