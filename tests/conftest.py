"""Shared fixtures: genuine MNIST, the bundled model, and a running app server."""

import os
from pathlib import Path

import numpy as np
import pytest

# Shared with scripts/screenshot.py; the tests import them from here.
from tests.http_client import AppServer, offline_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))
BUNDLED_MODEL = ROOT / "final_model.keras"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def mnist():
    from train.data import load_idx_dir

    return load_idx_dir(MNIST_DIR)


@pytest.fixture(scope="session")
def predictor():
    from recognizer.predictor import Predictor, load_model_file

    return Predictor(load_model_file(BUNDLED_MODEL), "bundled")


@pytest.fixture(scope="session")
def gated(predictor):
    """The bundled digit model with the bundled gate, as the app reads."""
    from recognizer.contract import check_gate_io
    from recognizer.predictor import Predictor, load_model_file

    return Predictor(predictor.model, gate=load_model_file(ROOT / "not_digit_gate.keras", check=check_gate_io))


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    server = AppServer(offline_env(tmp), tmp / "app.log")
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


def drawn_digits(mnist, count: int, seed: int, transparent: bool | None = None):
    """(RGBA drawings, labels) of real MNIST test digits re-drawn as sketchpad strokes."""
    from dataclasses import replace

    from train.skeleton import redraw_digit as render
    from train.styles import random_style

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(mnist.x_test), count, replace=False)
    images = []
    for index in picks:
        style = random_style(rng)
        if transparent is not None:
            style = replace(style, transparent=transparent)
        images.append(render(mnist.x_test[index], style))
    return images, mnist.y_test[picks]
