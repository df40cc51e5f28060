"""What the session-day services share: scope helpers, lots, credentials, texts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic, Membership, Role
from mesoclinic.accounts.scope import Scope, scope_for
from mesoclinic.charting.models import (
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.core.screening import (
    Lot as LotFacts,
)
from mesoclinic.inventory.models import Lot, LotStatus
from mesoclinic.scheduling.models import Credential

MAX_VOLUME_ML = Decimal("999.999")


GAUGE_RANGE = (18, 34)


STOPPING = ("block", "postpone")


def verdict_text(verdict: Mapping) -> str:
    """A stored verdict's message in the user's language."""
    return verdict["message"][current_language()]


def clinic_today(clinic: Clinic, now: dt.datetime) -> dt.date:
    return now.astimezone(clinic.zone).date()


def practitioner_credentials(*, organisation_id: int, user_id: int) -> tuple[str, ...]:
    return tuple(
        Credential.objects.filter(
            organisation_id=organisation_id, practitioner_id=user_id
        ).values_list("technique_id", flat=True)
    )


def _is_physician(user_id: int, clinic_id: int) -> bool:
    # The practitioner role is the clinician who may chart (see docs/user-guide.md).
    return Membership.objects.filter(
        user_id=user_id, clinic_id=clinic_id, role=Role.PRACTITIONER
    ).exists()


def _fefo_lot(scope: Scope, kb_product_id: str, on_date: dt.date, *, clinic_id: int) -> Lot | None:
    """The first-expiring usable lot of a product in stock at `clinic_id` (the session's)."""
    return (
        Lot.objects.filter(
            organisation_id=scope.organisation_id,
            product__kb_product_id=kb_product_id,
            product__active=True,
            status=LotStatus.AVAILABLE,
            expiry_date__gte=on_date,
            balances__clinic_id=clinic_id,
            balances__quantity_ul__gt=0,
        )
        .select_related("product")
        .order_by("expiry_date", "received_on", "pk")
        .first()
    )


def _lot_facts(lot: Lot | None) -> LotFacts | None:
    if lot is None:
        return None
    status = {"available": "released"}.get(lot.status, lot.status)
    return LotFacts(
        number=lot.lot_number,
        expiry=lot.expiry_date,
        status=status,
        multi_dose=lot.product.is_multi_dose,
    )


def _signed_history(patient, *, exclude: int | None = None):
    qs = (
        TreatmentSession.objects.filter(patient=patient, status=SessionStatus.SIGNED)
        .prefetch_related("entries__product")
        .order_by("session_date")
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs


def _locked(scope: Scope, session: TreatmentSession) -> TreatmentSession:
    try:
        # The clinic, plan and patient come in the same read (every service needs
        # them); only the session row is locked.
        return (
            TreatmentSession.objects.select_for_update(of=("self",))
            .select_related("clinic", "plan", "patient")
            .get(pk=session.pk, organisation_id=scope.organisation_id)
        )
    except TreatmentSession.DoesNotExist as exc:
        raise ValidationError(_("Unknown session.")) from exc


def scope_user(scope: Scope, request=None):
    """The scope's user: the request's signed-in user when it is the same one."""
    from mesoclinic.accounts.models import User

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk == scope.user_id:
        return user
    return User.objects.get(pk=scope.user_id)


def scope_of(user, clinic_id: int) -> Scope | None:
    return scope_for(user, clinic_id=clinic_id)
