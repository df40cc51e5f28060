#!/usr/bin/env bash
# Command 1: install everything, create and migrate var/mesoclinic.sqlite3, load the
# demo data and serve Mesoclinic at http://127.0.0.1:8000 (Ctrl+C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh base
.venv/bin/python scripts/compile_translations.py
export DEBUG="${DEBUG:-true}"
exec .venv/bin/mesoclinic demo "$@"
