"""A raw HTTP client of a Gradio /predict endpoint (upload, queue, result stream) and app launching."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offline_env(tmp_path: Path, **extra) -> dict:
    """An environment with no Hub: an empty HF_HOME, offline mode, no token, corrections kept in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GRADIO_", "FEEDBACK_"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1",
               GRADIO_TEMP_DIR=str(tmp_path / "gradio-tmp"), FEEDBACK_DIR=str(tmp_path / "feedback"),
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
        """Seconds until the server answers HTTP; raises RuntimeError, with its log, if it exits or times out."""
        start_time = time.monotonic()
        while time.monotonic() - start_time < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return time.monotonic() - start_time
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"app not ready in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        """Everything the app has logged so far."""
        self.log.flush()
        return self.log_path.read_text()

    def stop(self):
        """Terminate the app, killing it if it does not exit within 10 s."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def start(module_or_script: str, **env) -> tuple[subprocess.Popen, str, float]:
    """Start `python app.py` or `python -m module` on a free port; return (process, url, seconds to ready)."""
    port = free_port()
    args = [module_or_script] if module_or_script.endswith(".py") else ["-m", module_or_script]
    environment = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
                   "GRADIO_ANALYTICS_ENABLED": "False", **env}
    start_time = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{module_or_script} exited with {process.returncode}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return process, url, time.perf_counter() - start_time
        except httpx.HTTPError:
            time.sleep(0.05)


def predict(http: httpx.Client, url: str, png: bytes) -> str:
    """One visitor request: upload the drawing, join the queue, read the result stream."""
    uploaded = http.post(f"{url}/gradio_api/upload", files={"files": ("drawing.png", png, "image/png")}).json()[0]
    image = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    value = {"background": image, "layers": [], "composite": image}
    joined = http.post(f"{url}/gradio_api/call/predict", json={"data": [value]})
    if "event_id" not in joined.text:  # refused at the door, e.g. a full queue
        raise RuntimeError(f"HTTP {joined.status_code}: {joined.text[:200]}")
    event = joined.json()["event_id"]
    with http.stream("GET", f"{url}/gradio_api/call/predict/{event}") as stream:
        lines = [line for line in stream.iter_lines() if line]
    if not any(line.startswith("event: complete") for line in lines):
        raise RuntimeError(f"no result: {lines[-3:]}")
    return lines[-1]
