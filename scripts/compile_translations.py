"""Compile the .po translation catalogues into .mo files (msgfmt), when they are out of date."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "mesoclinic"


def main() -> int:
    for po in sorted(ROOT.glob("**/locale/*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        result = subprocess.run(
            ["msgfmt", "--check-format", "-o", str(mo), str(po)], capture_output=True, text=True
        )
        if result.returncode != 0:
            print(f"translations: {po}: {result.stderr.strip()}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
