"""The real app over HTTP with gradio_client: drawn MNIST test digits, blank canvas, examples, strokes."""

import json
import math
import re
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from app import EXAMPLES
from tests.conftest import MNIST_DIR, ROOT, drawn_digits

pytestmark = pytest.mark.slow  # every test here talks to a server, or starts a process

pytestmark = pytest.mark.slow  # a real server (and browser) per module


def editor_value(path: Path, as_composite: bool) -> dict:
    image = handle_file(str(path))
    return {"background": None if as_composite else image, "layers": [], "composite": image if as_composite else None}


def top_label(result) -> str:
    label = result[0] if isinstance(result, (list, tuple)) else result
    return str(label["label"])


def test_drawn_test_digits_come_back_right(client, mnist, tmp_path):
    drawings, labels = drawn_digits(mnist, 24, seed=5)
    correct = 0
    for i, (drawing, label) in enumerate(zip(drawings, labels)):
        path = tmp_path / f"d{i}.png"
        opaque = drawing[..., 3].min() == 255
        Image.fromarray(drawing[..., :3] if opaque and i % 3 == 0 else drawing).save(path)  # RGB uploads too
        result = client.predict(editor_value(path, as_composite=i % 2 == 0), api_name="/predict")
        correct += top_label(result) == str(label)
        confidences = result[0]["confidences"]
        if top_label(result) != "not a digit":  # one digit: all ten, most likely first (the page shows three)
            assert sorted(c["label"] for c in confidences) == [str(d) for d in range(10)]
            assert [c["confidence"] for c in confidences] == sorted((c["confidence"] for c in confidences), reverse=True)
    assert correct >= 23, f"{correct}/24"


def test_model_view_is_the_28x28_input(client):
    from recognizer.preprocess import to_model_input

    label, seen = client.predict(editor_value(Path(EXAMPLES[0]), True), api_name="/predict")
    image = np.asarray(Image.open(seen).convert("L"))[::3, ::3]  # each pixel shown 3x3
    # Exactly what the model read
    expected = (to_model_input(Image.open(EXAMPLES[0])) * 255).astype(np.uint8)  # digit_0_...: one digit
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize("value", [
    {"background": None, "layers": [], "composite": None},
    None,
])
def test_empty_canvas_shows_no_digit(client, value):
    result = client.predict(value, api_name="/predict")
    assert result[0]["label"] == "Draw a digit" and not result[0].get("confidences")


def test_blank_white_canvas_shows_no_digit(client, tmp_path):
    path = tmp_path / "white.png"
    Image.new("RGBA", (400, 400), (255, 255, 255, 255)).save(path)
    assert top_label(client.predict(editor_value(path, True), api_name="/predict")) == "Draw a digit"


def expected_reading(path: str) -> str:
    """What an example's file name says the app reads: digit_7_... -> "7", number_2026_... -> "2026"."""
    kind, value = Path(path).name.split("_")[:2]
    return "not a digit" if kind == "notdigit" else value


def test_examples_cover_every_digit_a_number_and_a_doodle_and_are_read(client):
    expected = [expected_reading(p) for p in EXAMPLES]
    assert {str(d) for d in range(10)} <= set(expected) and "not a digit" in expected
    assert any(len(e) > 1 and e.isdigit() for e in expected)
    for path, reading in zip(EXAMPLES, expected):
        assert top_label(client.predict(editor_value(Path(path), True), api_name="/predict")) == reading, path


def test_readme_api_snippet_runs(app_server, capsys):
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"<!-- api-snippet -->\s*```python\n(.*?)```", readme, re.S).group(1)
    assert "http://127.0.0.1:7860/" in snippet
    exec(snippet.replace("http://127.0.0.1:7860/", app_server.url), {"__name__": "readme"})
    assert capsys.readouterr().out.strip().splitlines()[-1].split()[0] == "2026"  # after the client's "Loaded as API"


def test_plain_predict_function_needs_no_ui(tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import offline_env

    code = ("import json; from PIL import Image; from app import predict; "
            "print(json.dumps([predict(Image.open('examples/digit_3_pen_writer1.png')), predict(None)]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=offline_env(tmp_path), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    reading, blank = json.loads(result.stdout.strip().splitlines()[-1])
    probabilities = {c["label"]: c["confidence"] for c in reading["confidences"]}
    assert set(probabilities) == {str(d) for d in range(10)} and abs(sum(probabilities.values()) - 1) < 1e-4
    assert reading["label"] == "3" and blank == {"label": "Draw a digit", "confidences": []}
    assert "Running on" not in result.stdout


def sketch_png(tmp_path: Path, name: str, drawing: np.ndarray) -> dict:
    path = tmp_path / f"{name}.png"
    Image.fromarray(drawing).save(path)
    return editor_value(path, as_composite=True)


def test_unseen_writers_digits_are_read_and_a_foreign_letter_is_not_a_digit(client, tmp_path):
    from recognizer.strokes import render_strokes
    from tests.conftest import MNIST_DIR
    from train.pen_data import read_omniglot, read_unipen
    from train.styles import random_style

    rng = np.random.default_rng(11)
    pen = read_unipen(MNIST_DIR.parent / "pendigits" / "pendigits-orig.tes")  # 14 writers nobody trained on
    picks = rng.choice(len(pen), 20, replace=False)
    read = [top_label(client.predict(sketch_png(tmp_path, f"pen{i}", render_strokes(pen[i].strokes, random_style(rng))),
                                     api_name="/predict")) for i in picks]
    assert sum(label == str(pen[i].label) for label, i in zip(read, picks)) >= 18, list(zip(read, picks))

    # Omniglot's test split: characters of other scripts. The gate lets 43% of all Omniglot glyphs through
    # (benchmarks.real_writers, 1,000): of 30, most must be refused, each with the ten digits below P(not a digit).
    characters = read_omniglot(MNIST_DIR.parent / "omniglot" / "omniglot.npz", "test")
    refused = 0
    for index in range(30):
        result = client.predict(sketch_png(tmp_path, f"omniglot{index}", render_strokes(characters[index], random_style(rng))),
                                api_name="/predict")
        if top_label(result) != "not a digit":
            continue
        refused += 1
        confidences = {c["label"]: c["confidence"] for c in result[0]["confidences"]}
        assert confidences["not a digit"] > 0.5 > max(v for k, v in confidences.items() if k != "not a digit")
    assert refused >= 15, refused


@pytest.fixture(scope="module")
def pen_digits():
    from train.pen_data import read_unipen

    return read_unipen(MNIST_DIR.parent / "pendigits" / "pendigits-orig.tes")  # 14 writers nobody trained on


def test_read_strokes_reads_unseen_writers_digits_and_a_number(client, pen_digits):
    from tests.test_stroke_input import payload_of, side_by_side
    from train.styles import random_style

    rng = np.random.default_rng(17)
    picks = rng.choice(len(pen_digits), 12, replace=False)
    right = 0
    for i in picks:
        result = client.predict(payload_of(pen_digits[i].strokes, random_style(rng, aspect=2.0)),
                                api_name="/read_strokes")
        confidences = result["confidences"]
        right += result["label"] == str(pen_digits[i].label)
        if result["label"] != "not a digit":  # the same label JSON as /predict's: all ten digits, most likely first
            assert sorted(c["label"] for c in confidences) == [str(d) for d in range(10)]
            assert confidences[0]["label"] == result["label"]
    assert right >= 11, right
    number = [pen_digits[i] for i in picks[:3]]
    style = replace(random_style(rng, aspect=2.0), size=0.6, x=0.5, y=0.5)
    result = client.predict(payload_of(side_by_side(number), style), api_name="/read_strokes")
    assert result["label"] == "".join(str(d.label) for d in number), result
    blank = client.predict({"width": 720, "height": 360, "brush": 18, "strokes": []}, api_name="/read_strokes")
    assert blank == {"label": "Draw a digit", "confidences": []}


BAD_STROKES = {
    "empty": ({}, "expected"),
    "NaN": ({"width": 720, "height": 360, "brush": 18, "strokes": [[[1, math.nan]]]}, "finite"),
    "types": ({"width": "wide", "height": 360, "brush": 18, "strokes": []}, "width must be a number"),
    "huge": ({"width": 720, "height": 360, "brush": 18, "strokes": [[[5, 5]] * 500] * 40}, "points in all"),
}


def call(url: str, api_name: str, *data) -> tuple[str, dict]:
    """One raw call of an endpoint (JSON as Python writes it, NaN included): (the last event, its data)."""
    body = json.dumps({"data": list(data)})  # allow_nan: what a careless client sends
    with httpx.Client(timeout=30) as http:
        joined = http.post(f"{url}gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"})
        with http.stream("GET", f"{url}gradio_api/call/{api_name}/{joined.json()['event_id']}") as stream:
            lines = [line for line in stream.iter_lines() if line]
    return lines[-2].removeprefix("event: "), json.loads(lines[-1].removeprefix("data: "))


@pytest.mark.parametrize("payload, message", BAD_STROKES.values(), ids=BAD_STROKES.keys())
def test_bad_stroke_payloads_are_refused_at_once_and_the_server_stays_up(app_server, payload, message):
    call(app_server.url, "read_strokes", BAD_STROKES["empty"][0])  # the first call of a client sets up its queue
    start = time.monotonic()
    event, data = call(app_server.url, "read_strokes", payload)
    assert time.monotonic() - start < 1.0
    assert event == "error" and message in data["error"], data
    event, data = call(app_server.url, "read_strokes", {"width": 720, "height": 360, "brush": 18,
                                                         "strokes": [[[300, 80], [420, 80], [330, 290]]]})
    assert (event, data[0]["label"]) == ("complete", "7")  # still up, still reading
    assert "Traceback" not in app_server.output()  # a refused input is no server error: one line in the log


def test_a_refused_correction_logs_one_line_and_no_traceback(client, app_server):
    from gradio_client.exceptions import AppError

    before = app_server.output()
    with pytest.raises(AppError, match="canvas is blank"):
        client.predict({"background": None, "layers": [], "composite": None}, "7", api_name="/correct")
    time.sleep(0.5)
    added = app_server.output()[len(before):]
    assert "Traceback" not in added
    assert [line for line in added.splitlines() if "refused" in line] and len(added.splitlines()) == 1, added


def test_a_correction_of_the_pages_strokes_is_stored_with_what_the_server_read(client, app_server):
    seven = {"seq": 4, "width": 720, "height": 360, "brush": 18, "strokes": [[[300, 80], [420, 80], [330, 290]]]}
    assert client.predict(seven, "1", api_name="/correct") == "Thanks! Stored as **1**."
    rows = [json.loads(line) for path in Path(app_server.env["FEEDBACK_DIR"]).rglob("metadata.jsonl")
            for line in path.read_text().splitlines()]
    assert (rows[-1]["label"], rows[-1]["predicted"]) == ("1", "7")
    drawing = Image.open(next(Path(app_server.env["FEEDBACK_DIR"]).rglob(rows[-1]["drawing_file_name"]))).convert("L")
    assert drawing.width == 2 * drawing.height and np.asarray(drawing).min() < 64  # the 720x360 canvas, inked
