"""The chart: validating and saving what is given in a session."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Role
from mesoclinic.accounts.scope import Scope
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.charting import screening as sc
from mesoclinic.charting.models import (
    ChartEntry,
    ChartPoint,
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.charting.services.common import (
    GAUGE_RANGE,
    MAX_VOLUME_ML,
    STOPPING,
    _locked,
    clinic_today,
    practitioner_credentials,
)
from mesoclinic.charting.services.overrides import screening_policy_for
from mesoclinic.charting.services.points import (
    MAX_POINTS,
    PointForm,
    deepest,
    lot_volumes,
    point_parse,
    row_points_check,
    saved_point_forms,
)
from mesoclinic.consultations.engine import kb as knowledge
from mesoclinic.consultations.models import PlanStatus
from mesoclinic.core.screening import (
    ScreeningRequest,
    ScreeningResult,
)
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.scheduling.models import Device


@dataclass
class EntryForm:
    """One charted row as posted (strings), before validation."""

    zone_id: str = ""
    technique_id: str = ""
    depth_mm: str = ""
    needle_gauge: str = ""
    needle_length_mm: str = ""
    points: str = ""
    spacing_mm: str = ""
    lot_id: str = ""
    volume_ml: str = ""
    device_id: str = ""
    device_params: str = ""
    # The row's key, which placed points name (its position when blank).
    key: str = ""


@dataclass
class ChartCheck:
    """The outcome of validating a chart: row errors, engine verdicts, totals."""

    entries: list[ChartEntry] = field(default_factory=list)
    # Placed points of each entry (by the entry's index), unsaved.
    points: dict[int, list[ChartPoint]] = field(default_factory=dict)
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    result: ScreeningResult | None = None
    blocking: list = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)
    total_ml: Decimal = Decimal(0)
    session_limit_ml: float | None = None

    @property
    def ok(self) -> bool:
        return not (self.row_errors or self.errors or self.blocking)

    def messages(self) -> list[str]:
        out = list(self.errors)
        for index, errs in sorted(self.row_errors.items()):
            out += [_("Row %(n)s: %(error)s") % {"n": index + 1, "error": e} for e in errs]
        out += [v.message.get(current_language()) for v in self.blocking]
        return out


def _decimal(value: str) -> Decimal | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(value)


def session_limit(session: TreatmentSession) -> float:
    """The session volume limit shown with the totals (the engine enforces it)."""
    kb = knowledge()
    protocol = kb.protocol.get(session.plan.protocol_id) if session.plan_id else None
    if protocol is not None and protocol.max_volume_ml is not None:
        return protocol.max_volume_ml
    return kb.rule["rule.session-volume-max"].params["default_max_ml"]


def _lot_errors(lot: Lot, *, here: dict, today: dt.date) -> list[str]:
    """Why a lot cannot be used in this session today (empty: it can)."""
    if lot.pk not in here:
        return [_("Lot %(lot)s is not stocked at this clinic.") % {"lot": lot.lot_number}]
    if lot.status != LotStatus.AVAILABLE:
        return [
            _("Lot %(lot)s is %(status)s and cannot be used.")
            % {"lot": lot.lot_number, "status": lot.get_status_display().lower()}
        ]
    if lot.expiry_date < today:
        return [
            _("Lot %(lot)s expired on %(date)s and cannot be used.")
            % {"lot": lot.lot_number, "date": lot.expiry_date.isoformat()}
        ]
    return []


def _posted_points(
    *,
    scope: Scope,
    session: TreatmentSession,
    rows: Sequence[EntryForm],
    points: Sequence[PointForm],
    lots: dict,
    here: dict,
    today: dt.date,
    check: ChartCheck,
) -> dict[int, list[ChartPoint]]:
    """The posted points by their row's index; their errors go to that row."""
    if not points:
        return {}
    from mesoclinic.photos.selectors import photos_visible

    if len(points) > MAX_POINTS:
        check.errors.append(
            _("At most %(n)s points can be placed in one session.") % {"n": MAX_POINTS}
        )
        return {}
    index_of = {(r.key.strip() or str(i)): i for i, r in enumerate(rows)}
    photo_ids = {p.photo.strip() for p in points if p.photo.strip().isdigit()}
    photos = (
        {
            str(photo.pk): photo
            for photo in photos_visible(scope=scope, patient=session.patient).filter(
                pk__in=[int(i) for i in photo_ids]
            )
        }
        if photo_ids
        else {}
    )
    by_row: dict[int, list[ChartPoint]] = defaultdict(list)
    for form in points:
        index = index_of.get(form.row.strip())
        if index is None:
            check.errors.append(_("A placed point belongs to no row of the chart."))
            continue
        point, errs = point_parse(
            form=form,
            organisation_id=scope.organisation_id,
            session=session,
            photos=photos,
            lots=lots,
        )
        if point.lot is not None:
            errs += _lot_errors(point.lot, here=here, today=today)
        point.position = len(by_row[index])
        by_row[index].append(point)
        for e in errs:
            check.row_errors.setdefault(index, []).append(
                _("Point %(m)s: %(error)s") % {"m": len(by_row[index]), "error": e}
            )
    return dict(by_row)


def chart_check(
    *,
    scope: Scope,
    session: TreatmentSession,
    rows: Sequence[EntryForm],
    today: dt.date,
    points: Sequence[PointForm] = (),
    locked_lots: Sequence[Lot] | None = None,
) -> ChartCheck:
    """Validate posted rows and their placed points: fields, lots at this clinic, then the
    engine on the whole chart (each lot's share of the volume, the deepest depth).

    `locked_lots`: the chart's lots as the caller locked them in this transaction
    (signing), checked as they are instead of being read again.
    """
    kb = knowledge()
    check = ChartCheck(session_limit_ml=session_limit(session))
    if not rows:
        check.errors.append(_("Chart at least one zone."))
        return check
    lot_ids = {r.lot_id for r in rows if r.lot_id.strip().isdigit()}
    lot_ids |= {p.lot for p in points if p.lot.strip().isdigit()}
    if locked_lots is None:
        locked_lots = Lot.objects.filter(
            pk__in=[int(i) for i in lot_ids], organisation_id=scope.organisation_id
        ).select_related("product")
    wanted = {int(i) for i in lot_ids}
    lots = {
        str(lot.pk): lot
        for lot in locked_lots
        if lot.pk in wanted and lot.organisation_id == scope.organisation_id
    }
    here = dict(
        StockBalance.objects.filter(
            lot_id__in=[lot.pk for lot in lots.values()], clinic_id=session.clinic_id
        ).values_list("lot_id", "quantity_ul")
    )
    device_ids = {r.device_id for r in rows if r.device_id.strip().isdigit()}
    devices = {
        str(d.pk): d
        for d in Device.objects.filter(
            pk__in=[int(i) for i in device_ids], organisation_id=scope.organisation_id
        )
    }
    check.points = _posted_points(
        scope=scope,
        session=session,
        rows=rows,
        points=points,
        lots=lots,
        here=here,
        today=today,
        check=check,
    )
    per_lot: dict[int, Decimal] = defaultdict(Decimal)
    engine_entries: list[sc.EntryIn] = []
    for index, row in enumerate(rows):
        errs: list[str] = []
        placed = check.points.get(index, [])
        zone = kb.zone.get(row.zone_id)
        technique = kb.technique.get(row.technique_id)
        if zone is None:
            errs.append(_("Choose a zone on the map."))
        if technique is None:
            errs.append(_("Choose a technique."))
        values: dict = {}
        for name in ("depth_mm", "needle_length_mm", "spacing_mm", "volume_ml"):
            try:
                values[name] = _decimal(getattr(row, name))
            except ValueError:
                errs.append(_("%(value)s is not a number.") % {"value": getattr(row, name)})
                values[name] = None
        for name in ("needle_gauge", "points"):
            try:
                values[name] = _int(getattr(row, name))
            except ValueError:
                errs.append(_("%(value)s is not a whole number.") % {"value": getattr(row, name)})
                values[name] = None
        volume = values["volume_ml"]
        row_volume_given = volume is not None
        if not row_volume_given and placed and all(p.volume_ml is not None for p in placed):
            volume = sum((p.volume_ml for p in placed), Decimal(0))
        if volume is not None and volume <= 0:
            errs.append(_("The volume must be more than 0 mL."))
        elif volume is not None and (volume > MAX_VOLUME_ML or volume.as_tuple().exponent < -3):
            errs.append(_("%(value)s mL is not a possible volume.") % {"value": volume})
        depth = values["depth_mm"]
        if depth is not None and (depth < 0 or depth > Decimal("99.9")):
            errs.append(_("The depth must be between 0 and 99.9 mm."))
        for name in ("needle_length_mm", "spacing_mm"):
            if values[name] is not None and not (0 < values[name] <= Decimal("99.9")):
                errs.append(_("Needle length and spacing must be between 0 and 99.9 mm."))
        gauge = values["needle_gauge"]
        if gauge is not None and not GAUGE_RANGE[0] <= gauge <= GAUGE_RANGE[1]:
            errs.append(
                _("The needle gauge must be between %(min)s G and %(max)s G.")
                % {"min": GAUGE_RANGE[0], "max": GAUGE_RANGE[1]}
            )
        if values["points"] is not None and not 0 < values["points"] <= 10000:
            errs.append(_("The number of points must be between 1 and 10000."))
        if technique is not None:
            if technique.kind == "needle" and depth is None:
                errs.append(_("Record the depth of a needle technique."))
            point_depths = any(p.depth_mm is not None for p in placed)
            if technique.kind == "needle-free" and (
                depth is not None or gauge is not None or point_depths
            ):
                errs.append(_("A needle-free technique has no depth or needle."))
        lot = None
        if row.lot_id.strip():
            lot = lots.get(row.lot_id.strip())
            if lot is None:
                errs.append(_("Unknown lot."))
            else:
                errs += _lot_errors(lot, here=here, today=today)
            if volume is None:
                errs.append(_("Record the volume injected from the lot."))
        elif volume is not None:
            errs.append(_("Choose the product lot the volume came from."))
        device = None
        if row.device_id.strip():
            device = devices.get(row.device_id.strip())
            if device is None or device.clinic_id != session.clinic_id:
                errs.append(_("Unknown device."))
                device = None
        entry = ChartEntry(
            organisation_id=scope.organisation_id,
            session=session,
            position=index,
            zone_id=row.zone_id,
            technique_id=row.technique_id,
            depth_mm=depth,
            needle_gauge=gauge,
            needle_length_mm=values["needle_length_mm"],
            points=values["points"],
            spacing_mm=values["spacing_mm"],
            product=lot.product if lot else None,
            lot=lot,
            volume_ml=volume if lot else None,
            device=device,
            device_params=row.device_params.strip()[:300],
        )
        check.entries.append(entry)
        if placed:
            errs += row_points_check(
                entry=entry, points=placed, row_volume_given=row_volume_given and lot is not None
            )
        for share_lot, share in lot_volumes(entry, placed):
            per_lot[share_lot.pk] += share
        if errs:
            check.row_errors[index] = errs + check.row_errors.get(index, [])
        if zone is not None and technique is not None and not check.row_errors.get(index):
            engine_entries += _entry_ins(entry, placed)
    for lot_pk, volume in per_lot.items():
        left = Decimal(here.get(lot_pk, 0)).scaleb(-3)
        if volume > left:
            lot = next(lot for lot in lots.values() if lot.pk == lot_pk)
            check.errors.append(
                _("Only %(left)s mL of lot %(lot)s left at this clinic.")
                % {"left": left.normalize(), "lot": lot.lot_number}
            )
    check.totals, check.total_ml = _totals(check.entries, check.points)
    if check.row_errors or not engine_entries:
        return check
    check.result = sc.chart_screen(
        base_request=ScreeningRequest.model_validate(session.screening_request),
        entries=engine_entries,
        practitioner_techniques=practitioner_credentials(
            organisation_id=scope.organisation_id, user_id=scope.user_id
        ),
        practitioner_id=str(scope.user_id),
        # The request's scope already holds the user's roles in the session's clinic
        # (read from the memberships when the request began): no second read.
        physician=Role.PRACTITIONER in scope.roles_in(session.clinic_id),
        today=today,
        kb=kb,
        policy=screening_policy_for(clinic_id=session.clinic_id),
    )
    lifted = set(session.override_rules or [])
    check.blocking = [
        v for v in check.result.verdicts if v.level in STOPPING and v.rule_id not in lifted
    ]
    return check


def _entry_in(entry: ChartEntry, *, lot=None, volume=None, depth=None) -> sc.EntryIn:
    lot = lot if lot is not None else entry.lot
    return sc.EntryIn(
        zone_id=entry.zone_id,
        technique_id=entry.technique_id,
        depth_mm=depth if depth is not None else entry.depth_mm,
        points=entry.points,
        kb_product_id=lot.product.kb_product_id if lot else "",
        volume_ml=volume if volume is not None else entry.volume_ml,
        lot_number=lot.lot_number if lot else "",
        lot_expiry=lot.expiry_date if lot else None,
        lot_status={"available": "released"}.get(lot.status, lot.status) if lot else "released",
        multi_dose=lot.product.is_multi_dose if lot else False,
    )


def _entry_ins(entry: ChartEntry, points: Sequence[ChartPoint]) -> list[sc.EntryIn]:
    """The engine's view of one row: one entry per lot given, at the row's deepest depth."""
    if not points:
        return [_entry_in(entry)]
    depth = deepest(entry, points)
    shares = lot_volumes(entry, points)
    if not shares:
        return [_entry_in(entry, depth=depth)]
    return [_entry_in(entry, lot=lot, volume=volume, depth=depth) for lot, volume in shares]


def _totals(
    entries: Sequence[ChartEntry], points: dict[int, list[ChartPoint]] | None = None
) -> tuple[list[dict], Decimal]:
    kb = knowledge()
    by_product: dict[int, dict] = {}
    total = Decimal(0)
    shares = [
        share
        for index, entry in enumerate(entries)
        for share in lot_volumes(entry, (points or {}).get(index, []))
    ]
    for lot, volume in shares:
        product = lot.product
        row = by_product.setdefault(
            product.pk, {"product": product, "volume_ml": Decimal(0), "limit_ml": None}
        )
        row["volume_ml"] += volume
        total += volume
        label = (
            kb.product[product.kb_product_id].label if product.kb_product_id in kb.product else None
        )
        limit = label.per_session_ml if label is not None else None
        if limit is None and product.per_session_ml is not None:
            limit = float(product.per_session_ml)
        row["limit_ml"] = limit
        row["over"] = limit is not None and float(row["volume_ml"]) > limit + 1e-9
    return list(by_product.values()), total


def _require_chartable(session: TreatmentSession, today: dt.date) -> None:
    if session.status == SessionStatus.SIGNED:
        raise ValidationError(
            _("This session is signed and cannot be changed; add an addendum instead.")
        )
    if session.status == SessionStatus.POSTPONED:
        raise ValidationError(_("This session was postponed."))
    # The plan is read afresh: it may have been cancelled (consent withdrawn) after
    # the patient checked in, and then nothing more may be given or used.
    # (`_locked` reads the plan in the same statement as the locked session.)
    if session.plan_id is not None and session.plan.status == PlanStatus.CANCELLED:
        raise ValidationError(
            _(
                "The treatment plan of this session was cancelled: the session "
                "cannot be charted or signed."
            )
        )
    if clinic_today(session.clinic, session.screened_at) != today:
        raise ValidationError(_("Screen the patient at check-in today before charting."))
    if session.screening_stops:
        raise ValidationError(
            _(
                "Today's screening stops this session: postpone it, or an authorised "
                "practitioner overrides it with a reason."
            )
        )


@transaction.atomic
def chart_save(
    *,
    scope: Scope,
    session: TreatmentSession,
    rows: Sequence[EntryForm],
    expected_version: int,
    save_token: str,
    now: dt.datetime,
    points: Sequence[PointForm] = (),
    request=None,
) -> TreatmentSession:
    """Replace the draft chart with the posted rows and their placed points, after the
    engine accepts them.

    All or nothing: the rows and points are validated and screened first, then written in
    one transaction. A retried POST (same `save_token`) returns the saved session
    unchanged; a save based on an older version is refused.
    """
    scope = scope.in_clinic(session.clinic_id)
    scope.require("sessions.chart")
    session = _locked(scope, session)
    if save_token and session.last_save_token == save_token:
        return session
    today = clinic_today(session.clinic, now)
    _require_chartable(session, today)
    if session.version != expected_version:
        raise ValidationError(
            _("Someone else saved this chart a moment ago. Reload it and chart again.")
        )
    check = chart_check(scope=scope, session=session, rows=rows, points=points, today=today)
    if not check.ok:
        raise ValidationError(check.messages())
    # The draft's points go first, then its rows: nothing else refers to a row (the
    # points are its only cascade), so both are plain DELETEs, without Django's
    # collector reading the rows first.
    ChartPoint.objects.filter(session=session)._raw_delete(ChartPoint.objects.db)
    ChartEntry.objects.filter(session=session)._raw_delete(ChartEntry.objects.db)
    # One INSERT for all rows: PostgreSQL and SQLite (3.35+, RETURNING) both give back
    # the new ids, which the points refer to.
    ChartEntry.objects.bulk_create(check.entries)
    placed = []
    for index, entry_points in check.points.items():
        for point in entry_points:
            point.entry = check.entries[index]
            placed.append(point)
    ChartPoint.objects.bulk_create(placed)
    session.chart_screening = check.result.model_dump(mode="json")
    session.chart_level = check.result.level
    session.status = SessionStatus.CHARTING
    session.last_save_token = save_token[:64]
    session.version += 1
    # Only what changed: the check-in's screening JSON is not written again.
    session.save(
        update_fields=["chart_screening", "chart_level", "status", "last_save_token", "version"]
    )
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        scope=scope,
        obj=session,
        detail={
            "chart": len(check.entries),
            "points": len(placed),
            "total_ml": str(check.total_ml),
        },
    )
    return session


def _entry_rows(session: TreatmentSession, entries=None) -> list[EntryForm]:
    if entries is None:
        entries = session.entries.select_related("lot__product").order_by("position", "id")
    return [
        EntryForm(
            zone_id=e.zone_id,
            technique_id=e.technique_id,
            depth_mm=str(e.depth_mm) if e.depth_mm is not None else "",
            needle_gauge=str(e.needle_gauge or ""),
            needle_length_mm=str(e.needle_length_mm) if e.needle_length_mm is not None else "",
            points=str(e.points or ""),
            spacing_mm=str(e.spacing_mm) if e.spacing_mm is not None else "",
            lot_id=str(e.lot_id or ""),
            volume_ml=str(e.volume_ml) if e.volume_ml is not None else "",
            device_id=str(e.device_id or ""),
            device_params=e.device_params,
        )
        for e in entries
    ]


def entry_rows(session: TreatmentSession) -> list[EntryForm]:
    """The saved chart as form rows (for the charting page and for re-checking)."""
    return _entry_rows(session)


def entry_points(session: TreatmentSession) -> list[PointForm]:
    """The saved points as posted forms, naming their rows by position."""
    return saved_point_forms(session)
