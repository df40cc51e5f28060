"""Benchmark: upload and processing of a 12-megapixel photograph; a grid of 200 photographs.

Builds (untimed) an organisation, a practitioner and a patient with a signed photo
consent, then times through Django's test client (full middleware stack, real
database and storage, no network):

- uploading a 4000x3000 JPEG to the capture page (POST /photos/patient/<id>/capture/:
  decode, EXIF orientation, metadata stripped, quality checks, JPEG and thumbnail
  written through the storage, row and audit event);
- the patient's photographs page with 200 thumbnails (GET /photos/patient/<id>/);

and, in the same run, two baselines: an empty request (GET /healthz) and a plain
Pillow open + decode + JPEG save of the same 12-megapixel file. Prints medians and
90th percentiles.

    .venv/bin/python bench/bench_photos.py                    # SQLite, var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_photos \\
        .venv/bin/python bench/bench_photos.py                # PostgreSQL (created)
    options: [--rounds 10] [--grid 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
# Pages are rendered: serve static names as they are, without a collectstatic manifest.
os.environ.setdefault("STATIC_MANIFEST", "false")
(ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench" / "media"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'photos.sqlite3'}"


def ensure_postgres_database() -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        return
    dsn = {"host": cfg["HOST"] or "127.0.0.1", "port": cfg["PORT"] or 5432, "user": cfg["USER"]}
    if cfg.get("PASSWORD"):
        dsn["password"] = cfg["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def twelve_megapixels() -> bytes:
    """A 4000x3000 camera-like JPEG: a sharp pattern with sensor-like noise, quality 92."""
    from PIL import Image

    from tests.photos.images import pattern

    image = pattern(4000, 3000)
    noise = Image.effect_noise((4000, 3000), 24).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def world():
    from django.utils import timezone

    from mesoclinic.accounts.models import Role
    from mesoclinic.accounts.scope import scope_for
    from mesoclinic.accounts.services import clinic_create, organisation_create, user_create
    from mesoclinic.patients.services import patient_create
    from mesoclinic.photos.services import photo_consent_sign
    from tests.scheduling.conftest import signature_data_url

    tag = uuid.uuid4().hex[:8]
    org = organisation_create(name=f"bench-photos-{tag}")
    hours = {d: (dt.time(0, 0), dt.time(23, 59)) for d in range(7)}
    clinic = clinic_create(organisation=org, name="Main", time_zone="Europe/Moscow", hours=hours)
    users = {
        role: user_create(
            organisation=org,
            username=f"{role.value}-{tag}",
            email=f"{role.value}-{tag}@example.test",
            password="bench-password-42",
            display_name=role.label,
            memberships=[(clinic, role)],
        )
        for role in (Role.PRACTITIONER, Role.RECEPTIONIST)
    }
    scope = {r: scope_for(u, clinic_id=clinic.pk) for r, u in users.items()}
    now = timezone.now()

    def patient(n):
        p = patient_create(
            scope=scope[Role.RECEPTIONIST],
            family_name=f"Bench{n}",
            given_name="Patient",
            birth_date=dt.date(1980, 1, 1),
            today=now.date(),
        )
        photo_consent_sign(
            scope=scope[Role.PRACTITIONER],
            patient=p,
            use="record",
            signer_name="Bench Patient",
            signature=signature_data_url(),
            now=now,
            today=now.date(),
        )
        return p

    return {"clinic": clinic, "users": users, "scope": scope, "patient": patient}


def grid_of(w, count: int):
    """A patient with `count` photographs over 5 face views (rows only; one stored file)."""
    from django.utils import timezone

    from mesoclinic.accounts.models import Role
    from mesoclinic.photos.models import Photo
    from mesoclinic.photos.services import photo_capture
    from tests.photos.images import sharp_jpeg

    patient = w["patient"]("grid")
    first = photo_capture(
        scope=w["scope"][Role.PRACTITIONER],
        patient=patient,
        data=sharp_jpeg(),
        content_type="image/jpeg",
        zone_id="zone.cheeks",
        view_id="view.frontal",
        now=timezone.now(),
    )
    views = ["view.frontal", "view.left-45", "view.right-45", "view.left-profile"]
    rows = []
    for i in range(count - 1):
        row = Photo.objects.get(pk=first.pk)
        row.pk = None
        row.view_id = views[i % len(views)]
        row.taken_at = first.taken_at + dt.timedelta(days=7 * (i // len(views) + 1))
        rows.append(row)
    Photo.objects.bulk_create(rows)
    return patient


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--grid", type=int, default=200)
    args = parser.parse_args()
    ensure_postgres_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from PIL import Image

    from mesoclinic.accounts.models import Role
    from mesoclinic.photos.models import Photo

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    w = world()
    client = Client()
    client.force_login(w["users"][Role.PRACTITIONER])
    photo = twelve_megapixels()
    patient = w["patient"]("upload")
    url = f"/photos/patient/{patient.pk}/capture/"
    empty, pillow, upload = [], [], []
    for i in range(args.rounds + 2):  # two warm-up rounds, not counted
        e = timed(lambda: client.get("/healthz", secure=True))

        def plain_pillow():
            image = Image.open(io.BytesIO(photo))
            image.load()
            image.save(io.BytesIO(), "JPEG", quality=90)

        p = timed(plain_pillow)

        def post():
            data = {
                "zone": "zone.cheeks",
                "view": "view.frontal",
                "session": "",
                "image": SimpleUploadedFile("IMG_0001.jpg", photo, content_type="image/jpeg"),
            }
            response = client.post(url, data, secure=True)
            assert response.status_code == 302, response.content[:3000]

        u = timed(post)
        if i >= 2:
            empty.append(e)
            pillow.append(p)
            upload.append(u)
    assert Photo.objects.filter(patient=patient).count() == args.rounds + 2

    grid_patient = grid_of(w, args.grid)
    grid_url = f"/photos/patient/{grid_patient.pk}/"
    grid, grid_empty = [], []
    for i in range(args.rounds * 3 + 2):
        e = timed(lambda: client.get("/healthz", secure=True))

        def get_grid():
            response = client.get(grid_url, secure=True)
            assert response.status_code == 200
            assert response.content.count(b"/thumb/") == args.grid

        g = timed(get_grid)
        if i >= 2:
            grid_empty.append(e)
            grid.append(g)

    def line(name, values):
        q = statistics.quantiles(values, n=10)[-1] if len(values) >= 10 else max(values)
        return f"{name:<58} median {statistics.median(values):8.1f} ms   p90 {q:8.1f} ms"

    vendor = django.db.connection.vendor
    size = len(photo) / 1024 / 1024
    print(f"Photographs, {vendor}: 4000x3000 JPEG of {size:.1f} MB, {args.rounds} rounds")
    print(line("baseline: empty request (GET /healthz)", empty))
    print(line("baseline: plain Pillow open + decode + JPEG save", pillow))
    print(line("upload + processing of the 12-megapixel photo (target 1500)", upload))
    print(f"Grid of {args.grid} thumbnails, {len(grid)} requests")
    print(line("baseline: empty request (GET /healthz)", grid_empty))
    print(line(f"photographs page, {args.grid} thumbnails (target 100)", grid))


if __name__ == "__main__":
    main()
