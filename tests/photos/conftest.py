"""A patient with a signed photo consent, made through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.scheduling.conftest import MOSCOW, signature_data_url

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)


def consent_for(world, patient, *, use="record", role="practitioner"):
    from mesoclinic.photos.services import photo_consent_sign

    return photo_consent_sign(
        scope=world.scope(role),
        patient=patient,
        use=use,
        signer_name=patient.full_name,
        signature=signature_data_url(),
        now=NOW,
        today=NOW.date(),
    )


def capture(world, patient, data, *, zone="zone.cheeks", view="view.frontal", keep=False, **kw):
    from mesoclinic.photos.services import photo_capture

    return photo_capture(
        scope=kw.pop("scope", None) or world.scope("practitioner"),
        patient=patient,
        data=data,
        content_type=kw.pop("content_type", "image/jpeg"),
        zone_id=zone,
        view_id=view,
        now=kw.pop("now", NOW),
        keep=keep,
        **kw,
    )


@pytest.fixture
def consented(world, patient_of):
    patient = patient_of(world)
    consent_for(world, patient)
    return patient
