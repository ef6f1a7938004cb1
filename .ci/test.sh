#!/usr/bin/env bash
# The test command (README): lint, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
ruff check plugin tests
python -m pytest "$@"
