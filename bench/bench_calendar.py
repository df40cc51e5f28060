r"""Calendar day and week in process: CPU time per request and HTML size, or a profile.

Usage (on a data set built by bench_http.py; a small one is enough, the calendar only
reads one week of the Moscow clinic: six practitioners, 30 appointments a day):
    DATABASE_URL=sqlite:////tmp/cal.sqlite3 .venv/bin/python bench/bench_http.py \
        --scale 0.01 --days-back 7 --audit-events 1000 --lot-uses 200 --build-only
    DATABASE_URL=sqlite:////tmp/cal.sqlite3 .venv/bin/python bench/bench_calendar.py
    ... bench_calendar.py --profile week      # cProfile of the week, top 25 by own time
    ... bench_calendar.py --src ../other/src  # the same pages with another checkout's code

Each page is requested through Django's test client, signed in as the demo owner, in
English and in Russian, `--rounds` times after two warm-up requests; the figure is CPU
time (`time.process_time`), which a shared machine's load does not inflate the way it
does wall-clock time. The database work is included (SQLite in the same process).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--src", default=str(ROOT / "src"), help="the code to measure")
    parser.add_argument("--profile", choices=("day", "week"), help="cProfile one page")
    parser.add_argument("--page", choices=("day", "week"), help="measure only this page")
    parser.add_argument("--languages", default="en,ru", help="comma-separated")
    args = parser.parse_args()
    sys.path.insert(0, args.src)
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")  # no collectstatic run needed
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from mesoclinic.accounts.models import Clinic, Organisation, User
    from mesoclinic.demo import DEMO_ORGANISATION

    org = Organisation.objects.get(name=DEMO_ORGANISATION)
    owner = User.objects.get(organisation=org, username="owner")
    moscow = Clinic.objects.get(organisation=org, time_zone="Europe/Moscow")
    day = timezone.localdate(timezone=moscow.zone).isoformat()
    pages = {"day": f"/schedule/?date={day}", "week": f"/schedule/?date={day}&view=week"}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    client.post("/account/clinic/switch/", {"clinic": moscow.pk})

    def speak(language: str) -> None:
        # The signed-in user's language is read on every request.
        owner.language = language
        owner.save(update_fields=["language"])

    def get(client, path: str) -> bytes:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        return response.content

    if args.profile:
        import cProfile
        import pstats

        speak("ru")
        path = pages[args.profile]
        get(client, path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.rounds):
            get(client, path)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime"))
        stats.print_stats(int(os.environ.get("TOP", "25")))
        return

    print(f"code: {args.src}; load average {os.getloadavg()[0]:.2f}")
    print("| page | language | KB | appointments | CPU ms median | CPU ms min |")
    print("|---|---|---|---|---|---|")
    for name, path in pages.items():
        if args.page and name != args.page:
            continue
        for language in args.languages.split(","):
            speak(language)
            body = b""
            for _ in range(2):
                body = get(client, path)
            times = []
            for _ in range(args.rounds):
                t = time.process_time()
                get(client, path)
                times.append((time.process_time() - t) * 1000)
            count = body.count(b"/schedule/appointments/")
            print(
                f"| {name} | {language} | {len(body) / 1024:.1f} | {count} | "
                f"{statistics.median(times or [0]):.2f} | {min(times or [0]):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
