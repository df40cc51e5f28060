"""Placed injection points in the FHIR export: one complex extension per point on the
session's Procedure, valid R4B, its photograph a Media of the same bundle."""

from __future__ import annotations

from mesoclinic.charting.services import PointForm, chart_save, session_sign
from mesoclinic.interop.fhir import codes
from mesoclinic.interop.fhir.export import patient_everything, validate
from tests.charting.factories import NOW, checked_in, make_day, row
from tests.photos.conftest import capture, consent_for
from tests.photos.images import sharp_jpeg


def test_points_are_exported_on_the_procedure(world, active_plan):
    day = make_day(world, active_plan)
    consent_for(world, day.patient)
    photo = capture(world, day.patient, sharp_jpeg(), zone="zone.cheeks")
    session = checked_in(day)
    session = chart_save(
        scope=day.scope,
        session=session,
        rows=[row("zone.cheeks", lot=day.lot, volume="")],
        points=[
            PointForm(row="0", canvas="face", x="0.25", y="0.5", volume="0.5", depth="1"),
            PointForm(
                row="0",
                canvas="photo",
                photo=str(photo.pk),
                kind="line",
                x="0.1",
                y="0.1",
                x2="0.4",
                y2="0.2",
                volume="0.5",
                depth="1",
            ),
        ],
        expected_version=session.version,
        save_token="",
        now=NOW,
    )
    session_sign(scope=day.scope, session=session, now=NOW)
    resources = patient_everything(day.patient, with_pdfs=False)
    procedure = next(r for r in resources if r["resourceType"] == "Procedure")
    validate(procedure)
    points = [
        {part["url"]: part for part in ext["extension"]}
        for ext in procedure["extension"]
        if ext["url"] == codes.INJECTION_POINT_EXTENSION
    ]
    assert len(points) == 2
    assert points[0]["x"]["valueDecimal"] == 0.25
    assert points[0]["volume"]["valueQuantity"]["value"] == 0.5
    assert points[1]["kind"]["valueCode"] == "line"
    assert points[1]["photo"]["valueReference"]["reference"] == f"Media/{photo.pk}"
    assert any(r["resourceType"] == "Media" and r["id"] == str(photo.pk) for r in resources)
