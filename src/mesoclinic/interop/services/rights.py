"""Patients' data rights: a copy of their data (subject access and portability) and erasure,
which keeps signed clinical records for the retention period the law sets and then
anonymises them.

`request_subject_access` and `request_erasure` take no scope: the owner's page and the
patient portal check who may ask before calling them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from mesoclinic.accounts.locales import locale_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.interop.fhir.codes import kb_name
from mesoclinic.interop.fhir.export import bundle, patient_everything
from mesoclinic.interop.fhir.photos import read_stored
from mesoclinic.interop.models import (
    ErasureRequest,
    ErasureStatus,
    ImportedFact,
    JobStatus,
    SubjectAccessRequest,
)
from mesoclinic.interop.services.anonymisation import patient_anonymise
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import patient_search_refresh
from mesoclinic.web.documents import patient_documents_delete


def _now() -> dt.datetime:
    return timezone.now()


@transaction.atomic
def request_subject_access(patient: Patient, requested_by=None) -> SubjectAccessRequest:
    """Record a request for a copy of the patient's data and build the archive in the
    background (a ZIP: PDF summary in the patient's language, FHIR bundle, signed consents,
    photo consents and the full photographs)."""
    access = SubjectAccessRequest.objects.create(
        organisation_id=patient.organisation_id,
        patient=patient,
        requested_by=requested_by,
        requested_at=_now(),
    )
    audit_record(
        action=AuditAction.EXPORT,
        actor=requested_by,
        organisation_id=patient.organisation_id,
        obj=access,
        patient_id=patient.pk,
        detail={"subject_access": access.pk, "by": "staff" if requested_by else "patient"},
    )
    from mesoclinic.interop.tasks import subject_access_task

    transaction.on_commit(lambda: subject_access_task.enqueue(access.pk))
    return access


def _clinic(patient: Patient) -> Clinic | None:
    if patient.home_clinic_id:
        return patient.home_clinic
    return Clinic.objects.filter(organisation_id=patient.organisation_id).first()


def summary_pdf(patient: Patient, *, now: dt.datetime) -> bytes:
    """A readable summary of everything held about the patient, in the patient's language."""
    from weasyprint import HTML

    from mesoclinic.charting.models import SideEffect, TreatmentSession
    from mesoclinic.consultations.models import Consent
    from mesoclinic.patients.models import HistoryFact
    from mesoclinic.photos.models import Photo, PhotoConsent

    kb = load_knowledge()
    clinic = _clinic(patient)
    language = locale_language(
        language=patient.preferred_language, clinic_locale=clinic.locale if clinic else None
    )
    base = language.split("-")[0]

    lang = base if base in ("en", "ru") else "en"

    def name(code: str, label: str = "") -> str:
        return label or kb_name(kb, code, lang) or code

    facts = [
        {"kind": f.get_kind_display, "text": name(f.code, f.label), "date": f.on_date}
        for f in HistoryFact.objects.filter(patient=patient, superseded_by__isnull=True)
        if not f.retracted
    ]
    sessions = []
    for s in TreatmentSession.objects.filter(patient=patient, status="signed").order_by(
        "session_date", "id"
    ):
        sessions.append(
            {
                "date": s.session_date,
                "entries": [
                    {
                        "zone": name(e.zone_id),
                        "technique": name(e.technique_id),
                        "product": e.shown_product_name,
                        "lot": e.shown_lot_number,
                        "volume": e.volume_ml,
                    }
                    for e in s.entries.all()
                ],
            }
        )
    zone = clinic.zone if clinic else dt.UTC
    with translation.override(language):
        side_effects = [
            {
                "kind": name(se.kind),
                "date": se.onset_on,
                "severity": se.get_severity_display(),
                "outcome": se.get_outcome_display(),
            }
            for se in SideEffect.objects.filter(patient=patient).order_by("onset_on", "id")
        ]
        html = render_to_string(
            "interop/subject_access_pdf.html",
            {
                "patient": patient,
                "organisation": patient.organisation,
                "clinic": clinic,
                "generated": now.astimezone(zone),
                "facts": facts,
                "appointments": [
                    {"at": a.starts_at.astimezone(a.clinic.zone), "status": a.get_status_display()}
                    for a in patient.appointments.select_related("clinic").order_by("starts_at")
                ],
                "sessions": sessions,
                "side_effects": side_effects,
                "consents": [
                    c.signed_at.astimezone(zone)
                    for c in Consent.objects.filter(patient=patient).order_by("signed_at")
                ],
                "photo_consents": [
                    {
                        "signed": c.signed_at.astimezone(zone),
                        "use": c.get_scope_display(),
                        "withdrawn": c.withdrawn_at.astimezone(zone) if c.withdrawn_at else None,
                    }
                    for c in PhotoConsent.objects.filter(patient=patient).order_by("signed_at")
                ],
                "photos": [
                    {
                        "at": p.taken_at.astimezone(zone),
                        "zone": name(p.zone_id),
                        "view": name(p.view_id),
                        "file": f"photos/photo-{p.pk}.jpg",
                    }
                    for p in Photo.objects.filter(patient=patient).order_by("taken_at", "id")
                ],
                "scores": [
                    _score_row(kb, s, lang)
                    for s in patient.outcome_scores.order_by("scored_on", "id")
                ],
                "language": base,
            },
        )
    return HTML(string=html).write_pdf()


def _score_row(kb, score, language: str) -> dict:
    """One outcome score for the summary: the scale's short name and the level's label."""
    scale = kb.scale.get(score.scale_id)
    level = scale.level(score.value) if scale is not None else None
    return {
        "date": score.scored_on,
        "scale": scale.short.get(language) if scale is not None else "",
        "zone": kb_name(kb, score.zone_id, language) if score.zone_id else "",
        "level": level.label.get(language) if level is not None else score.value,
    }


def subject_access_build(request_id: int) -> SubjectAccessRequest:
    """Build the ZIP of one subject-access request (run by the background task)."""
    from mesoclinic.consultations.documents import consent_pdf
    from mesoclinic.consultations.models import Consent
    from mesoclinic.photos.documents import photo_consent_pdf
    from mesoclinic.photos.models import Photo, PhotoConsent

    access = SubjectAccessRequest.objects.select_related("patient__organisation").get(pk=request_id)
    SubjectAccessRequest.objects.filter(pk=access.pk).update(status=JobStatus.RUNNING)
    patient = access.patient
    now = _now()
    try:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("summary.pdf", summary_pdf(patient, now=now))
            everything = bundle(patient_everything(patient, with_pdfs=False), now=now)
            archive.writestr(
                "fhir-bundle.json", json.dumps(everything, ensure_ascii=False, indent=1)
            )
            for consent in Consent.objects.filter(patient=patient).select_related("plan"):
                archive.writestr(
                    f"consents/consent-{consent.signed_at:%Y-%m-%d}-{consent.pk}.pdf",
                    consent_pdf(consent=consent),
                )
            for photo_consent in PhotoConsent.objects.filter(patient=patient).select_related(
                "clinic"
            ):
                archive.writestr(
                    f"consents/photo-consent-{photo_consent.signed_at:%Y-%m-%d}"
                    f"-{photo_consent.pk}.pdf",
                    photo_consent_pdf(consent=photo_consent),
                )
            # The full photographs, named after their Media ids in the bundle.
            for photo in Photo.objects.filter(patient=patient).order_by("taken_at", "id"):
                image = read_stored(photo.image)
                if image is not None:
                    archive.writestr(f"photos/photo-{photo.pk}.jpg", image)
    except Exception as exc:
        SubjectAccessRequest.objects.filter(pk=access.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=_now()
        )
        raise
    SubjectAccessRequest.objects.filter(pk=access.pk).update(
        status=JobStatus.DONE, archive=buffer.getvalue(), finished_at=_now()
    )
    access.refresh_from_db()
    return access


# --- Erasure with retention ----------------------------------------------------------


def jurisdiction_of(clinic: Clinic | None) -> str:
    """The clinic's jurisdiction (its setting), "other" without a clinic."""
    return clinic.jurisdiction if clinic is not None else "other"


def retention_years(jurisdiction: str) -> int:
    table = settings.RETENTION_YEARS
    return int(table.get(jurisdiction, table["default"]))


def _kept_records_by_clinic(patient: Patient) -> dict[int | None, dt.date]:
    """The day of the patient's latest record kept for the retention period, per clinic:
    signed sessions, signed consents (the clinic of their plan), clinical photographs,
    signed photo consents and outcome scores."""
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.consultations.models import Consent
    from mesoclinic.outcomes.models import OutcomeScore
    from mesoclinic.photos.models import Photo, PhotoConsent

    sources = (
        (
            TreatmentSession.objects.filter(patient=patient, status="signed"),
            "clinic_id",
            "session_date",
        ),
        (Consent.objects.filter(patient=patient), "plan__clinic_id", "signed_at"),
        (Photo.objects.filter(patient=patient), "clinic_id", "taken_at"),
        (PhotoConsent.objects.filter(patient=patient), "clinic_id", "signed_at"),
        (OutcomeScore.objects.filter(patient=patient), "clinic_id", "scored_on"),
    )
    last: dict[int | None, dt.date] = {}
    for queryset, clinic, field in sources:
        for row in queryset.values(clinic).annotate(d=Max(field)).order_by():
            day = row["d"].date() if isinstance(row["d"], dt.datetime) else row["d"]
            key = row[clinic]
            last[key] = max(day, last.get(key, day))
    return last


def retention_end(patient: Patient) -> tuple[dt.date | None, str]:
    """Until when the patient's kept records must be kept, and by which jurisdictions.

    Each record counts by the law of its own clinic: the period of that clinic's
    jurisdiction runs from the clinic's latest record, and the latest end wins. With no
    kept record: (None, the home clinic's jurisdiction)."""
    last = _kept_records_by_clinic(patient)
    if not last:
        return None, jurisdiction_of(_clinic(patient))
    clinics = Clinic.objects.in_bulk([c for c in last if c is not None])
    ends = {}
    for clinic_id, day in last.items():
        jurisdiction = jurisdiction_of(clinics.get(clinic_id) or _clinic(patient))
        end = _years_after(day, retention_years(jurisdiction))
        ends[jurisdiction] = max(end, ends.get(jurisdiction, end))
    return max(ends.values()), ",".join(sorted(ends))


def last_signed_record(patient: Patient) -> dt.date | None:
    """The day of the patient's latest record kept for the retention period."""
    last = _kept_records_by_clinic(patient)
    return max(last.values()) if last else None


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _erasure_reason(patient: Patient) -> str:
    """The withdrawal reason stored on photo consents, in the clinic's language."""
    clinic = _clinic(patient)
    locale = clinic.locale if clinic else None
    language = locale_language(language=locale, clinic_locale=locale)
    with translation.override(language):
        return gettext("The patient asked for their data to be erased.")


@transaction.atomic
def request_erasure(patient: Patient, requested_by=None, reason: str = "") -> ErasureRequest:
    """Record an erasure request and erase at once what no law requires us to keep.

    Erased now: contact details, search keys, availability, calendar feeds, imported
    facts not confirmed, subject-access archives; the data-processing consent and
    the photo consents are withdrawn and future appointments cancelled. Signed
    clinical records (sessions, consents, history, photographs) are kept until the
    retention period of the clinic's jurisdiction ends after the last of them;
    `retention_run` then anonymises the patient and deletes the photographs. The
    audit trail records what was erased (how many), never the erased values.
    """
    from mesoclinic.photos.models import PhotoConsent
    from mesoclinic.scheduling.models import ACTIVE_STATUSES, CalendarFeed, PatientAvailability

    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    now = _now()
    retain_until, jurisdiction = retention_end(patient)
    erased: dict[str, object] = {
        "fields": [f for f in ("phone", "email") if getattr(patient, f)],
        "availability": PatientAvailability.objects.filter(patient=patient).delete()[0],
        "calendar_feeds": CalendarFeed.objects.filter(patient=patient).delete()[0],
        "imported_facts": ImportedFact.objects.filter(patient=patient)
        .exclude(status="confirmed")
        .delete()[0],
        "access_archives": SubjectAccessRequest.objects.filter(
            patient=patient, archive__isnull=False
        ).update(archive=None),
        # Withdrawn like any other: the photographs are hidden from then on.
        "photo_consents_withdrawn": PhotoConsent.objects.filter(
            patient=patient, withdrawn_at__isnull=True
        ).update(
            withdrawn_at=now,
            withdrawn_by=requested_by,
            withdrawal_reason=_erasure_reason(patient),
        ),
    }
    future = patient.appointments.filter(status__in=ACTIVE_STATUSES, starts_at__gt=now).exclude(
        status="done"
    )
    erased["appointments_cancelled"] = future.update(
        status="cancelled", status_reason="erasure", notes=""
    )
    patient.phone = ""
    patient.email = ""
    patient.data_consent = False
    patient.data_consent_at = None
    patient.save()
    patient_search_refresh(patient=patient)
    erasure = ErasureRequest.objects.create(
        organisation_id=patient.organisation_id,
        patient=patient,
        requested_by=requested_by,
        requested_at=now,
        reason=reason,
        jurisdiction=jurisdiction,
        retain_until=retain_until,
        status=ErasureStatus.RETAINED,
        erased=erased,
    )
    audit_record(
        action=AuditAction.DELETE,
        actor=requested_by,
        organisation_id=patient.organisation_id,
        patient_id=patient.pk,
        detail={
            "erasure": erasure.pk,
            "erased": erased,
            "retained_until": retain_until.isoformat() if retain_until else None,
            "jurisdiction": jurisdiction,
        },
    )
    if retain_until is None or retain_until <= timezone.localdate(now):
        _anonymise(erasure, now=now)
    return erasure


def _anonymise(erasure: ErasureRequest, *, now: dt.datetime) -> None:
    """Anonymise the patient of an erasure whose retention has ended (or was never due)."""
    patient_anonymise(patient=erasure.patient, erasure_id=erasure.pk)
    organisation_id, patient_id = erasure.patient.organisation_id, erasure.patient_id
    # Stored PDFs (consents, aftercare sheets) print the old name: they go too.
    transaction.on_commit(
        lambda: patient_documents_delete(organisation_id=organisation_id, patient_id=patient_id)
    )
    ErasureRequest.objects.filter(pk=erasure.pk).update(
        status=ErasureStatus.ANONYMISED, anonymised_at=now
    )


def retention_run(*, now: dt.datetime) -> list[int]:
    """Anonymise every patient whose erasure waited for a retention period now ended;
    returns the erasure requests completed. Run daily (`mesoclinic retention`)."""
    done = []
    due = ErasureRequest.objects.filter(
        status=ErasureStatus.RETAINED, retain_until__lte=timezone.localdate(now)
    ).order_by("pk")
    for erasure in due:
        with transaction.atomic():
            _anonymise(erasure, now=now)
        done.append(erasure.pk)
    return done
