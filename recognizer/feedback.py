"""Visitors' corrections, stored as a Hugging Face imagefolder and uploaded to a Hub dataset now and then.

Under the feedback folder each app process writes a sub-folder of its own, so that no two processes
(a restart on persistent storage, a second replica) ever write, or upload, the same file:

    <run>/metadata.jsonl       one row per correction (file names, label, what the model read, when)
    <run>/000001.png           the drawing as the model saw it: 28x28, white on black
    <run>/000001_drawing.png   the drawing itself, as black ink on white, at most 256 px

`datasets.load_dataset("imagefolder", data_dir=folder)` reads it with the columns `image` (28x28),
`drawing`, `label` ("0".."9" or "not a digit"), `predicted`, `confidence`, `model_revision` and `time`.
"""

import contextlib
import io
import json
import logging
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx2
import numpy as np
from huggingface_hub import CommitScheduler, constants, get_session, get_token
from huggingface_hub.errors import HfHubHTTPError
from PIL import Image

from recognizer.contract import CLASS_NAMES, NOT_A_DIGIT
from recognizer.preprocess import ink_map, to_model_input
from space_config import FeedbackSettings

log = logging.getLogger("digits")
ANSWERS = (*CLASS_NAMES, NOT_A_DIGIT)
DRAWING_SIDE = 256  # px: enough to redo the preprocessing later, small enough to store many
RATE_WINDOW_S = 60.0
METADATA = "metadata.jsonl"
# What a failed Hub call raises: HTTP errors, network errors (httpx2's and the OS's), offline mode.
UPLOAD_ERRORS = (HfHubHTTPError, httpx2.HTTPError, OSError, ValueError)


class FeedbackRefused(Exception):
    """A correction that is not stored; the message tells the visitor why."""


@dataclass(frozen=True)
class Correction:
    """One correction, encoded and ready to store."""

    model_input: bytes  # PNG, 28x28 grey
    drawing: bytes  # PNG, grey, at most DRAWING_SIDE px
    row: dict  # metadata.jsonl's fields but the file names

    @property
    def size(self) -> int:
        return len(self.model_input) + len(self.drawing) + len(json.dumps(self.row)) + 64  # + the file names


def check_answer(answer) -> str:
    """The answer as stored ("0".."9" or NOT_A_DIGIT), or FeedbackRefused."""
    text = answer.strip().lower() if isinstance(answer, str) else None
    if text not in ANSWERS:
        raise FeedbackRefused(f"The answer must be a digit from 0 to 9 or {NOT_A_DIGIT!r}, not {str(answer)[:40]!r}.")
    return text


def png_bytes(array: np.ndarray) -> bytes:
    """A uint8 grey array as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def drawing_image(image) -> np.ndarray:
    """The drawing's ink as black on white, shrunk to fit DRAWING_SIDE; the preprocessing reads it back."""
    ink = ink_map(image)
    scale = DRAWING_SIDE / max(ink.shape)
    if scale < 1:
        size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
        ink = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    return cv2.bitwise_not(ink)


def make_correction(image, answer, predicted: str, confidence: float, model_revision: str,
                    now: float | None = None) -> Correction:
    """A drawing and its right answer -> a Correction; FeedbackRefused for a bad answer or a blank drawing."""
    label = check_answer(answer)
    # The whole drawing as one digit: a correction is about one digit, or about a drawing that is none.
    x = to_model_input(image)
    if x is None:
        raise FeedbackRefused("The canvas is blank: draw something first, then say what it is.")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    row = {"label": label, "predicted": predicted, "confidence": round(float(confidence), 4),
           "model_revision": model_revision, "time": stamp}
    return Correction(png_bytes(np.round(x * 255).astype(np.uint8)), png_bytes(drawing_image(image)), row)


def thanks(label: str) -> str:
    """The short confirmation a stored correction gets."""
    return f"Thanks! Stored as **{label}**."


def dataset_notice(settings: FeedbackSettings) -> str | None:
    """The sentence telling visitors where corrected drawings go; None when they stay on the server."""
    if not settings.repo:
        return None
    return (f"Corrected drawings are stored publicly in the dataset "
            f"[{settings.repo}](https://huggingface.co/datasets/{settings.repo}).")


class RateLimiter:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(self, limit: int, window: float = RATE_WINDOW_S, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque] = {}

    def take(self, key: str) -> None:
        """Count one event for key, or FeedbackRefused when key has had its limit."""
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            wait = math.ceil(self.window - (now - events[0]))
            raise FeedbackRefused(f"Too many corrections: at most {self.limit} a minute. Try again in {wait} s.")
        events.append(now)
        if len(self._events) > 1000:  # forget idle sessions, or every visitor ever would stay in memory
            self._events = {k: v for k, v in self._events.items() if v and now - v[-1] < self.window}


def _describe(error: Exception) -> str:
    """One line about a failed Hub call, the token (if it ever appears) masked."""
    line = (str(error).strip().splitlines() or [""])[0][:200]
    token = get_token()
    return f"{type(error).__name__}: {line.replace(token, '***') if token else line}"


class _Uploader(CommitScheduler):
    """CommitScheduler whose failed uploads are logged and left for its next tick, never raised."""

    def push_to_hub(self):
        try:
            info = super().push_to_hub()
        except UPLOAD_ERRORS as e:
            # Nothing is marked uploaded: the next tick sends the same files again.
            log.warning("feedback upload to %s failed (%s); kept in %s, next try in %g min",
                        self.repo_id, _describe(e), self.folder_path, self.every)
            return None
        if info is not None:
            log.info("feedback uploaded to %s", self.repo_id)
        return info


class FeedbackStore:
    """Writes corrections under settings.folder within the limits; uploads them when a dataset repo is set."""

    def __init__(self, settings: FeedbackSettings, clock=time.monotonic):
        self.settings = settings
        self.run = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._rate = RateLimiter(settings.per_minute, RATE_WINDOW_S, clock)
        self._count = 0
        self._folder_bytes: int | None = None  # measured on the first correction, then counted
        self._uploader: CommitScheduler | None = None
        self._uploads_started = False

    @property
    def run_dir(self) -> Path:
        return self.settings.folder / self.run

    def save(self, correction: Correction, session: str) -> dict:
        """Store one correction; return its metadata row. FeedbackRefused when a limit says no."""
        size, limits = correction.size, self.settings
        if size > limits.max_item_bytes:
            raise FeedbackRefused(f"This drawing is too large to store ({size / 1000:.0f} kB; "
                                  f"the limit is {limits.max_item_bytes / 1000:.0f} kB).")
        with self._lock, self._upload_lock():
            try:
                used = self._used_bytes()
                if used + size > limits.max_folder_bytes:
                    raise FeedbackRefused("The store of corrections is full: no more can be taken for now. Thank you!")
                self._rate.take(session)
                row = self._write(correction)
            except OSError as e:  # a full disk, a folder that cannot be written: the server's problem, not theirs
                log.error("cannot store a correction in %s: %s", self.run_dir, e)
                raise FeedbackRefused("The correction could not be stored (a server problem). Please try later.") \
                    from None
            self._folder_bytes = used + size
        return row

    def _upload_lock(self):
        # The scheduler lists the folder under its lock: it never uploads a half-written file.
        return self._uploader.lock if self._uploader is not None else contextlib.nullcontext()

    def _used_bytes(self) -> int:
        if self._folder_bytes is None:
            folder = self.settings.folder
            self._folder_bytes = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) \
                if folder.is_dir() else 0
        return self._folder_bytes

    def _write(self, correction: Correction) -> dict:
        self._count += 1
        stem = f"{self._count:06d}"
        row = {"file_name": f"{stem}.png", "drawing_file_name": f"{stem}_drawing.png", **correction.row}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / row["file_name"]).write_bytes(correction.model_input)
        (self.run_dir / row["drawing_file_name"]).write_bytes(correction.drawing)
        with open(self.run_dir / METADATA, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")  # last, in one write: a row never points at a missing file
        return row

    def start_uploads(self) -> bool:
        """Upload the folder to the dataset repo every few minutes, from a background thread; False if not set up."""
        repo = self.settings.repo
        if not repo or self._uploads_started:
            return False
        if constants.HF_HUB_OFFLINE:
            log.warning("HF_HUB_OFFLINE is set: corrections stay in %s, not uploaded to %s", self.settings.folder, repo)
            return False
        if not get_token():
            log.warning("no Hugging Face token (HF_TOKEN): corrections stay in %s, not uploaded to %s",
                        self.settings.folder, repo)
            return False
        # huggingface_hub's client waits forever by default: a silent Hub would hold the uploads for good.
        get_session().timeout = httpx2.Timeout(self.settings.upload_timeout_s)
        self._uploads_started = True
        threading.Thread(target=self._connect, name="feedback-uploads", daemon=True).start()
        return True

    def _connect(self) -> None:
        """Create the scheduler (it creates the repo: a Hub call), retrying while the Hub cannot be reached."""
        settings = self.settings
        while True:
            try:
                self._uploader = _Uploader(repo_id=settings.repo, repo_type="dataset", folder_path=settings.folder,
                                           every=settings.upload_minutes)
                log.info("feedback: uploading %s to %s every %g min", settings.folder, settings.repo,
                         settings.upload_minutes)
                return
            except UPLOAD_ERRORS as e:
                log.warning("feedback uploads to %s not started (%s); corrections stay in %s, next try in %g min",
                            settings.repo, _describe(e), settings.folder, settings.upload_minutes)
            time.sleep(settings.upload_minutes * 60)
