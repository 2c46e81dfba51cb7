"""Bad input over the API: every case is answered or refused with a reason, within seconds."""

import io
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from app import CACHE_SECONDS
from recognizer.predictor import ModelFileError, load_model_file
from tests.conftest import ROOT


def png_bytes(array: np.ndarray, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", **save)
    return buffer.getvalue()


def jpeg_of_a_one() -> bytes:
    canvas = np.full((500, 500, 3), 255, np.uint8)
    canvas[100:400, 230:270] = 0
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def sixteen_bit_one() -> bytes:
    canvas = np.full((300, 300), 65535, np.uint16)
    canvas[60:240, 135:160] = 0
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, "PNG")
    return buffer.getvalue()


CASES = {
    "1x1.png": lambda: png_bytes(np.zeros((1, 1, 4), np.uint8)),
    "6000x6000.png": lambda: png_bytes(np.full((6000, 6000), 255, np.uint8)),
    "1x4000.png": lambda: png_bytes(np.zeros((1, 4000), np.uint8)),
    "noise.png": lambda: png_bytes(np.random.default_rng(0).integers(0, 256, (400, 400, 3), np.uint8)),
    "black.png": lambda: png_bytes(np.zeros((400, 400, 3), np.uint8)),
    "grey16.png": sixteen_bit_one,
    "one.jpg": jpeg_of_a_one,
    "notes.png": lambda: b"this is a text file, not an image\n" * 20,
    "truncated.png": lambda: png_bytes(np.full((400, 400, 3), 128, np.uint8))[:300],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_bad_input_gets_an_answer_or_a_clear_refusal(client, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CASES[name]())
    start = time.monotonic()
    try:
        label, _ = client.predict({"background": handle_file(str(path)), "layers": [], "composite": None},
                                  api_name="/predict")
    except AppError as e:
        # A gr.Error reaches the client with its reason; an unhandled exception does not.
        assert "image" in str(e) and "has raised an exception" not in str(e), f"unexplained error for {name}: {e!r}"
    else:
        assert isinstance(label, dict) and label.get("label"), label
        if name in ("grey16.png", "one.jpg"):
            assert label["label"] == "1"
        if name in ("1x1.png", "black.png"):
            assert label["label"] == "Draw a digit"
    assert time.monotonic() - start < 10


@pytest.mark.slow
def test_none_value_is_answered(client):
    label, _ = client.predict(None, api_name="/predict")
    assert label["label"] == "Draw a digit"


def project_files() -> dict:
    skip = {".venv", ".tools", ".pytest_cache", "test-artifacts", "runs", ".git"}
    return {str(p): p.stat().st_mtime for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts) and "__pycache__" not in p.parts}


def test_the_cache_sweep_outlives_an_upload_arriving_while_it_runs(tmp_path):
    from gradio import route_utils

    from app import surviving_races

    class Raced(set):
        """A set an upload changes once while the sweep walks it."""

        raced = False

        def __iter__(self):
            if not self.raced:
                self.raced = True
                raise RuntimeError("Set changed size during iteration")
            return super().__iter__()

    class Blocks:
        blocks: dict = {}

        def __init__(self, files):
            self.temp_file_sets = [Raced(files)]

    files = [tmp_path / f"upload{k}.png" for k in range(3)]
    for f in files:
        f.write_bytes(b"png")
    with pytest.raises(RuntimeError):  # Gradio's own sweep: its scheduled task would end here
        route_utils.delete_files_created_by_app(Blocks({str(f) for f in files}), 0)
    surviving_races(route_utils.delete_files_created_by_app)(Blocks({str(f) for f in files}), 0)
    assert not any(f.exists() for f in files)


@pytest.mark.slow
def test_uploads_are_deleted_and_the_app_writes_only_to_its_temp_folder(app_server, client, tmp_path):
    before = project_files()
    path = tmp_path / "unique-upload-name.png"
    path.write_bytes(CASES["one.jpg"]())
    client.predict({"background": handle_file(str(path)), "layers": [], "composite": None}, api_name="/predict")
    temp = Path(app_server.env["GRADIO_TEMP_DIR"])
    assert list(temp.rglob("unique-upload-name.png")), "the upload should land in Gradio's temp folder"
    deadline = time.monotonic() + 2 * CACHE_SECONDS + 15
    while list(temp.rglob("unique-upload-name.png")) and time.monotonic() < deadline:
        time.sleep(1)
    assert not list(temp.rglob("unique-upload-name.png")), "uploads must not be kept"
    assert project_files() == before


def test_models_load_only_in_safe_mode(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    path = tmp_path / "code.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="not a usable model"):
        load_model_file(path)


@pytest.mark.parametrize("background", ["/etc/hostname", str(ROOT / "examples" / "digit_3_pen_writer1.png"),
                                        {"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}])
@pytest.mark.slow
def test_server_paths_in_the_payload_are_refused(app_server, background):
    import httpx

    url = app_server.url.rstrip("/")
    value = {"background": background, "layers": [], "composite": None}
    with httpx.Client(timeout=30) as http:
        event = http.post(f"{url}/gradio_api/call/predict", json={"data": [value]}).json()["event_id"]
        body = http.get(f"{url}/gradio_api/call/predict/{event}").text
    assert "event: error" in body and '"label"' not in body, body[:300]
