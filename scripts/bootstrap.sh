#!/usr/bin/env bash
# Creates the project-local environment in .venv and installs the locked
# dependencies. Usage: scripts/bootstrap.sh base|test
# A second run with an unchanged lock file installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-base}"
lock="requirements/${profile}.lock"
[ -f "$lock" ] || { echo "bootstrap: no lock file $lock" >&2; exit 2; }

python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "bootstrap: Mesoclinic needs Python 3.11; '$python' is $("$python" --version 2>&1)." >&2
    exit 2
fi

# Debian packages WeasyPrint (PDFs) and gettext (translations) need. Installed
# only when missing and we are root; otherwise we say what to install.
need_debs=()
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_debs+=("$pkg")
done
# pg_dump and pg_restore: `mesoclinic backup` and `restore` on PostgreSQL (and their tests).
command -v pg_dump >/dev/null 2>&1 || need_debs+=(postgresql-client)
if [ "${profile}" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
    command -v pdftotext >/dev/null 2>&1 || need_debs+=(poppler-utils)
fi
if [ ${#need_debs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Debian packages: ${need_debs[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
    else
        echo "bootstrap: please install these Debian packages first: ${need_debs[*]}" >&2
        exit 2
    fi
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-${profile}"
want="$(sha256sum "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "bootstrap: installing locked dependencies ($lock) into .venv"
# This machine kind lists local package mirrors that may be absent; pip warns once per
# package about them, which buries real errors.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r "$lock" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
rm -f .venv/.installed-*
echo "$want" > "$stamp"
if [ "$profile" = test ]; then
    # The test lock pins everything the base lock does (same resolution plus extras).
    sha256sum requirements/base.lock pyproject.toml | sha256sum | cut -d' ' -f1 > .venv/.installed-base
fi
