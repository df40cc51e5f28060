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
# Two workers on a two-core machine (TEST_WORKERS=0 runs everything in one process);
# each worker has its own test database. A test file stays on one worker.
workers="${TEST_WORKERS:-2}"
echo "== pytest (database: ${DATABASE_URL:-SQLite under var/}; workers: $workers)"
exec .venv/bin/pytest -n "$workers" --dist loadfile "$@"
