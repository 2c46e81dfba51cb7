"""The one place for the Space and Hub settings that the app and the training share.

Nothing is read at import: `hub_settings()` reads the environment when called.
"""

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
