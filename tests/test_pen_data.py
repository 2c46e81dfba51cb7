"""Real drawings beyond MNIST: the pen-digit, Omniglot and Quick, Draw! loaders, and drawing them as the app sees them."""

import shutil

import numpy as np
import pytest

from recognizer.preprocess import to_model_input
from recognizer.strokes import render_strokes
from tests.conftest import MNIST_DIR
from train.data import DataError
from train.pen_data import (
    PENDIGITS_TEST,
    PENDIGITS_TRAIN,
    UJIPEN_FILE,
    drawn_inputs,
    read_omniglot,
    read_quickdraw,
    read_ujipen,
    read_unipen,
)
from train.styles import random_style

DATA = MNIST_DIR.parent
PEN = DATA / "pendigits"


@pytest.fixture(scope="module")
def unseen_writers():
    return read_unipen(PEN / PENDIGITS_TEST)


def test_pen_digit_files_load_with_their_writers(unseen_writers):
    train = read_unipen(PEN / PENDIGITS_TRAIN)
    assert (len(train), len(unseen_writers)) == (7494, 3498)
    assert len({d.writer for d in train}) == 30 and len({d.writer for d in unseen_writers}) == 14
    assert np.bincount([d.label for d in unseen_writers]).min() >= 330
    first = train[0]  # the file's first digit: an 8 in one stroke of 40-odd points
    assert first.label == 8 and len(first.strokes) == 1 and first.strokes[0].shape[1] == 2
    assert 1 <= max(len(d.strokes) for d in train) <= 6


def test_ujipen_loads_60_writers_each_digit_twice():
    digits = read_ujipen(DATA / "ujipen" / UJIPEN_FILE)
    assert len(digits) == 1200 and len({d.writer for d in digits}) == 60
    assert np.bincount([d.label for d in digits]).tolist() == [120] * 10
    assert all(s.ndim == 2 and s.shape[1] == 2 for d in digits for s in d.strokes)
    zero = digits[0].strokes[0]  # W01's first 0 is drawn from its top: y grows downwards in this file
    assert zero[0, 1] < zero[:, 1].max()


def test_ujipen_malformed_file_names_its_line(tmp_path):
    bad = tmp_path / UJIPEN_FILE
    bad.write_text("WORD 7 UPV_W23-02\n  NUMSTROKES 1\n  POINTS 3 # 1 2 3\n")
    with pytest.raises(DataError, match=rf"{UJIPEN_FILE}:3"):
        read_ujipen(bad)


def test_pen_digits_are_upright_once_drawn(unseen_writers):
    # The tablet's y grows upwards: loaded wrong, a 7's bar would be at the bottom.
    sevens = [d for d in unseen_writers if d.label == 7][:50]
    bar_on_top = 0
    for digit in sevens:
        x = to_model_input(render_strokes(digit.strokes, random_style(np.random.default_rng(0)))) > 0.5
        rows = np.flatnonzero(x.any(axis=1))
        span = lambda row: np.ptp(np.flatnonzero(row)) if row.any() else 0  # noqa: E731
        bar_on_top += span(x[rows[0] + 1]) > span(x[rows[-1] - 1]) + 3
    assert bar_on_top >= 40, bar_on_top


@pytest.mark.parametrize("cut, message", [
    (lambda text: text[: text.index(".PEN_UP", 2000)], "still open"),
    (lambda text: text.replace(" 267  333", " 267  x33", 1), "malformed line"),
    (lambda text: text.replace('? "8"', '? "A"', 1), "malformed line"),
    (lambda text: "", "no digits"),
])
def test_corrupt_pen_files_are_refused_naming_the_file(tmp_path, cut, message):
    bad = tmp_path / "pendigits-orig.tra"
    bad.write_text(cut((PEN / PENDIGITS_TRAIN).read_text()))
    with pytest.raises(DataError, match=message) as error:
        read_unipen(bad)
    assert str(bad) in str(error.value)


def test_missing_pen_file_names_it(tmp_path):
    with pytest.raises(DataError, match="file not found") as error:
        read_unipen(tmp_path / "nowhere.tra")
    assert "nowhere.tra" in str(error.value)


def test_replaced_npz_fails_its_md5(tmp_path):
    for name in ("omniglot.npz", "MD5SUMS"):
        shutil.copy(DATA / "omniglot" / name, tmp_path / name)
    np.savez(tmp_path / "omniglot.npz", train=np.zeros(3))
    with pytest.raises(DataError, match="md5"):
        read_omniglot(tmp_path / "omniglot.npz", "train")


def test_omniglot_and_doodles_load():
    characters = read_omniglot(DATA / "omniglot" / "omniglot.npz", "test")
    assert len(characters) == 1000 and all(s.shape[1] == 2 for c in characters[:50] for s in c)
    doodles = read_quickdraw(DATA / "quickdraw" / "doodles_28x28.npz")
    assert doodles.images.shape == (55488, 28, 28) and len(doodles.categories) == 23
    assert doodles.images.max() == 255 and np.bincount(doodles.labels).min() >= 490


def test_drawings_are_seeded_and_use_the_apps_preprocessing(unseen_writers):
    strokes = [d.strokes for d in unseen_writers[:40]]
    first, again = drawn_inputs(strokes, "strokes", seed=3), drawn_inputs(strokes, "strokes", seed=3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, drawn_inputs(strokes, "strokes", seed=4))
    # Training's drawings are exactly the app's model input for a drawing in a seeded visitor style.
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(1)[0])
    expected = [np.round(to_model_input(render_strokes(s, random_style(rng))) * 255) for s in strokes]
    np.testing.assert_array_equal(first, np.array(expected, np.uint8))


def test_drawing_on_two_cores_gives_the_same_inputs(unseen_writers, monkeypatch):
    import train.pen_data

    monkeypatch.setattr(train.pen_data, "DRAW_CHUNK", 20)
    strokes = [d.strokes for d in unseen_writers[:40]]
    np.testing.assert_array_equal(drawn_inputs(strokes, "strokes", 5, workers=2),
                                  drawn_inputs(strokes, "strokes", 5, workers=1))
