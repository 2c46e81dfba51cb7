"""Corrections: over HTTP into the imagefolder, its limits, uploads to a Hub that is down, training on them."""

import base64
import json
import socket
import subprocess
import sys
import threading
import time
from calendar import timegm
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from recognizer.contract import NOT_A_DIGIT
from recognizer.feedback import FeedbackRefused, FeedbackStore, RateLimiter, check_answer, make_correction
from recognizer.preprocess import to_model_input
from space_config import FeedbackSettings, feedback_settings
from tests.conftest import ARTIFACTS, BUNDLED_MODEL, MNIST_DIR, ROOT, AppServer, drawn_digits, offline_env
from tests.http_client import free_port
from tests.test_hub import put_in_hub_cache
from train.data import DataError

SECRET = "hf_TESTfeedbackTokenThatMustNeverBePrinted01234"
REPO = "someone/digit-corrections"
PER_MINUTE = 4
FIELDS = {"file_name", "drawing_file_name", "label", "predicted", "confidence", "model_revision", "time", "answer", "part"}
EXAMPLE_3 = ROOT / "examples" / "digit_3_pen_writer1.png"
EXAMPLE_7 = ROOT / "examples" / "digit_7_pen_writer1.png"
EXAMPLE_2026 = ROOT / "examples" / "number_2026_pen_writer1.png"


def editor(path: Path | None) -> dict:
    image = handle_file(str(path)) if path is not None else None
    return {"background": None, "layers": [], "composite": image}


def rows(folder: Path) -> list[dict]:
    """Every stored row, with the run folder it is in, in the order written."""
    return [dict(json.loads(line), run=path.parent) for path in sorted(folder.glob("*/metadata.jsonl"))
            for line in path.read_text().splitlines()]


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


def scribble(kind: int) -> np.ndarray:
    """An RGBA drawing that is no digit: a grid, a star or a spiral of strokes."""
    canvas = np.zeros((400, 400, 4), np.uint8)
    ink = (17, 17, 17, 255)
    if kind == 0:
        for p in range(80, 330, 60):
            cv2.line(canvas, (p, 60), (p, 340), ink, 18)
            cv2.line(canvas, (60, p), (340, p), ink, 18)
    elif kind == 1:
        for angle in np.linspace(0, np.pi, 5, endpoint=False):
            dx, dy = int(150 * np.cos(angle)), int(150 * np.sin(angle))
            cv2.line(canvas, (200 - dx, 200 - dy), (200 + dx, 200 + dy), ink, 18)
    else:
        t = np.linspace(0, 6 * np.pi, 200)
        points = np.stack([200 + 7 * t * np.cos(t), 200 + 7 * t * np.sin(t)], 1).astype(np.int32)
        cv2.polylines(canvas, [points], False, ink, 16)
    return canvas


def write_corrections(folder: Path, mnist, digits: int, not_digits: int) -> list[str]:
    """Corrections stored as the Space stores them: drawn MNIST test digits and scribbles. Returns the labels."""
    drawings, labels = drawn_digits(mnist, digits, seed=11)
    items = [(d, str(y)) for d, y in zip(drawings, labels)]
    items += [(scribble(k % 3), NOT_A_DIGIT) for k in range(not_digits)]
    store = FeedbackStore(FeedbackSettings(folder, per_minute=1000))
    for drawing, label in items:
        store.save(make_correction(drawing, label, "1", 0.5, "test"), "writer")
    return [label for _, label in items]


# ---- the real app over HTTP ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def feedback_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback-app")
    server = AppServer(offline_env(tmp, FEEDBACK_DIR=str(tmp / "feedback"), FEEDBACK_PER_MINUTE=str(PER_MINUTE)),
                       tmp / "app.log")
    server.wait_ready()
    server.folder = tmp / "feedback"
    yield server
    server.stop()


def new_session(server) -> Client:
    """A client of its own: a session of its own, with its own rate limit."""
    return Client(server.url, verbose=False)


@pytest.mark.slow
def test_a_correction_over_http_lands_in_the_folder(feedback_app):
    before = rows(feedback_app.folder)
    start = time.time()
    answer = new_session(feedback_app).predict(editor(EXAMPLE_3), "8", api_name="/correct")
    assert answer == "Thanks! Stored as **8**."
    assert "stored publicly" not in httpx.get(feedback_app.url).text  # no dataset configured, no such sentence
    added = rows(feedback_app.folder)[len(before):]
    assert len(added) == 1
    row = added[0]
    run = row.pop("run")
    assert set(row) == FIELDS  # and nothing about the visitor
    assert (row["label"], row["predicted"], row["model_revision"]) == ("8", "3", "bundled final_model.keras")
    assert 0.5 < row["confidence"] <= 1
    assert start - 2 <= timegm(time.strptime(row["time"], "%Y-%m-%dT%H:%M:%SZ")) <= time.time() + 1
    seen = np.asarray(Image.open(run / row["file_name"]))
    expected = np.round(to_model_input(np.asarray(Image.open(EXAMPLE_3).convert("RGBA"))) * 255)
    assert seen.shape == (28, 28) and seen.dtype == np.uint8 and np.abs(seen - expected).max() <= 1
    drawing = Image.open(run / row["drawing_file_name"])
    assert drawing.mode == "L" and drawing.size == shrunk_size(EXAMPLE_3)
    # The drawing itself, black on white: preprocessing it again gives (almost) what the model saw.
    assert np.abs(to_model_input(drawing) * 255 - seen).mean() < 8


def shrunk_size(path: Path) -> tuple[int, int]:
    """A drawing's size once stored: its longest side 256 px, its shape kept (the 720x360 canvas: 256x128)."""
    width, height = Image.open(path).size
    scale = 256 / max(width, height)
    return round(width * scale), round(height * scale)


@pytest.mark.slow
def test_imagefolder_loads_the_corrections_with_their_labels(feedback_app, tmp_path):
    from datasets import load_dataset

    client = new_session(feedback_app)
    for path, answer in [(EXAMPLE_7, "1"), (EXAMPLE_3, NOT_A_DIGIT), (EXAMPLE_7, "7")]:
        client.predict(editor(path), answer, api_name="/correct")
    stored = rows(feedback_app.folder)
    ds = load_dataset("imagefolder", data_dir=str(feedback_app.folder), split="train", cache_dir=str(tmp_path))
    assert ds["label"] == [r["label"] for r in stored] and ds["label"][-3:] == ["1", NOT_A_DIGIT, "7"]
    assert ds["predicted"][-3:] == ["7", "3", "7"]
    for example, row in zip(ds, stored):
        assert np.array_equal(np.asarray(example["image"]), np.asarray(Image.open(row["run"] / row["file_name"])))
        assert example["drawing"].size == shrunk_size(EXAMPLE_7)


@pytest.mark.slow
def test_a_number_corrected_over_http_lands_as_labelled_parts(feedback_app, tmp_path):
    from datasets import load_dataset

    client = new_session(feedback_app)
    before = len(rows(feedback_app.folder))
    assert client.predict(editor(EXAMPLE_2026), " 2026", api_name="/correct") == "Thanks! Stored as **2026**."
    added = rows(feedback_app.folder)[before:]
    # The example reads as four parts: each is stored as the model saw it, under its own digit.
    assert [(r["label"], r["part"]) for r in added] == [("2026", -1), ("2", 0), ("0", 1), ("2", 2), ("6", 3)]
    ds = load_dataset("imagefolder", data_dir=str(feedback_app.folder), split="train", cache_dir=str(tmp_path))
    assert ds["label"][-5:] == ["2026", "2", "0", "2", "6"] and ds["part"][-5:] == [-1, 0, 1, 2, 3]
    assert all(np.asarray(image).shape == (28, 28) for image in ds["image"][-5:])


@pytest.fixture
def unreadable(tmp_path) -> Path:
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    return path


@pytest.fixture
def white(tmp_path) -> Path:
    path = tmp_path / "white.png"
    Image.new("RGB", (400, 400), "white").save(path)
    return path


@pytest.fixture
def huge(tmp_path) -> Path:
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1100, 1100, 3), dtype=np.uint8)).save(path)
    assert path.stat().st_size > 2_000_000  # over the app's upload limit
    return path


@pytest.mark.parametrize("image, answer, message", [
    ("example", "x", "must be a digit from 0 to 9, a number of up to 12 digits or 'not a digit'"),
    ("example", "1O", "must be a digit from 0 to 9"),
    ("example", "1234567890123", "a number of up to 12 digits"),
    ("example", "", "must be a digit from 0 to 9"),
    ("example", None, "must be a digit from 0 to 9"),
    ("blank", "3", "The canvas is blank"),
    ("white", "3", "The canvas is blank"),
    ("unreadable", "3", "(?i)not a readable image"),
    ("huge", "3", "exceeds the maximum file size"),
])
@pytest.mark.slow
def test_bad_corrections_are_refused_and_nothing_is_stored(feedback_app, request, image, answer, message):
    path = {"example": EXAMPLE_3, "blank": None}[image] if image in ("example", "blank") \
        else request.getfixturevalue(image)
    before = snapshot(feedback_app.folder)
    with pytest.raises(Exception, match=message):
        new_session(feedback_app).predict(editor(path), answer, api_name="/correct")
    assert snapshot(feedback_app.folder) == before


@pytest.mark.slow
def test_corrections_per_session_are_limited(feedback_app):
    client, count = new_session(feedback_app), len(rows(feedback_app.folder))
    for _ in range(PER_MINUTE):
        client.predict(editor(EXAMPLE_7), "1", api_name="/correct")
    with pytest.raises(Exception, match=f"Too many corrections: at most {PER_MINUTE} a minute. Try again in"):
        client.predict(editor(EXAMPLE_7), "1", api_name="/correct")
    assert new_session(feedback_app).predict(editor(EXAMPLE_7), "7", api_name="/correct")  # another visitor
    assert len(rows(feedback_app.folder)) == count + PER_MINUTE + 1


@pytest.mark.slow
def test_one_tap_in_the_browser_corrects_a_reading(feedback_app):
    from playwright.sync_api import sync_playwright

    from tests.browser import chromium_path, open_app, shown_label, stroke
    from tests.test_browser import DIGITS, canvas_centre

    if not Path(chromium_path()).exists():
        pytest.fail(f"{chromium_path()} is missing: run-tests.sh installs Debian's chromium")
    thanks = "document.querySelector('#correction-thanks').innerText.trim()"
    with sync_playwright() as p:
        browser, page = open_app(p, feedback_app.url)
        try:
            assert page.locator("#correction-notice").count() == 0  # no dataset configured
            stroke(page, DIGITS["7"](*canvas_centre(page))[0])
            assert shown_label(page, "7") == "7"
            page.locator("#correction input[value='1']").click()
            page.wait_for_function(f"{thanks} === 'Thanks! Stored as 1.'", timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "browser_corrected.png")
            assert (rows(feedback_app.folder)[-1]["label"], rows(feedback_app.folder)[-1]["predicted"]) == ("1", "7")
            x, y = canvas_centre(page)
            stroke(page, [(x - 80, y + 120), (x + 80, y + 120)])  # a new stroke, a new drawing: the thanks goes
            page.wait_for_function(f"{thanks} === ''", timeout=30_000)
        finally:
            browser.close()


@pytest.mark.slow
def test_an_unreachable_hub_blocks_nothing_and_loses_nothing(tmp_path):
    folder = tmp_path / "feedback"
    # The model at an exact commit, from the local cache: start-up asks the (unreachable) Hub nothing for it.
    commit = put_in_hub_cache(tmp_path / "hf-home", "someone/model", {"final_model.keras": BUNDLED_MODEL.read_bytes(),
                                                                       "metrics.json": b'{"test_accuracy": 0.99}'})
    env = offline_env(tmp_path, HF_HUB_OFFLINE="0", HF_ENDPOINT=f"http://127.0.0.1:{free_port()}", HF_TOKEN=SECRET,
                      HF_MODEL_REPO="someone/model", HF_MODEL_REVISION=commit,
                      HF_FEEDBACK_REPO=REPO, FEEDBACK_DIR=str(folder), FEEDBACK_UPLOAD_MINUTES="0.02")
    server = AppServer(env, tmp_path / "app.log")
    try:
        assert server.wait_ready() < 40
        assert f"stored publicly in the dataset [{REPO}]" in httpx.get(server.url).text
        client = Client(server.url, verbose=False)
        start = time.monotonic()
        assert client.predict(editor(EXAMPLE_7), api_name="/predict")[0]["label"] == "7"
        assert client.predict(editor(EXAMPLE_7), "1", api_name="/correct") == "Thanks! Stored as **1**."
        assert time.monotonic() - start < 10
        assert [r["label"] for r in rows(folder)] == ["1"]
        # Each failure is logged, and tried again on the next tick (every 1.2 s here).
        deadline = time.monotonic() + 20
        while server.output().count(f"feedback uploads to {REPO} not started") < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        log = server.output()
        assert log.count(f"feedback uploads to {REPO} not started") >= 2, log
        assert "ConnectError" in log and SECRET not in log
    finally:
        server.stop()


# ---- uploads, store by store in a process of its own (HF_ENDPOINT is read at import) -------------

UPLOADER = """
import json, logging, sys, time
from pathlib import Path
from PIL import Image
from recognizer.feedback import FeedbackStore, make_correction
from space_config import FeedbackSettings

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
folder, timeout, stay = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
store = FeedbackStore(FeedbackSettings(folder, repo=sys.argv[4], upload_minutes=0.01, upload_timeout_s=timeout))

def save(answer):
    start = time.monotonic()
    store.save(make_correction(Image.open(sys.argv[5]), answer, "3", 0.9, "test"), "session")
    return time.monotonic() - start

before = save("1")  # before the uploads start: kept, and sent later
start = time.monotonic()
started = store.start_uploads()
seconds = time.monotonic() - start
print(json.dumps({"started": started, "start_s": seconds, "save_s": [before, save("2")]}), flush=True)
time.sleep(stay)
"""


def run_uploader(tmp_path, endpoint: str, timeout: float, stay: float) -> subprocess.Popen:
    env = offline_env(tmp_path, HF_HUB_OFFLINE="0", HF_ENDPOINT=endpoint, HF_TOKEN=SECRET)
    return subprocess.Popen([sys.executable, "-c", UPLOADER, str(tmp_path / "feedback"), str(timeout), str(stay),
                             REPO, str(EXAMPLE_3)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_silent_hub_holds_up_neither_start_nor_corrections(tmp_path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        process = run_uploader(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=2.0, stay=10)
        out, err = process.communicate(timeout=120)
    report = json.loads(out.strip().splitlines()[-1])
    # Waiting for the Hub would take the client's 2 s timeout at least.
    assert report["started"] and report["start_s"] < 1.5 and max(report["save_s"]) < 1.5, report
    assert [r["label"] for r in rows(tmp_path / "feedback")] == ["1", "2"]
    # The client's timeout ends each silent wait: the uploader is not stuck, it tries again.
    assert err.count(f"feedback uploads to {REPO} not started (ReadTimeout") >= 2, err
    assert SECRET not in out + err


class FlakyHub(BaseHTTPRequestHandler):
    """Just enough of the Hub's API for a CommitScheduler: the steps in `failures` fail once, then work."""

    failures: dict = {}  # path -> HTTP status of its first answer
    commits: list = []
    tokens: set = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.tokens.add(self.headers.get("Authorization"))
        if self.failures.get(self.path):
            self.reply(self.failures.pop(self.path), {"error": "the Hub is having a bad day"})
        elif self.path == "/api/repos/create":
            self.reply(200, {"url": f"http://{self.headers['Host']}/datasets/{REPO}"})
        elif self.path == f"/api/datasets/{REPO}/preupload/main":
            files = json.loads(body)["files"]
            self.reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                       for f in files]})
        elif self.path == f"/api/datasets/{REPO}/commit/main":
            self.commits.append([json.loads(line) for line in body.splitlines()])
            self.reply(200, {"commitUrl": f"http://hub/datasets/{REPO}/commit/{'a' * 40}", "commitOid": "a" * 40})
        else:
            self.reply(404, {"error": f"no {self.path} here"})

    def reply(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_failed_uploads_are_logged_and_everything_is_sent_later(tmp_path, monkeypatch):
    monkeypatch.setattr(FlakyHub, "failures", {"/api/repos/create": 503, f"/api/datasets/{REPO}/preupload/main": 403})
    monkeypatch.setattr(FlakyHub, "commits", [])
    monkeypatch.setattr(FlakyHub, "tokens", set())
    hub = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    process = run_uploader(tmp_path, f"http://127.0.0.1:{hub.server_address[1]}", timeout=10, stay=60)
    try:
        deadline = time.monotonic() + 60
        folder = tmp_path / "feedback"
        while time.monotonic() < deadline:
            uploaded = {item["value"]["path"]: base64.b64decode(item["value"]["content"])
                        for commit in FlakyHub.commits for item in commit if item["key"] == "file"}
            local = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
            if len(local) == 5 and uploaded == local:
                break
            time.sleep(0.2)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
        hub.shutdown()
    assert uploaded == local and len(local) == 5, err  # two corrections of two PNGs each, and metadata.jsonl
    assert not FlakyHub.failures  # both failures happened, and were got over
    assert f"feedback uploads to {REPO} not started (HfHubHTTPError" in err
    assert f"feedback upload to {REPO} failed (HfHubHTTPError" in err
    assert FlakyHub.tokens == {f"Bearer {SECRET}"} and SECRET not in out + err


# ---- the store's limits and settings, in process ------------------------------------------------

def test_answers_are_checked():
    assert [check_answer(a) for a in ("7", " 0 ", "Not a Digit")] == ["7", "0", NOT_A_DIGIT]
    assert [check_answer(a) for a in ("77", "2026", " 20 26 ", "0042")] == ["77", "2026", "2026", "0042"]
    for bad in ("seven", "-1", "7.5", "1e3", "\u0663", 7, None, "not", "1234567890123"):
        with pytest.raises(FeedbackRefused, match="must be a digit from 0 to 9"):
            check_answer(bad)


def parts_of_2026(mnist) -> list[np.ndarray]:
    """Four real digits 2, 0, 2, 6 as (28, 28) model inputs: what a reading of "2026" saw."""
    return [mnist.x_test[np.flatnonzero(mnist.y_test == d)[0]] / 255.0 for d in (2, 0, 2, 6)]


def test_a_corrected_number_is_stored_whole_and_as_its_parts(tmp_path, mnist):
    store = FeedbackStore(FeedbackSettings(tmp_path / "feedback"))
    inputs = parts_of_2026(mnist)
    store.save(make_correction(Image.open(EXAMPLE_2026), "2026", "2028", 0.9, "test", inputs=inputs), "s")
    stored = rows(tmp_path / "feedback")
    assert [(r["label"], r["predicted"], r["part"], r["answer"]) for r in stored] == [
        ("2026", "2028", -1, "2026"), ("2", "2", 0, "2026"), ("0", "0", 1, "2026"), ("2", "2", 2, "2026"),
        ("6", "8", 3, "2026")]
    assert len({r["drawing_file_name"] for r in stored}) == 1 and len({r["file_name"] for r in stored}) == 5
    for row, x in zip(stored[1:], inputs):
        assert np.array_equal(np.asarray(Image.open(row["run"] / row["file_name"])), np.round(x * 255).astype(np.uint8))
    # A reading with another count of parts: only the whole drawing, under the whole answer.
    store.save(make_correction(Image.open(EXAMPLE_2026), "2026", "226", 0.9, "test", inputs=inputs[:3]), "s")
    assert [(r["label"], r["part"]) for r in rows(tmp_path / "feedback")[5:]] == [("2026", -1)]
    # A lone digit cut in two, corrected: its whole drawing under its digit.
    store.save(make_correction(Image.open(EXAMPLE_3), "3", "31", 0.9, "test", inputs=inputs[:2]), "s")
    assert [(r["label"], r["predicted"], r["part"]) for r in rows(tmp_path / "feedback")[6:]] == [("3", "31", -1)]


def test_the_rate_limit_slides_with_the_clock():
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    for key in ("a", "a", "b"):
        limiter.take(key)
    now[0] = 45.0
    with pytest.raises(FeedbackRefused, match="at most 2 a minute. Try again in 15 s"):
        limiter.take("a")
    now[0] = 60.0
    limiter.take("a")  # the first two are a minute old


def test_item_and_folder_size_limits_store_nothing_over_them(tmp_path):
    folder = tmp_path / "feedback"
    correction = make_correction(Image.open(EXAMPLE_3), "3", "3", 0.99, "test")
    with pytest.raises(FeedbackRefused, match="too large to store"):
        FeedbackStore(FeedbackSettings(folder, max_item_bytes=correction.size - 1)).save(correction, "s")
    assert not folder.exists()
    store = FeedbackStore(FeedbackSettings(folder, max_folder_bytes=int(2.5 * correction.size)))
    for _ in range(2):
        store.save(correction, "s")
    before = snapshot(folder)
    with pytest.raises(FeedbackRefused, match="store of corrections is full"):
        store.save(correction, "s")
    assert snapshot(folder) == before and len(rows(folder)) == 2
    # A new process counts what is already there.
    with pytest.raises(FeedbackRefused, match="full"):
        FeedbackStore(store.settings).save(correction, "s")


def test_a_folder_that_cannot_be_written_is_the_servers_problem(tmp_path, caplog):
    (tmp_path / "feedback").write_text("a file where the folder should be")
    correction = make_correction(Image.open(EXAMPLE_3), "3", "3", 0.99, "test")
    with pytest.raises(FeedbackRefused, match="could not be stored \\(a server problem\\)"):
        FeedbackStore(FeedbackSettings(tmp_path / "feedback")).save(correction, "s")
    assert "cannot store a correction" in caplog.text


def test_feedback_settings_come_from_the_environment(tmp_path):
    persistent = tmp_path / "data"
    assert feedback_settings({}, persistent).folder == ROOT / "feedback"  # no persistent storage
    persistent.mkdir()
    assert feedback_settings({}, persistent) == FeedbackSettings(persistent / "feedback")
    settings = feedback_settings({"FEEDBACK_DIR": "/x", "HF_FEEDBACK_REPO": "me/data", "FEEDBACK_PER_MINUTE": "3",
                                  "FEEDBACK_UPLOAD_MINUTES": "0.5", "FEEDBACK_MAX_ITEM_BYTES": "1000",
                                  "FEEDBACK_MAX_FOLDER_BYTES": "2000"}, persistent)
    assert settings == FeedbackSettings(Path("/x"), "me/data", 0.5, per_minute=3, max_item_bytes=1000,
                                        max_folder_bytes=2000)
    for bad in ("0", "-2", "many", "nan"):
        with pytest.raises(ValueError, match=f"FEEDBACK_PER_MINUTE={bad!r}: expected a positive int"):
            feedback_settings({"FEEDBACK_PER_MINUTE": bad})


def test_no_uploads_without_a_repo_or_a_token(tmp_path, monkeypatch, caplog):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH"):  # no cached login either
        monkeypatch.setattr(constants, name, str(tmp_path / name))
    assert not FeedbackStore(FeedbackSettings(tmp_path / "a")).start_uploads()
    assert not FeedbackStore(FeedbackSettings(tmp_path / "b", repo=REPO)).start_uploads()
    assert f"no Hugging Face token (HF_TOKEN): corrections stay in {tmp_path / 'b'}" in caplog.text
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# ---- training on the corrections ----------------------------------------------------------------

def test_load_extra_reads_back_what_the_space_stored(tmp_path, mnist):
    from train.extra_data import load_extra

    labels = write_corrections(tmp_path / "feedback", mnist, digits=5, not_digits=2)
    images, classes, summary = load_extra(str(tmp_path / "feedback"))
    stored = rows(tmp_path / "feedback")
    assert classes.tolist() == [-1 if label == NOT_A_DIGIT else int(label) for label in labels]
    assert images.dtype == np.uint8 and images.shape == (7, 28, 28)
    assert all(np.array_equal(x, np.asarray(Image.open(r["run"] / r["file_name"]))) for x, r in zip(images, stored))
    assert summary == {"source": str(tmp_path / "feedback"), "samples": 7, "digits": 5, "not_digits": 2, "skipped": 0}


def test_extra_data_trains_on_a_numbers_parts_and_skips_old_style_rows(tmp_path, mnist):
    from train.extra_data import load_extra

    folder = tmp_path / "feedback"
    store = FeedbackStore(FeedbackSettings(folder, per_minute=1000))
    store.save(make_correction(Image.open(EXAMPLE_2026), "2026", "2028", 0.9, "test", inputs=parts_of_2026(mnist)), "s")
    store.save(make_correction(Image.open(EXAMPLE_3), "3", "31", 0.9, "test"), "s")  # a lone 3 that was cut
    # Rows stored before numbers could be corrected: a number's drawing under one digit's label is skipped,
    # a lone digit's correction is kept.
    old = folder / "old-run"
    old.mkdir()
    Image.fromarray(mnist.x_test[0]).save(old / "000001.png")
    Image.fromarray(mnist.x_test[1]).save(old / "000002.png")
    (old / "metadata.jsonl").write_text(
        json.dumps({"file_name": "000001.png", "label": "8", "predicted": "2028"}) + "\n"
        + json.dumps({"file_name": "000002.png", "label": str(mnist.y_test[1]), "predicted": "5"}) + "\n")
    images, classes, summary = load_extra(str(folder))
    assert sorted(classes.tolist()) == sorted([2, 0, 2, 6, 3, int(mnist.y_test[1])])
    assert summary["skipped"] == 2 and summary["samples"] == 6  # the number's whole drawing, the old number row
    assert any(np.array_equal(x, mnist.x_test[1]) for x in images)
    assert not any(np.array_equal(x, mnist.x_test[0]) for x in images)


def test_load_extra_reads_a_hub_dataset_with_class_labels(tmp_path, mnist, monkeypatch):
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as ImageFeature

    from train.extra_data import read_hub

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "hub-dataset"
    (folder / "data").mkdir(parents=True)
    features = Features({"image": ImageFeature(), "label": ClassLabel(names=[str(d) for d in range(10)])})
    Dataset.from_dict({"image": [Image.fromarray(x) for x in mnist.x_test[:6]], "label": mnist.y_test[:6].tolist()},
                      features=features).to_parquet(folder / "data" / "train-00000-of-00001.parquet")
    samples = read_hub(str(folder))
    assert [y for _, y in samples] == mnist.y_test[:6].tolist()
    assert all(np.array_equal(x, mnist.x_test[i]) for i, (x, _) in enumerate(samples))


@pytest.mark.parametrize("problem, message", [
    ("empty", "no metadata.jsonl in it"),
    ("label", "label 'seven' is neither a digit 0-9 nor 'not a digit'"),
    ("size", "a 40x40 image; expected the 28x28 model input"),
    ("outside", "points outside"),
])
def test_bad_extra_data_is_a_data_error(tmp_path, problem, message):
    from train.extra_data import load_extra

    run = tmp_path / "feedback" / "run"
    run.mkdir(parents=True)
    Image.new("L", (40, 40) if problem == "size" else (28, 28)).save(run / "a.png")
    name = "../../a.png" if problem == "outside" else "a.png"
    if problem != "empty":
        (run / "metadata.jsonl").write_text(json.dumps({"file_name": name, "label": "seven" if problem == "label"
                                                        else "3"}) + "\n")
    with pytest.raises(DataError, match=message):
        load_extra(str(tmp_path / "feedback"))


@pytest.mark.slow
def test_an_unreachable_extra_dataset_fails_before_training(tmp_path):
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "train", "--data-dir", str(MNIST_DIR), "--extra-data", REPO],
                            cwd=ROOT, capture_output=True, text=True, env=offline_env(tmp_path), timeout=120)
    assert result.returncode == 2 and time.monotonic() - start < 60
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"cannot load {REPO!r}" in lines[0], result.stderr


@pytest.mark.slow
def test_a_short_training_run_uses_the_corrections(tmp_path, mnist):
    from train.card import model_card

    folder, out = tmp_path / "feedback", tmp_path / "run"
    write_corrections(folder, mnist, digits=12, not_digits=3)
    result = subprocess.run(
        [sys.executable, "-m", "train", "--data-dir", str(MNIST_DIR), "--limit", "600", "--epochs", "1",
         "--extra-data", str(folder), "--model-out", str(out / "final_model.keras"), "--report-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env=offline_env(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"extra data: {folder}: 15 samples (12 digits, 3 not a digit)" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["extra_data"] == [{"source": str(folder), "samples": 15, "digits": 12, "not_digits": 3, "skipped": 0}]
    assert metrics["train_samples"] == 480 + 12 and metrics["val_samples"] == 120  # validation stays MNIST
    assert f"- extra data: `{folder}`: 15 samples, 12 digits" in model_card(metrics, REPO)
