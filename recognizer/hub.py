"""Fetch the served model from the Hub at start-up, falling back to the bundled one."""

import json
import logging
import threading
from pathlib import Path

from recognizer.contract import check_gate_io
from recognizer.predictor import ModelFileError, Predictor, load_model_file
from space_config import HubSettings

log = logging.getLogger("digits")
METRICS_FILENAME = "metrics.json"


def read_test_accuracy(metrics_path: Path) -> float | None:
    """The test accuracy recorded in a metrics.json beside a model, if there is one."""
    try:
        return float(json.loads(Path(metrics_path).read_text())["test_accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class HubUnavailable(Exception):
    """The Hub's model could not be fetched in time; the message says why."""


def download_model(settings: HubSettings) -> tuple[Path, str]:
    """hf_hub_download the model file (cache, HF_HUB_OFFLINE, HF_ENDPOINT, HF_TOKEN all apply).

    Returns the local path and "repo@commit". The repo's gate and metrics.json are fetched beside
    it when they exist.
    """
    import httpx2
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    result: dict = {}
    failures = (OSError, EntryNotFoundError, httpx2.HTTPError, ValueError)

    def download(filename: str) -> str:
        return hf_hub_download(settings.model_repo, filename, revision=settings.model_revision,
                               etag_timeout=settings.timeout_s, library_name="draw-a-digit")

    def fetch():
        try:
            result["path"] = download(settings.model_filename)
        except failures as e:
            result["error"] = e
            return
        for extra in (settings.gate_filename, METRICS_FILENAME):  # land beside the model, from the same commit
            try:
                download(extra)
            except failures:
                pass

    # A worker thread with a deadline: start-up is bounded whatever the network and retries do.
    worker = threading.Thread(target=fetch, name="hub-download", daemon=True)
    worker.start()
    worker.join(3 * settings.timeout_s)
    if worker.is_alive() and "path" not in result:  # a slow gate or metrics.json alone does not matter
        raise HubUnavailable(f"no answer from the Hub within {3 * settings.timeout_s:.0f} s")
    if "error" in result:
        error = result["error"]
        first_line = (str(error).strip().splitlines() or [""])[0][:200]
        raise HubUnavailable(f"{type(error).__name__}: {first_line}")
    path = Path(result["path"])
    # Cached files live in .../snapshots/<commit>/<file>: name the exact revision served.
    return path, f"{settings.model_repo}@{path.parent.name[:7]}"


def load_gate(model_dir: Path, settings: HubSettings):
    """The gate beside the served model, else the bundled one, else None (every drawing read as digits)."""
    for path in dict.fromkeys([model_dir / settings.gate_filename, settings.bundled_gate]):
        if path.is_file():
            try:
                return load_model_file(path, check=check_gate_io), path
            except ModelFileError as e:
                log.warning("gate %s unusable: %s", path, e)
    log.warning("no usable not-a-digit gate: every drawing is read as digits")
    return None, None


def load_served_predictor(settings: HubSettings) -> Predictor:
    """The Hub's model if it can be fetched and passes the contract, else the bundled one.

    Raises ModelFileError only when the bundled model itself is missing or broken.
    """
    try:
        path, source = download_model(settings)
        model = load_model_file(path)
        metrics = path.parent / METRICS_FILENAME
    except (HubUnavailable, ModelFileError) as e:
        log.warning("Hub model %s unavailable (%s); serving the bundled %s",
                    settings.model_repo, e, settings.bundled_model.name)
        path, model = settings.bundled_model, load_model_file(settings.bundled_model)
        source, metrics = f"bundled {settings.bundled_model.name}", settings.bundled_metrics
    gate, gate_path = load_gate(path.parent, settings)
    log.info("serving model: %s; gate: %s", source, gate_path)
    return Predictor(model, source, read_test_accuracy(metrics), gate=gate)
