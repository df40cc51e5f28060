# ruff: noqa: F811  (the clinic_case fixture is imported, then requested by name)
"""consent_sign and plan_activate: signed, current consent required; immutable; PDF text."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, OperationalError, transaction
from django.test import Client
from django.utils import timezone

from mesoclinic.consultations.models import Consent
from mesoclinic.consultations.services import consent_sign, plan_activate, plan_update
from mesoclinic.patients.services import history_fact_record, patient_update
from tests.consultations.conftest import TODAY, clinic_case, signature_png  # noqa: F401


def _sign(case, plan, **kw):
    args = {
        "scope": case.scope,
        "plan": plan,
        "signer_name": case.patient.full_name,
        "signature": signature_png(),
        "now": timezone.now(),
        "today": TODAY,
    }
    args.update(kw)
    return consent_sign(**args)


def _activate(case, plan):
    return plan_activate(scope=case.scope, plan=plan, now=timezone.now(), today=TODAY)


def test_a_plan_cannot_start_without_a_signed_consent(clinic_case):
    plan = clinic_case.make_plan()
    with pytest.raises(ValidationError, match="consent"):
        _activate(clinic_case, plan)
    _sign(clinic_case, plan)
    assert _activate(clinic_case, plan).status == "active"


def test_consent_stores_the_exact_text_its_hash_signer_and_time(clinic_case):
    plan = clinic_case.make_plan()
    consent = _sign(clinic_case, plan)
    assert consent.text_sha256 == hashlib.sha256(consent.text.encode()).hexdigest()
    assert consent.signer_name == clinic_case.patient.full_name
    assert consent.collected_by == clinic_case.world.users["practitioner"]
    assert consent.signed_at is not None
    assert consent.knowledge_version == plan.knowledge_version


def test_an_empty_signature_is_refused_with_a_clear_message(clinic_case):
    plan = clinic_case.make_plan()
    for blank in ("", signature_png(inked=False), "data:image/png;base64,bm90IGEgcG5n"):
        with pytest.raises(ValidationError) as exc:
            _sign(clinic_case, plan, signature=blank)
        assert "empty" in exc.value.message_dict["signature"][0]
    assert not Consent.objects.exists()


def test_a_change_of_risks_invalidates_the_consent_but_a_dose_change_does_not(clinic_case):
    plan = clinic_case.make_plan()
    _sign(clinic_case, plan)
    base = {
        "scope": clinic_case.scope,
        "now": timezone.now(),
        "today": TODAY,
        "technique_ids": ["technique.papule"],
        "sessions": 4,
        "interval_min_days": 14,
        "interval_max_days": 28,
        "target_start": TODAY + dt.timedelta(days=10),
    }
    plan = plan_update(
        plan=plan, zones=["zone.cheeks"], products=[("product.ha-skinbooster", "2")], **base
    )
    assert _activate_ok(clinic_case, plan, expect=True)


def _activate_ok(case, plan, expect):
    try:
        _activate(case, plan)
    except ValidationError:
        return not expect
    return expect


def test_a_new_zone_needs_a_new_consent(clinic_case):
    plan = clinic_case.make_plan()
    _sign(clinic_case, plan)
    plan = plan_update(
        scope=clinic_case.scope,
        plan=plan,
        now=timezone.now(),
        today=TODAY,
        zones=["zone.cheeks", "zone.neck"],
        technique_ids=["technique.papule"],
        products=[("product.ha-skinbooster", "1")],
        sessions=3,
        interval_min_days=14,
        interval_max_days=28,
        target_start=TODAY + dt.timedelta(days=7),
    )
    with pytest.raises(ValidationError, match="consent"):
        _activate(clinic_case, plan)
    _sign(clinic_case, plan)
    assert _activate(clinic_case, plan).status == "active"


def test_a_blocked_plan_cannot_start_even_with_a_consent(clinic_case):
    plan = clinic_case.make_plan()
    _sign(clinic_case, plan)
    history_fact_record(
        scope=clinic_case.scope,
        patient=clinic_case.patient,
        kind="pregnancy",
        present=True,
        now=timezone.now(),
        today=TODAY,
    )
    with pytest.raises(ValidationError, match="blocks"):
        _activate(clinic_case, plan)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_the_database_refuses_to_change_a_signed_consent(clinic_case):
    _sign(clinic_case, clinic_case.make_plan())
    with (
        pytest.raises((IntegrityError, InternalError, OperationalError)),
        transaction.atomic(),
    ):
        Consent.objects.update(signer_name="Someone else")
    assert Consent.objects.get().signer_name == clinic_case.patient.full_name


def test_the_database_refuses_to_delete_a_signed_consent_by_orm_and_raw_sql(clinic_case):
    from django.db import connection

    consent = _sign(clinic_case, clinic_case.make_plan())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_guard")
    for attempt in (
        lambda: Consent.objects.filter(pk=consent.pk).delete(),
        lambda: Consent.objects.filter(pk=consent.pk)._raw_delete(connection.alias),
        lambda: connection.cursor().execute(
            "DELETE FROM consultations_consent WHERE id = %s", [consent.pk]
        ),
    ):
        with (
            pytest.raises((IntegrityError, InternalError, OperationalError)),
            transaction.atomic(),
        ):
            attempt()
    assert Consent.objects.filter(pk=consent.pk).exists()


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_consent_pdf_in_russian_has_cyrillic_text_and_sections(clinic_case):
    patient_update(
        scope=clinic_case.scope, patient=clinic_case.patient, preferred_language="ru", today=TODAY
    )
    consent = _sign(clinic_case, clinic_case.make_plan())
    assert consent.language == "ru"
    client = Client()
    client.force_login(clinic_case.world.users["practitioner"])
    response = client.get(f"/consultations/consents/{consent.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(response.content).split())
    assert "Иванова Елена" in text
    for section in ("Процедура", "Ожидаемый эффект", "побочные", "Уход после процедуры"):
        assert section.lower() in text.lower(), section
    assert "Покраснение" in text
    assert consent.text_sha256 in text.replace(" ", "")


def test_receptionist_cannot_open_a_consent(clinic_case):
    consent = _sign(clinic_case, clinic_case.make_plan())
    client = Client()
    client.force_login(clinic_case.world.users["receptionist"])
    assert client.get(f"/consultations/consents/{consent.pk}/").status_code == 403
    assert client.get(f"/consultations/consents/{consent.pk}/pdf/").status_code == 403
