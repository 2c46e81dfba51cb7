"""The one place for the Space and Hub settings that the app and the training share.

Nothing is read at import: `hub_settings()` and `feedback_settings()` read the environment when called.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
MODEL_FILENAME = "final_model.keras"
GATE_FILENAME = "not_digit_gate.keras"  # the not-a-digit gate, pushed and served beside the model
DEFAULT_MODEL_REPO = "digit-lab/mnist-seed-cnn"
DEFAULT_SPACE_ID = "digit-lab/draw-a-digit"
LICENSE = "apache-2.0"
DATASET_ID = "ylecun/mnist"


@dataclass(frozen=True)
class HubSettings:
    model_repo: str = DEFAULT_MODEL_REPO  # env HF_MODEL_REPO
    model_revision: str = "main"  # env HF_MODEL_REVISION: a branch, tag or commit
    space_id: str = DEFAULT_SPACE_ID  # env HF_SPACE_ID
    model_filename: str = MODEL_FILENAME
    gate_filename: str = GATE_FILENAME
    bundled_model: Path = PROJECT_DIR / MODEL_FILENAME  # served when the Hub's model cannot be
    bundled_gate: Path = PROJECT_DIR / GATE_FILENAME
    bundled_metrics: Path = PROJECT_DIR / "reports" / "metrics.json"
    timeout_s: float = 5.0  # per Hub request at app start-up: never hang on the network


def hub_settings(env=None) -> HubSettings:
    """Settings from the environment (HF_MODEL_REPO, HF_MODEL_REVISION, HF_SPACE_ID)."""
    env = os.environ if env is None else env
    defaults = HubSettings()
    return HubSettings(
        model_repo=env.get("HF_MODEL_REPO") or defaults.model_repo,
        model_revision=env.get("HF_MODEL_REVISION") or defaults.model_revision,
        space_id=env.get("HF_SPACE_ID") or defaults.space_id,
    )


# A Space with persistent storage mounts it at /data; anything else written there survives restarts.
PERSISTENT_ROOT = Path("/data")


@dataclass(frozen=True)
class FeedbackSettings:
    folder: Path  # env FEEDBACK_DIR; default: see default_feedback_dir
    repo: str | None = None  # env HF_FEEDBACK_REPO: the dataset repo the folder is uploaded to; None keeps it local
    upload_minutes: float = 5.0  # env FEEDBACK_UPLOAD_MINUTES: between uploads
    upload_timeout_s: float = 60.0  # per Hub request of an upload: a silent Hub must not hold the uploader forever
    per_minute: int = 10  # env FEEDBACK_PER_MINUTE: corrections one session may send per minute
    max_item_bytes: int = 100_000  # env FEEDBACK_MAX_ITEM_BYTES: both PNGs and the row of one correction
    max_folder_bytes: int = 1_000_000_000  # env FEEDBACK_MAX_FOLDER_BYTES: the folder takes no more after this


def default_feedback_dir(persistent_root: Path = PERSISTENT_ROOT) -> Path:
    """/data/feedback on a Space with persistent storage, else feedback/ beside the app."""
    if persistent_root.is_dir() and os.access(persistent_root, os.W_OK):
        return persistent_root / "feedback"
    return PROJECT_DIR / "feedback"


def _positive(env, name: str, default, kind=int):
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if not (0 < value < math.inf):  # also refuses nan and inf, which float() accepts
        raise ValueError(f"{name}={raw!r}: expected a positive {kind.__name__}")
    return value


def feedback_settings(env=None, persistent_root: Path = PERSISTENT_ROOT) -> FeedbackSettings:
    """Where corrections go and their limits, from the environment (FEEDBACK_*, HF_FEEDBACK_REPO)."""
    env = os.environ if env is None else env
    d = FeedbackSettings(folder=Path())
    return FeedbackSettings(
        folder=Path(env["FEEDBACK_DIR"]) if env.get("FEEDBACK_DIR") else default_feedback_dir(persistent_root),
        repo=env.get("HF_FEEDBACK_REPO") or None,
        upload_minutes=_positive(env, "FEEDBACK_UPLOAD_MINUTES", d.upload_minutes, float),
        per_minute=_positive(env, "FEEDBACK_PER_MINUTE", d.per_minute),
        max_item_bytes=_positive(env, "FEEDBACK_MAX_ITEM_BYTES", d.max_item_bytes),
        max_folder_bytes=_positive(env, "FEEDBACK_MAX_FOLDER_BYTES", d.max_folder_bytes),
    )
