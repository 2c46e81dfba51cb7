"""Visitors' corrections, stored as a Hugging Face imagefolder and uploaded to a Hub dataset now and then.

Under the feedback folder each app process writes a sub-folder of its own, so that no two processes
(a restart on persistent storage, a second replica) ever write, or upload, the same file:

    <run>/metadata.jsonl       one row per image (file names, label, what the model read, when)
    <run>/000001.png           the whole drawing read as one digit: 28x28, white on black
    <run>/000001_1.png, ...    each part of a number as the model saw it (when the reading had as
                               many parts as the answer has digits), labelled with its own digit
    <run>/000001_drawing.png   the drawing itself, as black ink on white, at most 256 px

`datasets.load_dataset("imagefolder", data_dir=folder)` reads it with the columns `image` (28x28),
`drawing`, `label` ("0".."9", "not a digit", or on the whole drawing's row a number such as "2026"),
`predicted`, `confidence`, `model_revision`, `time`, `answer` (the visitor's whole answer) and `part`
(-1 for the whole drawing, else the part's place from the left). Rows stored before numbers could
be corrected have no `answer` and `part`.
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
ANSWERS = (*CLASS_NAMES, NOT_A_DIGIT)  # what one tap can answer; a number is typed
MAX_NUMBER_DIGITS = 12  # longer answers are no number a visitor drew
WHOLE = -1  # `part` of the row that holds the whole drawing
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

    model_input: bytes  # PNG, 28x28 grey: the whole drawing read as one digit
    drawing: bytes  # PNG, grey, at most DRAWING_SIDE px
    row: dict  # metadata.jsonl's fields but the file names
    parts: tuple = ()  # (PNG 28x28 of a part as the model saw it, its row) for each digit of a number

    @property
    def size(self) -> int:
        images = [self.model_input, self.drawing, *(png for png, _ in self.parts)]
        rows = [self.row, *(row for _, row in self.parts)]
        return sum(map(len, images)) + sum(len(json.dumps(r)) + 64 for r in rows)  # + the file names


def check_answer(answer) -> str:
    """The answer as stored ("0".."9", a number of digits such as "2026", or NOT_A_DIGIT), or FeedbackRefused."""
    text = "".join(answer.split()).lower() if isinstance(answer, str) else ""
    if text == "".join(NOT_A_DIGIT.split()):
        return NOT_A_DIGIT
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= MAX_NUMBER_DIGITS):
        raise FeedbackRefused(f"The answer must be a digit from 0 to 9, a number of up to {MAX_NUMBER_DIGITS} "
                              f"digits or {NOT_A_DIGIT!r}, not {str(answer)[:40]!r}.")
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
                    now: float | None = None, inputs=()) -> Correction:
    """A drawing and its right answer -> a Correction; FeedbackRefused for a bad answer or a blank drawing.

    inputs are the parts the reading saw ((28, 28) floats, left to right): when there are as many as
    the answer has digits (two or more), each is stored with its own digit.
    """
    label = check_answer(answer)
    x = to_model_input(image)
    if x is None:
        raise FeedbackRefused("The canvas is blank: draw something first, then say what it is.")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    row = {"label": label, "predicted": predicted, "confidence": round(float(confidence), 4),
           "model_revision": model_revision, "time": stamp, "answer": label, "part": WHOLE}
    parts = ()
    if label != NOT_A_DIGIT and len(label) > 1 and len(inputs) == len(label):
        # What the reading said of each part: its digit when it read a number of this length.
        said = predicted if predicted.isdigit() and len(predicted) == len(label) else [predicted] * len(label)
        parts = tuple((png_bytes(np.round(np.asarray(part) * 255).astype(np.uint8)),
                       row | {"label": digit, "predicted": read, "part": k})
                      for k, (part, digit, read) in enumerate(zip(inputs, label, said)))
    return Correction(png_bytes(np.round(x * 255).astype(np.uint8)), png_bytes(drawing_image(image)), row, parts)


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
        drawing = {"drawing_file_name": f"{stem}_drawing.png"}
        row = {"file_name": f"{stem}.png", **drawing, **correction.row}
        images = [(row, correction.model_input)]
        images += [({"file_name": f"{stem}_{r['part'] + 1}.png", **drawing, **r}, png) for png, r in correction.parts]
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for r, png in images:
            (self.run_dir / r["file_name"]).write_bytes(png)
        (self.run_dir / row["drawing_file_name"]).write_bytes(correction.drawing)
        with open(self.run_dir / METADATA, "a", encoding="utf-8") as f:
            # last, in one write: a row never points at a missing file
            f.write("".join(json.dumps(r) + "\n" for r, _ in images))
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
