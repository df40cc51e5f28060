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
.venv/bin/mesoclinic serve --no-migrate "$@" &
server=$!
stop_all() {
    kill -TERM "$server" "$worker" 2>/dev/null || true
    wait "$server" "$worker" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM
# Until the server stops (or Ctrl+C / SIGTERM): then both are stopped.
wait "$server"
