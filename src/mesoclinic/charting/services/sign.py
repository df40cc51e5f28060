"""Signing a session (stock used in the same transaction) and addenda to signed sessions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_batch, audit_record
from mesoclinic.charting.models import (
    Addendum,
    ChartEntry,
    ChartPoint,
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.charting.services.chart import (
    _entry_rows,
    _require_chartable,
    chart_check,
)
from mesoclinic.charting.services.common import _locked, clinic_today, scope_user
from mesoclinic.charting.services.points import entries_point_forms, lot_volumes
from mesoclinic.charting.services.side_effects import side_effect_file_reports
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.inventory.services import Use, stock_lots_lock, stock_use_many
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import appointment_status_set
from mesoclinic.web.document_tasks import session_documents_draw_later

# PostgreSQL's deadlock and serialisation failures: the transaction may simply be retried.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def session_sign(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    """Sign the chart: re-screen it, decrement stock of every lot used, make it immutable.

    The session row is locked first, so of two people signing at once one signs and
    the other is told it is already signed; stock is decremented once, inside this
    transaction, so a refused use (not enough left, lot recalled meanwhile) signs nothing.
    The lots are locked in one global order, so concurrent signatures queue; should the
    database still abort one (a deadlock or serialisation failure), it is retried once,
    and then the signer is asked to sign again: never a server error.
    """
    for attempt in (1, 2):
        try:
            # The audit events of the signature (the ledger lines, the appointment, the
            # session) are written together, in one INSERT, at the end of the transaction.
            with transaction.atomic(), audit_batch():
                return _session_sign_once(scope=scope, session=session, now=now, request=request)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            if attempt == 2:
                raise ValidationError(
                    _("Another signature was using the same stock at that moment. Sign again.")
                ) from exc
    raise AssertionError("unreachable")


def _session_sign_once(
    *, scope: Scope, session: TreatmentSession, now: dt.datetime, request=None
) -> TreatmentSession:
    # The session's clinic decides: the signer's roles there, and its stock is used.
    scope = scope.in_clinic(session.clinic_id)
    scope.require("sessions.chart")
    session = _locked(scope, session)
    if session.status == SessionStatus.SIGNED:
        signer = session.signed_by
        raise ValidationError(
            _("This session was already signed by %(name)s at %(time)s.")
            % {
                "name": signer.display_name or signer.username,
                "time": timezone.localtime(session.signed_at).strftime("%H:%M"),
            }
        )
    today = clinic_today(session.clinic, now)
    _require_chartable(session, today)
    if session.status != SessionStatus.CHARTING:
        raise ValidationError(_("Chart the session before signing it."))
    # The chart is read once: re-checked as a whole, then its lots used.
    charted = list(
        session.entries.select_related("lot__product")
        .prefetch_related("sites__lot__product")
        .order_by("position", "id")
    )
    # Every lot is locked at once, in one global order (no deadlock with a session
    # charted the other way), before the check: the chart is checked on the lots as
    # they are used (status, expiry), and they are read once.
    lot_ids = {e.lot_id for e in charted if e.lot_id} | {
        p.lot_id for e in charted for p in e.sites.all() if p.lot_id
    }
    locked_lots = stock_lots_lock(scope=scope, lot_ids=lot_ids) if lot_ids else []
    check = chart_check(
        scope=scope,
        session=session,
        rows=_entry_rows(session, charted),
        points=entries_point_forms(charted),
        today=today,
        locked_lots=locked_lots,
    )
    if not check.ok:
        raise ValidationError(check.messages())
    kb = knowledge()
    practitioner = scope_user(scope, request)
    entries = [e for e in charted if e.lot_id is not None]
    # Each lot's share of each row: the row's lot for the row's volume, or, where
    # placed points carry volumes, each point's lot for its volume.
    shares = [
        (entry, lot, volume)
        for entry in entries
        for lot, volume in lot_volumes(entry, list(entry.sites.all()))
    ]
    # Each lot's stock is taken once, and the ledger lines and their audit events
    # written in one statement each.
    movements = stock_use_many(
        scope=scope,
        uses=[Use(lot_id=lot.pk, quantity_ml=v, zone_id=e.zone_id) for e, lot, v in shares],
        patient=session.patient,
        practitioner=practitioner,
        administered_at=now,
        session_ref=session.pk,
        clinic=session.clinic,
        locked_lots=locked_lots,
        request=request,
    )
    # What the signed record shows is copied now, from the locked lots, while the
    # entries are still draft rows: a later rename of the product or correction of
    # the lot changes nothing.
    # One UPDATE per lot (a chart uses one or two), not one CASE per entry and column.
    locked = {movement.lot.pk: movement.lot for movement in movements}
    row_lots = {entry.lot_id: locked.get(entry.lot_id, entry.lot) for entry in entries}
    for lot in row_lots.values():
        ChartEntry.objects.filter(session_id=session.pk, lot_id=lot.pk).update(
            product_name=lot.product.name, lot_number=lot.lot_number, lot_expiry=lot.expiry_date
        )
    own_lot = [p for e in entries for p in e.sites.all() if p.lot_id]
    for point in own_lot:
        point.lot_number = locked.get(point.lot_id, point.lot).lot_number
    ChartPoint.objects.bulk_update(own_lot, ["lot_number"])
    # Side effects noted before the signature are filed against the lots now given.
    for effect in session.side_effects.order_by("recorded_at", "id"):
        side_effect_file_reports(scope=scope, session=session, effect=effect, request=request)
    plan = session.plan
    if plan is not None and session.session_number < plan.sessions:
        session.next_earliest = session.session_date + dt.timedelta(days=plan.interval_min_days)
        session.next_latest = session.session_date + dt.timedelta(days=plan.interval_max_days)
    if session.appointment_id:
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "practitioner")
            .get(pk=session.appointment_id)
        )
        for status in ("arrived", "done"):
            if status in _next_statuses(appointment.status):
                appointment = appointment_status_set(
                    scope=scope,
                    appointment=appointment,
                    status=status,
                    expected_version=appointment.version,
                    by_signature=True,
                    request=request,
                )
        session.appointment_status = appointment.status
        session.appointment_starts_at = appointment.starts_at
    session.chart_screening = check.result.model_dump(mode="json")
    session.chart_level = check.result.level
    session.status = SessionStatus.SIGNED
    session.signed_at = now
    session.signed_by_id = scope.user_id
    session.signed_knowledge_version = kb.version
    session.version += 1
    session.save(
        update_fields=[
            "next_earliest",
            "next_latest",
            "appointment_status",
            "appointment_starts_at",
            "chart_screening",
            "chart_level",
            "status",
            "signed_at",
            "signed_by",
            "signed_knowledge_version",
            "version",
        ]
    )
    if plan is not None:
        from mesoclinic.consultations.services import plan_complete_if_done

        signed_sessions = TreatmentSession.objects.filter(
            plan=plan, status=SessionStatus.SIGNED
        ).count()
        if signed_sessions >= plan.sessions:  # the course's last session: close the plan
            plan_complete_if_done(
                scope=scope, plan=plan, signed_sessions=signed_sessions, now=now, request=request
            )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={"signed": True, "knowledge_version": kb.short_version},
    )
    session_documents_draw_later(session=session)
    return session


def _next_statuses(status: str) -> set[str]:
    from mesoclinic.scheduling.services import TRANSITIONS

    return TRANSITIONS.get(status, set())


@transaction.atomic
def addendum_create(
    *, scope: Scope, session: TreatmentSession, text: str, now: dt.datetime, request=None
) -> Addendum:
    """Add a correction or note to a signed session (the record itself never changes)."""
    if session.organisation_id != scope.organisation_id:
        raise ValidationError(_("Unknown session."))
    scope = scope.in_clinic(session.clinic_id)
    scope.require("patients.edit_clinical")
    if session.status != SessionStatus.SIGNED:
        raise ValidationError(_("Addenda are for signed sessions; edit the draft chart instead."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    if len(text) > 5000:
        raise ValidationError({"text": _("Keep an addendum under 5000 characters.")})
    addendum = Addendum.objects.create(
        organisation_id=scope.organisation_id,
        session=session,
        author_id=scope.user_id,
        created_at=now,
        text=text,
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        scope=scope,
        obj=addendum,
        patient_id=session.patient_id,
    )
    session_documents_draw_later(session=session)  # the record prints its addenda
    return addendum
