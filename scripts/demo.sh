#!/usr/bin/env bash
# Command 1: install everything, create and migrate var/mesoclinic.sqlite3, load the
# demo data and serve Mesoclinic at http://127.0.0.1:8000 with a background worker
# beside it (reminders, imports, e-mailed PDFs). Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh base
.venv/bin/python scripts/compile_translations.py
export DEBUG="${DEBUG:-true}"
export TASKS_BACKEND="${TASKS_BACKEND:-database}"
# Migrate and load the demo data first, so the worker never meets a half-made database.
.venv/bin/mesoclinic demo --no-serve
.venv/bin/mesoclinic worker --verbosity 0 &
worker=$!
stop_worker() {
    kill -TERM "$worker" 2>/dev/null || true
    wait "$worker" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT TERM
.venv/bin/mesoclinic serve --no-migrate "$@"
