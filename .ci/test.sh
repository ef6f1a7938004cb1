#!/usr/bin/env bash
# The test command (README): lint, the import contracts, then the suite: everything but the browser tests on
# two processes (pytest-xdist), then the browser tests (one Chromium at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
ruff check plugin devkit tests
lint-imports
python -m pytest -n 2 --dist loadfile -m "not browser" "$@"  # a module stays on one worker (some check their own coverage last)
python -m pytest -m browser "$@"
