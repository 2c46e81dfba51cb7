"""Push the trained model, its model card, plots and metrics.json to the Hub in one commit.

    python -m train.push [--repo-id ID] [--model PATH] [--report-dir DIR] [--dry-run DIR]
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from space_config import hub_settings
from train.card import model_card
from train.config import TrainConfig
from train.evaluate import CONFUSION_PNG, CURVES_PNG, METRICS_JSON

DRAWN_JSON = "real_writers.json"  # benchmarks.real_writers --json: the card's drawn-data figures


class PushError(Exception):
    """The push cannot or must not happen; the message says why (never the token)."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file: ties metrics.json to the exact model it describes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_metrics(model: Path, report_dir: Path) -> dict:
    """The metrics of exactly this model file, or PushError."""
    try:
        metrics = json.loads((report_dir / METRICS_JSON).read_text())
    except (OSError, ValueError) as e:
        raise PushError(f"{report_dir / METRICS_JSON}: cannot read metrics ({e})") from None
    if not model.is_file():
        raise PushError(f"{model}: model file not found")
    if metrics.get("model_sha256") != file_sha256(model):
        raise PushError(f"{report_dir / METRICS_JSON} does not describe {model}: "
                        "retrain, or pass the matching --report-dir")
    return metrics


def read_drawn_report(report_dir: Path) -> dict | None:
    """benchmarks.real_writers' figures for the card, when its --json report lies in report_dir."""
    try:
        return json.loads((report_dir / DRAWN_JSON).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise PushError(f"{report_dir / DRAWN_JSON}: cannot read ({e})") from None


def stage(model: Path, report_dir: Path, repo_id: str, min_accuracy: float, folder: Path,
          gate: Path | None = None) -> list[str]:
    """Write exactly the files an upload sends into folder; refuse models under min_accuracy."""
    metrics = read_metrics(model, report_dir)
    if metrics["test_accuracy"] < min_accuracy:
        raise PushError(f"test accuracy {metrics['test_accuracy']:.4f} is under --min-accuracy {min_accuracy}: "
                        "not pushing")
    gate = gate or model.parent / hub_settings().gate_filename
    if "gate" in metrics and (not gate.is_file() or file_sha256(gate) != metrics["gate"]["gate_sha256"]):
        raise PushError(f"{gate} is not the gate trained with {model}: pass the matching --gate")
    drawn = read_drawn_report(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, folder / hub_settings().model_filename)
    if "gate" in metrics:
        shutil.copyfile(gate, folder / hub_settings().gate_filename)
    for name in (METRICS_JSON, CURVES_PNG, CONFUSION_PNG) + ((DRAWN_JSON,) if drawn else ()):
        shutil.copyfile(report_dir / name, folder / name)
    (folder / "README.md").write_text(model_card(metrics, repo_id, drawn))
    return sorted(p.name for p in folder.iterdir())


def push(model: Path, report_dir: Path, repo_id: str, min_accuracy: float, gate: Path | None = None) -> str:
    """Create the repo if needed and upload everything in one commit; return the commit URL."""
    import httpx2
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    token = get_token()  # HF_TOKEN, else the user's cached `hf auth login`
    if not token:
        raise PushError("no Hugging Face token: set HF_TOKEN (a write token) or run `hf auth login`")
    with tempfile.TemporaryDirectory() as tmp:
        files = stage(model, report_dir, repo_id, min_accuracy, Path(tmp), gate)
        api = HfApi(token=token)
        try:
            api.create_repo(repo_id, repo_type="model", exist_ok=True)
            info = api.upload_folder(repo_id=repo_id, folder_path=tmp, repo_type="model",
                                     commit_message=f"Upload {', '.join(files)}")
        except (HfHubHTTPError, httpx2.HTTPError, OSError, ValueError) as e:
            message = (str(e).strip().splitlines() or [type(e).__name__])[0].replace(token, "***")
            raise PushError(f"upload to {repo_id} failed: {message[:300]}") from None
    return str(info.commit_url) if hasattr(info, "commit_url") else str(info)


def run_push(model: Path, report_dir: Path, repo_id: str | None, min_accuracy: float,
             dry_run: Path | None = None, gate: Path | None = None) -> int:
    """Push (or stage with dry_run); print one line; return the process exit code."""
    repo_id = repo_id or hub_settings().model_repo
    try:
        if dry_run is not None:
            files = stage(model, report_dir, repo_id, min_accuracy, dry_run, gate)
            print(f"dry run: {len(files)} files for {repo_id} in {dry_run}: {', '.join(files)}")
        else:
            print(f"pushed {model} to {repo_id}: {push(model, report_dir, repo_id, min_accuracy, gate)}")
    except PushError as e:
        print(f"push failed: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    recipe = TrainConfig()  # the same file names and accuracy floor as the training run
    p = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.splitlines()[0])
    p.add_argument("--repo-id", default=None, help="model repo (default: HF_MODEL_REPO or space_config's)")
    p.add_argument("--model", type=Path, default=recipe.model_out, help="model file to push")
    p.add_argument("--gate", type=Path, default=None,
                   help="the not-a-digit gate trained with the model (default: not_digit_gate.keras beside it)")
    p.add_argument("--report-dir", type=Path, default=recipe.report_dir, help="folder with metrics.json and plots")
    p.add_argument("--min-accuracy", type=float, default=recipe.min_accuracy, help="refuse models under this test accuracy")
    p.add_argument("--dry-run", type=Path, metavar="DIR", default=None,
                   help="write the files an upload would send into DIR and send nothing")
    args = p.parse_args(argv)
    return run_push(args.model, args.report_dir, args.repo_id, args.min_accuracy, args.dry_run, args.gate)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    sys.exit(main())
