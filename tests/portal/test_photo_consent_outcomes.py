"""Portal: the patient reads, signs and withdraws the photo consent; sees their own scores
and photographs only when the clinic shares them, and nobody else's."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos.models import PhotoConsent
from tests.photos.conftest import NOW, capture
from tests.photos.images import sharp_jpeg
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

THUMB = re.compile(r'src="(/portal/photos/(\d+)/thumb/\?t=[0-9a-f.]+)"')


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _sign(client, use="education"):
    return client.post(
        "/portal/photo-consent/", {"use": use, "signer_name": "Alpha Anna", "agree": "on"}
    )


def test_patient_signs_the_photo_consent_with_a_typed_name_and_withdraws_it(portal_world):
    world, alpha = portal_world["world"], portal_world["patients"]["a"]
    client = signed_in(Client(), world, alpha)
    treatments = client.get("/portal/treatments/").content.decode()
    assert "/portal/photo-consent/" in treatments
    page = client.get("/portal/photo-consent/").content.decode()
    assert "CONSENT TO CLINICAL PHOTOGRAPHS" in page and "publicity" in page
    # Without the tick box nothing is signed.
    refused = client.post("/portal/photo-consent/", {"use": "record", "signer_name": "Alpha"})
    assert refused.status_code == 400 and not PhotoConsent.objects.exists()
    assert _sign(client).status_code == 302
    consent = PhotoConsent.objects.get(patient=alpha)
    assert (consent.scope, consent.clinic) == ("education", world.clinic)
    assert consent.collected_by.username == f"portal-{world.organisation.pk}"
    assert "professional education" in consent.text and "publicity" not in consent.text
    # The same PDF as the clinic's.
    pdf = client.get(f"/portal/photo-consents/{consent.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert consent.text_sha256 in _pdf_text(pdf.content).replace(" ", "")
    # Withdrawal: a page that says what it means, then the button.
    url = f"/portal/photo-consents/{consent.pk}/withdraw/"
    assert "hidden from the clinic" in client.get(url).content.decode()
    assert client.post(url, {"reason": "I changed my mind"}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_reason == "I changed my mind"
    assert "/portal/photo-consent/" in client.get("/portal/treatments/").content.decode()


def test_scores_and_photos_show_only_when_the_clinic_shares_them(portal_world):
    from mesoclinic.outcomes.services import score_record
    from mesoclinic.portal.models import PortalSettings

    world, alpha, beta = (
        portal_world["world"],
        portal_world["patients"]["a"],
        portal_world["patients"]["b"],
    )
    client = signed_in(Client(), world, alpha)
    _sign(client)
    photo = capture(world, alpha, sharp_jpeg())
    score_record(
        scope=world.scope("practitioner"),
        patient=alpha,
        scale_id="scale.wsrs",
        value="3",
        rater="investigator",
        timepoint="baseline",
        zone_id="zone.cheeks",
        scored_on=dt.date(2026, 11, 23),
        clinic_id=world.clinic.pk,
        photo_id=photo.pk,
        now=NOW,
    )
    # Off by default: nothing shown, the photograph's URL is a 404.
    page = client.get("/portal/treatments/").content.decode()
    assert 'data-testid="my-photos"' not in page and 'data-testid="my-scores"' not in page
    assert client.get(f"/portal/photos/{photo.pk}/").status_code == 404

    PortalSettings.objects.filter(clinic=world.clinic).update(share_outcomes=True)
    events = AuditEvent.objects.count()
    page = client.get("/portal/treatments/").content.decode()
    assert 'data-testid="outcome-chart"' in page and 'data-testid="chart-point"' in page
    thumbs = THUMB.findall(page)
    assert [int(i) for _u, i in thumbs] == [photo.pk]
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.latest("id").detail["photos"] == [photo.pk]
    thumb = client.get(thumbs[0][0])
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert AuditEvent.objects.count() == events + 1  # part of the page's read
    full = client.get(f"/portal/photos/{photo.pk}/")
    assert full.status_code == 200 and "no-store" in full["Cache-Control"]
    assert AuditEvent.objects.count() == events + 2  # the full image: audited per view

    # Another patient of the same clinic: neither the URL nor the page's token help.
    other = signed_in(Client(), world, beta)
    assert other.get(thumbs[0][0]).status_code == 404
    assert other.get(f"/portal/photos/{photo.pk}/").status_code == 404
    assert 'data-testid="my-photos"' in other.get("/portal/treatments/").content.decode()
    assert f"/portal/photos/{photo.pk}/" not in other.get("/portal/treatments/").content.decode()

    # After a withdrawal the photograph leaves the patient's page too.
    consent = PhotoConsent.objects.get(patient=alpha)
    client.post(f"/portal/photo-consents/{consent.pk}/withdraw/", {"reason": ""})
    assert client.get(f"/portal/photos/{photo.pk}/").status_code == 404
    assert not THUMB.findall(client.get("/portal/treatments/").content.decode())


def test_the_owner_turns_sharing_on_from_the_clinic_portal_page(portal_world):
    from mesoclinic.portal.models import PortalSettings

    world = portal_world["world"]
    client = Client()
    client.force_login(world.users["owner"])
    url = f"/clinic-portal/clinics/{world.clinic.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Share outcome scores and photos with patients in the portal" in page.content.decode()
    response = client.post(
        url,
        {
            "action": "settings",
            "booking_enabled": "on",
            "lead_time_hours": "24",
            "change_until_hours": "24",
            "share_outcomes": "on",
        },
    )
    assert response.status_code == 302
    assert PortalSettings.objects.get(clinic=world.clinic).share_outcomes is True
