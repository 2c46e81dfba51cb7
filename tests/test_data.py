"""MNIST loaders: IDX files, the `datasets` schema, and clear errors for bad files."""

import gzip
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import MNIST_DIR, ROOT, offline_env
from train.data import DataError, load_hub, load_idx_dir, read_idx, split_validation


def test_idx_loader_reads_genuine_mnist(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8 and mnist.x_train.max() == 255
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels
    assert np.bincount(mnist.y_train).tolist()[:3] == [5923, 6742, 5958]
    # white digit on black: the border is background
    assert mnist.x_test[:, 0, :].mean() < 1


def test_idx_loader_reads_uncompressed_files(tmp_path):
    for src in MNIST_DIR.glob("*.gz"):
        (tmp_path / src.stem).write_bytes(gzip.decompress(src.read_bytes()))
    data = load_idx_dir(tmp_path)
    assert np.array_equal(data.x_test, load_idx_dir(MNIST_DIR).x_test)


@pytest.fixture
def mnist_copy(tmp_path):
    for src in MNIST_DIR.glob("*.gz"):
        shutil.copy(src, tmp_path / src.name)
    return tmp_path


def test_missing_file_is_named(mnist_copy):
    (mnist_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: file not found"):
        load_idx_dir(mnist_copy)


def test_truncated_file_is_named(mnist_copy):
    path = mnist_copy / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: truncated"):
        load_idx_dir(mnist_copy)


def test_cut_gzip_stream_is_named(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: cannot read"):
        load_idx_dir(mnist_copy)


def test_wrong_magic_is_named(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(DataError, match="train-images-idx3-ubyte: not an MNIST IDX file"):
        read_idx(path)


def test_validation_split_is_seeded_and_disjoint():
    ids = np.arange(1000)
    (train_a, _), (val_a, _) = split_validation(ids, ids, 100, seed=1)
    (train_b, _), (val_b, _) = split_validation(ids, ids, 100, seed=1)
    (_, _), (val_c, _) = split_validation(ids, ids, 100, seed=2)
    assert np.array_equal(val_a, val_b) and np.array_equal(train_a, train_b)
    assert not np.array_equal(val_a, val_c)
    assert len(val_a) == 100 and set(train_a).isdisjoint(val_a) and set(train_a) | set(val_a) == set(ids)


def write_hub_schema_dataset(folder, mnist, n_train=300, n_test=100):
    """A local dataset in the ylecun/mnist schema and file layout, from real MNIST digits."""
    from datasets import ClassLabel, Dataset, Features, Image
    from PIL import Image as PILImage

    features = Features({"image": Image(), "label": ClassLabel(names=[str(d) for d in range(10)])})
    (folder / "mnist").mkdir(parents=True)
    for split, x, y in (("train", mnist.x_train[:n_train], mnist.y_train[:n_train]),
                        ("test", mnist.x_test[:n_test], mnist.y_test[:n_test])):
        ds = Dataset.from_dict({"image": [PILImage.fromarray(a, mode="L") for a in x], "label": y.tolist()},
                               features=features)
        ds.to_parquet(folder / "mnist" / f"{split}-00000-of-00001.parquet")
    return folder


def test_hub_loader_yields_the_same_arrays_as_idx(tmp_path, mnist, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = write_hub_schema_dataset(tmp_path / "ylecun-mnist", mnist)
    data = load_hub(str(folder))
    assert np.array_equal(data.x_train, mnist.x_train[:300]) and np.array_equal(data.y_train, mnist.y_train[:300])
    assert np.array_equal(data.x_test, mnist.x_test[:100]) and np.array_equal(data.y_test, mnist.y_test[:100])
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64


@pytest.mark.slow
def test_offline_without_data_dir_fails_fast_with_one_line(tmp_path):
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "train", "--epochs", "1"], cwd=ROOT, capture_output=True,
                            text=True, env=offline_env(tmp_path), timeout=120)
    assert result.returncode == 2
    assert time.monotonic() - start < 60
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "--data-dir" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_reports_a_bad_data_dir_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "train", "--data-dir", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, env=offline_env(tmp_path), timeout=120)
    assert result.returncode == 2
    assert "train-images-idx3-ubyte.gz: file not found" in result.stderr and "Traceback" not in result.stderr
