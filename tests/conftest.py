"""Shared fixtures: genuine MNIST, the bundled model, and a running app server."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks.http_client import free_port

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


def offline_env(tmp_path: Path, **extra) -> dict:
    """An environment with no Hub: an empty HF_HOME, offline mode, and no token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GRADIO_"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1",
               GRADIO_TEMP_DIR=str(tmp_path / "gradio-tmp"),
               GRADIO_ANALYTICS_ENABLED="False", TF_CPP_MIN_LOG_LEVEL="2")
    env.update(extra)
    return env


class AppServer:
    """`python app.py` on a free loopback port, stopped at the end."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        env = dict(env, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(self.port))
        self.env = env
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds until the server answers HTTP; fails the test if it exits or times out."""
        import httpx

        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"app exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"app not ready in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


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

    from benchmarks.drawings import random_style, render

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(mnist.x_test), count, replace=False)
    images = []
    for index in picks:
        style = random_style(rng)
        if transparent is not None:
            style = replace(style, transparent=transparent)
        images.append(render(mnist.x_test[index], style))
    return images, mnist.y_test[picks]
