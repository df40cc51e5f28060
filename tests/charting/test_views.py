"""The session pages through the test client: day view, check-in, chart, totals, sign, PDF."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.charting.models import SessionStatus, TreatmentSession
from tests.charting.factories import NOW, charted


@pytest.fixture
def frozen(monkeypatch):
    """Pages read the clock: pin it to the test day's morning."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def client_for(day, role="practitioner") -> Client:
    client = Client()
    client.force_login(day.world.users[role])
    return client


def checkin_post(day) -> dict:
    from tests.charting.factories import no_answers

    data = {q.replace(".", "_").replace("-", "_"): "no" for q in no_answers()}
    return data


def chart_post(day, rows) -> dict:
    session = TreatmentSession.objects.get(appointment=day.appointment)
    data = {"version": str(session.version), "save_token": "t-" + str(len(rows))}
    fields = (
        "zone_id",
        "technique_id",
        "depth_mm",
        "needle_gauge",
        "needle_length_mm",
        "points",
        "spacing_mm",
        "lot_id",
        "volume_ml",
        "device_id",
        "device_params",
    )
    for f in fields:
        data[f] = [r.get(f, "") for r in rows]
    return data


def test_the_day_view_lists_todays_patients_with_course_progress_and_start(day, frozen):
    page = client_for(day, "nurse").get("/sessions/").content.decode()
    assert day.patient.full_name in page
    assert "session 1 of 6" in page
    assert f"/sessions/check-in/{day.appointment.pk}/" in page


def test_the_whole_day_through_the_pages(day, frozen):
    nurse = client_for(day, "nurse")
    form = nurse.get(f"/sessions/check-in/{day.appointment.pk}/").content.decode()
    assert "Are you pregnant" in form
    response = nurse.post(f"/sessions/check-in/{day.appointment.pk}/", checkin_post(day))
    assert response.status_code == 302
    session = TreatmentSession.objects.get(appointment=day.appointment)
    doctor = client_for(day)
    assert doctor.get(f"/sessions/{session.pk}/chart/").status_code == 200
    rows = [
        {
            "zone_id": z,
            "technique_id": "technique.nappage",
            "depth_mm": "1",
            "lot_id": str(day.lot.pk),
            "volume_ml": "8",
        }
        for z in ("zone.cheeks", "zone.forehead", "zone.neck")
    ]
    totals = doctor.post(f"/sessions/{session.pk}/totals/", chart_post(day, rows)).content.decode()
    assert "24 mL" in totals and "Cannot be saved" in totals
    refused = doctor.post(f"/sessions/{session.pk}/chart/", chart_post(day, rows))
    assert refused.status_code == 422 and "20" in refused.content.decode()
    for r in rows:
        r["volume_ml"] = "2"
    assert doctor.post(f"/sessions/{session.pk}/chart/", chart_post(day, rows)).status_code == 302
    assert doctor.post(f"/sessions/{session.pk}/sign/").status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED
    page = doctor.get(f"/sessions/{session.pk}/").content.decode()
    assert (
        "Next session" in page and (session.session_date + dt.timedelta(days=7)).isoformat() in page
    )
    pdf = doctor.get(f"/sessions/{session.pk}/aftercare.pdf?lang=ru")
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Без декоративной косметики" in text


def test_a_receptionist_cannot_open_a_session(day, frozen):
    session = charted(day)
    assert client_for(day, "receptionist").get(f"/sessions/{session.pk}/").status_code == 403


def test_a_signed_record_shows_the_lot_product_and_appointment_as_they_were_at_signing(day, frozen):
    from mesoclinic.charting.services import session_sign
    from mesoclinic.inventory.models import Lot, Product
    from mesoclinic.scheduling.models import Appointment

    session = session_sign(scope=day.scope, session=charted(day), now=NOW)
    expiry = day.lot.expiry_date
    # Rows the signed record points to are changed afterwards (an edit, a data fix):
    Product.objects.filter(pk=day.product.pk).update(name="Renamed product")
    Lot.objects.filter(pk=day.lot.pk).update(
        lot_number="LOT-CHANGED", expiry_date=expiry + dt.timedelta(days=400)
    )
    Appointment.objects.filter(pk=day.appointment.pk).update(status="cancelled")
    page = client_for(day).get(f"/sessions/{session.pk}/").content.decode()
    assert "Revitalising cocktail" in page and "LOT-A" in page
    assert expiry.isoformat() in page
    assert "Renamed product" not in page and "LOT-CHANGED" not in page
    assert 'data-testid="appointment-status">Done<' in page


def test_placed_points_post_one_value_per_field_or_the_chart_is_refused_whole(day, frozen):
    """A point missing one of its fields (or with a second value) cannot be paired with
    the others: the chart is refused as sent incompletely and nothing is saved."""
    from mesoclinic.charting.models import ChartPoint
    from tests.charting.factories import checked_in

    session = checked_in(day)
    doctor = client_for(day)
    rows = [
        {
            "zone_id": "zone.cheeks",
            "technique_id": "technique.nappage",
            "depth_mm": "1",
            "lot_id": str(day.lot.pk),
        }
    ]
    data = chart_post(day, rows)
    data["row_key"] = ["n0"]
    points = {
        "point_row": ["n0", "n0"],
        "point_canvas": ["face", "face"],
        "point_photo": ["", ""],
        "point_kind": ["point", "point"],
        "point_x": ["0.2", "0.6"],
        "point_y": ["0.5", "0.5"],
        "point_x2": ["", ""],
        "point_y2": ["", ""],
        "point_lot": ["", ""],
        "point_volume": ["0.75", "0.5"],
        "point_depth": ["1", "1"],
    }
    totals = doctor.post(f"/sessions/{session.pk}/totals/", {**data, **points}).content.decode()
    assert "1.250 mL" in totals  # the row's volume is the sum of its points'
    broken = {**points, "point_x2": [""]}
    refused = doctor.post(f"/sessions/{session.pk}/chart/", {**data, **broken})
    assert refused.status_code == 422
    assert "sent incompletely" in refused.content.decode()
    assert not ChartPoint.objects.exists()
    saved = doctor.post(f"/sessions/{session.pk}/chart/", {**data, **points})
    assert saved.status_code == 302
    assert sorted(ChartPoint.objects.values_list("volume_ml", flat=True)) == [
        Decimal("0.5"),
        Decimal("0.75"),
    ]
