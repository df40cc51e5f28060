#!/usr/bin/env bash
# Command 2: install the test dependencies (Debian's chromium too, when root) and run
# the whole suite: lint, format check, unit, integration and browser tests.
# The database is SQLite unless DATABASE_URL says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
.venv/bin/python scripts/compile_translations.py
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest (database: ${DATABASE_URL:-SQLite under var/})"
exec .venv/bin/pytest "$@"
