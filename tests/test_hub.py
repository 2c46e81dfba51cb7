"""Hub round trip, offline: push dry run and model card, app start-up from a local Hub cache."""

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import BUNDLED_MODEL, ROOT, AppServer, offline_env
from tests.http_client import free_port

REPO = "someone/hub-digits"
SECRET = "hf_TESTtokenThatMustNeverBePrinted0123456789"


def put_in_hub_cache(hf_home: Path, repo_id: str, files: dict[str, bytes]) -> str:
    """Lay files out exactly as huggingface_hub caches a model repo at revision main."""
    commit = hashlib.sha1(repo_id.encode() + b"".join(files.values())).hexdigest()
    repo_dir = hf_home / "hub" / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name, data in files.items():
        (snapshot / name).write_bytes(data)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit)
    return commit


def other_model_bytes(tmp_path: Path, input_shape=(28, 28, 1), classes=10) -> bytes:
    """A real .keras model that differs from the bundled one (untrained, or wrong shape)."""
    script = (f"import keras; m = keras.Sequential([keras.Input({input_shape!r}), keras.layers.Flatten(), "
              f"keras.layers.Dense({classes}, activation='softmax')]); m.save({str(tmp_path / 'other.keras')!r})")
    subprocess.run([sys.executable, "-c", script], check=True, env=offline_env(tmp_path), capture_output=True)
    return (tmp_path / "other.keras").read_bytes()



# ---- push: dry run, card, refusals --------------------------------------------------------------

def run_push(tmp_path: Path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "train.push", *args], cwd=ROOT, capture_output=True, text=True,
                          env=offline_env(tmp_path, **env), timeout=120)


@pytest.mark.slow
def test_dry_run_writes_exactly_the_upload(tmp_path):
    out = tmp_path / "staged"
    result = run_push(tmp_path, "--repo-id", REPO, "--dry-run", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "confusion_matrix.png", "final_model.keras", "metrics.json", "not_digit_gate.keras",
        "real_writers.json", "training_curves.png"]
    assert (out / "final_model.keras").read_bytes() == BUNDLED_MODEL.read_bytes()


@pytest.mark.slow
def test_model_card_metadata_parses(tmp_path):
    out = tmp_path / "staged"
    assert run_push(tmp_path, "--repo-id", REPO, "--dry-run", str(out)).returncode == 0
    card = (out / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    accuracy = json.loads((ROOT / "reports" / "metrics.json").read_text())["test_accuracy"]
    assert meta["library_name"] == "keras" and meta["license"]
    assert meta["datasets"] == ["ylecun/mnist"] and meta["metrics"] == ["accuracy"] and meta["tags"]
    result = meta["model-index"][0]["results"][0]
    assert result["task"]["type"] == "image-classification"
    assert result["dataset"]["type"] == "ylecun/mnist" and result["dataset"]["split"] == "test"
    assert result["metrics"][0]["type"] == "accuracy"
    assert result["metrics"][0]["value"] == pytest.approx(accuracy, abs=1e-4)
    body = card.split("---\n", 2)[2]
    for must in ("hf_hub_download", "keras.saving.load_model", "(N, 28, 28, 1)", "training_curves.png",
                 "confusion_matrix.png", "Limitations", f"{accuracy:.2%}"):
        assert must in body


@pytest.mark.slow
def test_push_refuses_a_model_under_min_accuracy(tmp_path):
    result = run_push(tmp_path, "--dry-run", str(tmp_path / "out"), "--min-accuracy", "0.9999")
    assert result.returncode == 1 and "under --min-accuracy" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_push_refuses_metrics_of_another_model(tmp_path):
    other = tmp_path / "other.keras"
    other.write_bytes(other_model_bytes(tmp_path))
    result = run_push(tmp_path, "--model", str(other), "--dry-run", str(tmp_path / "out"))
    assert result.returncode == 1 and "does not describe" in result.stderr


@pytest.mark.slow
def test_push_without_a_token_says_so(tmp_path):
    result = run_push(tmp_path, "--repo-id", REPO)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "push failed: no Hugging Face token: set HF_TOKEN (a write token) or run `hf auth login`"]


@pytest.mark.slow
def test_failed_upload_is_one_line_and_never_shows_the_token(tmp_path):
    start = time.monotonic()
    result = run_push(tmp_path, "--repo-id", REPO, HF_TOKEN=SECRET, HF_HUB_OFFLINE="0",
                      HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1 and time.monotonic() - start < 60
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"push failed: upload to {REPO} failed"), result.stderr
    assert SECRET not in result.stdout + result.stderr


# ---- app start-up ------------------------------------------------------------------------------

@pytest.mark.slow
def test_app_serves_the_hub_model_from_the_local_cache(tmp_path):
    hf_home = tmp_path / "hf-home"
    commit = put_in_hub_cache(hf_home, REPO, {"final_model.keras": other_model_bytes(tmp_path),
                                              "metrics.json": b'{"test_accuracy": 0.5}'})
    server = AppServer(offline_env(tmp_path, HF_MODEL_REPO=REPO), tmp_path / "app.log")
    try:
        server.wait_ready()
        page = httpx.get(server.url).text
        assert f"serving model: {REPO}@{commit[:7]}" in server.output()
        assert f"{REPO}@{commit[:7]}" in page and "50.00% on the MNIST test set" in page
        assert "WARNING digits:" not in server.output()
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["corrupt", "wrong-shape"])
def test_app_falls_back_to_the_bundled_model(tmp_path, problem):
    data = b"PK\x03\x04 not really a zip" if problem == "corrupt" else other_model_bytes(tmp_path, (32, 32, 3))
    put_in_hub_cache(tmp_path / "hf-home", REPO, {"final_model.keras": data})
    server = AppServer(offline_env(tmp_path, HF_MODEL_REPO=REPO), tmp_path / "app.log")
    try:
        server.wait_ready()
        log = server.output()
        warnings = [line for line in log.splitlines() if "WARNING digits:" in line]
        assert len(warnings) == 1 and "not a usable model" in warnings[0], log
        assert "serving model: bundled final_model.keras" in log
    finally:
        server.stop()


@pytest.mark.slow
def test_unreachable_hub_falls_back_within_seconds_and_hides_the_token(tmp_path):
    server = AppServer(offline_env(tmp_path, HF_HUB_OFFLINE="0", HF_TOKEN=SECRET,
                                   HF_ENDPOINT=f"http://127.0.0.1:{free_port()}"), tmp_path / "app.log")
    try:
        seconds = server.wait_ready()
        log = server.output()
        assert "serving model: bundled final_model.keras" in log and seconds < 30
        assert SECRET not in log
    finally:
        server.stop()


@pytest.mark.slow
def test_silent_hub_cannot_hang_start_up(tmp_path):
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        server = AppServer(offline_env(tmp_path, HF_HUB_OFFLINE="0",
                                       HF_ENDPOINT=f"http://127.0.0.1:{silent.getsockname()[1]}"),
                           tmp_path / "app.log")
        try:
            seconds = server.wait_ready(timeout=60)
            assert "no answer from the Hub" in server.output() or "Timeout" in server.output()
            assert seconds < 40
        finally:
            server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_app_refuses_to_start_without_a_usable_bundled_model(tmp_path, problem):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("app.py", "space_config.py"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "recognizer", project / "recognizer")
    if problem == "corrupt":
        (project / "final_model.keras").write_bytes(BUNDLED_MODEL.read_bytes()[:5000])
    env = offline_env(tmp_path, GRADIO_SERVER_PORT=str(free_port()))
    result = subprocess.run([sys.executable, "app.py"], cwd=project, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "cannot serve: the bundled model is unusable" in result.stdout + result.stderr
    assert "Running on" not in result.stdout


@pytest.mark.slow
def test_hub_model_without_metrics_is_still_served(tmp_path):
    commit = put_in_hub_cache(tmp_path / "hf-home", REPO, {"final_model.keras": other_model_bytes(tmp_path)})
    server = AppServer(offline_env(tmp_path, HF_MODEL_REPO=REPO), tmp_path / "app.log")
    try:
        server.wait_ready()
        assert f"serving model: {REPO}@{commit[:7]}" in server.output()
        assert "WARNING digits:" not in server.output()
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("gate_classes", [1, 10])
def test_the_gate_comes_from_the_same_hub_commit_or_from_the_bundle(tmp_path, gate_classes):
    # A (N, 1) gate beside the Hub's model is served with it; a (N, 10) one is no gate: the bundled one is.
    (tmp_path / "g").mkdir()
    commit = put_in_hub_cache(tmp_path / "hf-home", REPO, {
        "final_model.keras": other_model_bytes(tmp_path),
        "not_digit_gate.keras": other_model_bytes(tmp_path / "g", classes=gate_classes)})
    server = AppServer(offline_env(tmp_path, HF_MODEL_REPO=REPO), tmp_path / "app.log")
    try:
        server.wait_ready()
        log = server.output()
        served = [line for line in log.splitlines() if "serving model:" in line]
        assert len(served) == 1 and f"{REPO}@{commit[:7]}" in served[0], log
        if gate_classes == 1:
            assert f"snapshots/{commit}/not_digit_gate.keras" in served[0] and "WARNING digits:" not in log
        else:
            assert "gate maps" in log and served[0].endswith(str(ROOT / "not_digit_gate.keras")), log
    finally:
        server.stop()
