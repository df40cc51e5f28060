"""A page of thumbnails is one audited read; its thumbnail URLs work for its reader only."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from mesoclinic.audit.models import AuditAction, AuditEvent
from mesoclinic.photos.thumbs import MAX_AGE_SECONDS, thumb_token, thumb_token_valid
from tests.photos.conftest import capture, consent_for
from tests.photos.images import sharp_jpeg

pytestmark = pytest.mark.django_db

THUMB = re.compile(r'src="(/photos/(\d+)/thumb/\?t=[0-9a-f.]+)"')


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads(user) -> int:
    return AuditEvent.objects.filter(actor=user, action=AuditAction.READ).count()


@pytest.fixture
def three(world, patient_of):
    patient = patient_of(world)
    consent_for(world, patient)
    photos = [capture(world, patient, sharp_jpeg(), view=v) for v in ("view.frontal",) * 3]
    return patient, photos


def test_the_photographs_page_is_one_audit_event_naming_its_photos_and_no_event_per_thumb(
    world, three
):
    patient, photos = three
    nurse = world.users["nurse"]
    client = _client(nurse)
    before = _reads(nurse)
    page = client.get(reverse("photos:patient", args=[patient.pk])).content.decode()
    assert _reads(nurse) == before + 1
    event = AuditEvent.objects.filter(actor=nurse, action=AuditAction.READ).latest("id")
    assert sorted(event.detail["photos"]) == sorted(p.pk for p in photos)
    thumbs = THUMB.findall(page)
    assert sorted(int(i) for _url, i in thumbs) == sorted(p.pk for p in photos)
    for url, _id in thumbs:
        response = client.get(url)
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    assert _reads(nurse) == before + 1
    # The full image is still audited on every view.
    client.get(reverse("photos:image", args=[photos[0].pk]))
    assert _reads(nurse) == before + 2


def test_a_page_thumbnail_url_is_no_use_to_another_user_or_organisation(world, three, make_org):
    patient, _photos = three
    page = _client(world.users["nurse"]).get(reverse("photos:patient", args=[patient.pk]))
    url = THUMB.findall(page.content.decode())[0][0]
    # Another organisation: refused whatever the token.
    assert _client(make_org().users["owner"]).get(url).status_code == 404
    # A receptionist of the same clinic: not allowed to see photographs at all.
    assert _client(world.users["receptionist"]).get(url).status_code == 403
    # A colleague who may see it: served, but as their own audited read.
    practitioner = world.users["practitioner"]
    before = _reads(practitioner)
    assert _client(practitioner).get(url).status_code == 200
    assert _reads(practitioner) == before + 1
    # A tampered token is an ordinary, audited read.
    nurse = world.users["nurse"]
    before = _reads(nurse)
    assert _client(nurse).get(url[:-2] + "00").status_code == 200
    assert _reads(nurse) == before + 1


def test_a_thumb_token_is_for_one_reader_one_photo_and_expires():
    token = thumb_token(reader="staff:1", photo_id=7, now=1_000_000)
    assert thumb_token_valid(token, reader="staff:1", photo_id=7, now=1_000_060)
    assert not thumb_token_valid(token, reader="staff:2", photo_id=7, now=1_000_060)
    assert not thumb_token_valid(token, reader="patient:1", photo_id=7, now=1_000_060)
    assert not thumb_token_valid(token, reader="staff:1", photo_id=8, now=1_000_060)
    assert not thumb_token_valid(
        token, reader="staff:1", photo_id=7, now=1_000_000 + MAX_AGE_SECONDS + 1
    )
    assert not thumb_token_valid("", reader="staff:1", photo_id=7)
    assert not thumb_token_valid("zz.abc", reader="staff:1", photo_id=7)
