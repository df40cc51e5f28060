"""Extract translatable strings into the Russian catalogues: one per app, one for the rest.

Each Django app keeps its own catalogue (src/mesoclinic/<app>/locale/ru/...), so work on
different apps never touches the same file. Usage:

    .venv/bin/python scripts/messages.py [PACKAGE_DIR]

then translate the new empty `msgstr` entries (tests/test_i18n.py fails until you do).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mesoclinic"
# Folders under the package whose strings are not shown to users through gettext:
# the core carries its own bilingual texts in the knowledge base.
NOT_EXTRACTED = ("core", "testing")


def app_dirs(package: Path) -> list[Path]:
    return sorted(p.parent for p in package.glob("*/apps.py"))


HEADER = (
    'msgid ""\nmsgstr ""\n'
    '"Project-Id-Version: Mesoclinic\\n"\n'
    '"Language: ru\\n"\n'
    '"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && '
    "n%10<=4 && (n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || "
    '(n%100>=11 && n%100<=14)? 2 : 3);\\n"\n'
)


def _keep_header(po: Path) -> None:
    """A new catalogue's header is marked fuzzy (and would be emptied below): fix it."""
    text = po.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    if "#, fuzzy" in head or head.rstrip().endswith('msgstr ""'):
        po.write_text(
            "# Russian translation of Mesoclinic.\n" + HEADER + sep + rest, encoding="utf-8"
        )


def extract(package: Path) -> list[Path]:
    """Run makemessages for every app and for the package root; return the catalogues."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mesoclinic.settings"}
    # -P: the app folder is the working directory and its selectors.py must not shadow
    # the standard library module of that name.
    command = [sys.executable, "-P", "-m", "django", "makemessages", "-l", "ru", "--no-obsolete"]
    catalogues = []
    for app in app_dirs(package):
        (app / "locale").mkdir(exist_ok=True)
        existing = app / "locale/ru/LC_MESSAGES/django.po"
        if existing.exists():
            _keep_header(existing)
        subprocess.run(command, cwd=app, env=env, check=True, capture_output=True)
        catalogues.append(app / "locale/ru/LC_MESSAGES/django.po")
    ignores = [f"{p.name}/*" for p in app_dirs(package)] + [f"{n}/*" for n in NOT_EXTRACTED]
    ignores.append("*_cli.py")
    root_command = command + [arg for name in ignores for arg in ("-i", name)]
    subprocess.run(root_command, cwd=package, env=env, check=True, capture_output=True)
    catalogues.append(package / "locale/ru/LC_MESSAGES/django.po")
    # msgmerge guesses translations for new strings from similar old ones ("Now" became
    # "No-show"); a guess is worse than nothing, so new strings start empty.
    for po in catalogues:
        _keep_header(po)
        subprocess.run(
            ["msgattrib", "--clear-fuzzy", "--empty", "-o", str(po), str(po)],
            check=True,
            capture_output=True,
        )
    return catalogues


if __name__ == "__main__":
    for po in extract(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PACKAGE):
        print(po)
