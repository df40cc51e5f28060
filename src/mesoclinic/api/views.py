"""The HTTP API (django-ninja, OpenAPI at /api/v1/docs).

Authentication: `Authorization: Bearer mc_…` (see `mesoclinic apitoken`) or the
browser session. Every endpoint runs with the caller's scope, exactly as the web pages
do: organisation-scoped, permission-checked, and audited for patient data.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from mesoclinic.api.services import api_token_check
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.core.screening import ScreeningInputError, ScreeningRequest, ScreeningResult, screen
from mesoclinic.patients.selectors import patient_get, patient_list
from mesoclinic.scheduling.selectors import appointment_list
from mesoclinic.web.dates import ApiDate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = api_token_check(raw=token, now=timezone.now())
        if found is None:
            return None
        api_token, scope = found
        request.user = api_token.user
        request.scope = scope
        request.clinic = api_token.clinic
        # The token's clinic sets "today" and local times, as the clinic switch does.
        timezone.activate(api_token.clinic.zone)
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF-checked for writes)."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.scope is not None:
            return user
        return None


api = NinjaAPI(
    title="Mesoclinic API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth()],
    description=__doc__,
)


class ApiError(Schema):
    """Every error answer: a sentence, and the individual problems (may be empty)."""

    detail: str
    problems: list[str] = []


# Documented on every operation, so a client can rely on the shape of any error.
ERRORS = {400: ApiError, 401: ApiError, 403: ApiError, 404: ApiError, 414: ApiError, 422: ApiError}


def _error(request, status: int, detail: str, problems: list[str] | None = None):
    body = ApiError(detail=detail, problems=problems or []).model_dump()
    return api.create_response(request, body, status=status)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "permission denied")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not found")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, exc.status_code, str(exc.message))


def _problem(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    return _error(request, 422, "invalid request", [_problem(e) for e in exc.errors])


class Me(Schema):
    username: str
    organisation_id: int
    clinic_id: int | None
    roles: list[str]
    time_zone: str
    today: dt.date


@api.get("/me", response={200: Me, **ERRORS}, tags=["accounts"])
def me(request):
    """Who the caller is: their roles and the clinic they act in, with its time zone and date.

    Dates the API defaults (such as `today` of `/screen`) are this clinic's.
    """
    scope = request.scope
    return Me(
        username=request.user.username,
        organisation_id=scope.organisation_id,
        clinic_id=scope.clinic_id,
        roles=sorted(r.value for r in scope.roles),
        time_zone=timezone.get_current_timezone_name(),
        today=timezone.localdate(),
    )


class PatientOut(Schema):
    id: int
    family_name: str
    given_name: str
    middle_name: str
    birth_date: dt.date
    sex: str
    phone: str
    email: str
    preferred_language: str


@api.get("/patients", response={200: list[PatientOut], **ERRORS}, tags=["patients"])
def patients(request, q: str = "", limit: int = 50):
    """Patients of the organisation matching `q` (name, phone, email, date of birth)."""
    rows = patient_list(scope=request.scope, query=q[:100], limit=max(1, min(limit, 200)))
    audit_record(
        action=AuditAction.READ,
        request=request,
        detail={"api": "patients", "q": q, "count": len(rows)},
    )
    return rows


@api.get("/patients/{patient_id}", response={200: PatientOut, **ERRORS}, tags=["patients"])
def patient(request, patient_id: int):
    found = patient_get(scope=request.scope, patient_id=patient_id)
    audit_record(action=AuditAction.READ, request=request, obj=found, detail={"api": True})
    return found


class AppointmentOut(Schema):
    id: int
    patient_id: int
    practitioner_id: int
    room_id: int | None
    device_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    technique_id: str
    plan_id: int | None
    session_number: int | None


APPOINTMENTS_PAGE_DEFAULT = 500
APPOINTMENTS_PAGE_MAX = 500


def _cursor_encode(appointment) -> str:
    raw = f"{appointment.starts_at.isoformat()}|{appointment.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    """The (starts_at, id) a cursor stands for; 422 for anything this API did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        starts_at = dt.datetime.fromisoformat(when)
        if starts_at.tzinfo is None:
            raise ValueError(cursor)
        return starts_at, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise HttpError(422, "cursor is not one this API handed out") from None


@api.get("/appointments", response={200: list[AppointmentOut], **ERRORS}, tags=["schedule"])
def appointments(
    request,
    response: HttpResponse,
    first_day: ApiDate,
    last_day: ApiDate,
    limit: int = Query(APPOINTMENTS_PAGE_DEFAULT, ge=1, le=APPOINTMENTS_PAGE_MAX),
    cursor: str | None = Query(None, max_length=200),
):
    """The current clinic's appointments starting between two dates (at most 62 days).

    At most `limit` appointments, earliest first. When more remain, the answer carries
    an `X-Next-Cursor` header (and a `Link: rel="next"` one): pass its value as
    `cursor` with the same dates to get the next page.
    """
    if request.clinic is None:
        raise HttpError(400, "no clinic")
    if last_day < first_day or (last_day - first_day).days > 62:
        raise HttpError(422, "last_day must be on or after first_day, at most 62 days later")
    qs = appointment_list(
        scope=request.scope, clinic=request.clinic, first_day=first_day, last_day=last_day
    )
    if cursor:
        after, after_pk = _cursor_decode(cursor)
        qs = qs.filter(Q(starts_at__gt=after) | Q(starts_at=after, pk__gt=after_pk))
    rows = list(qs[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_encode(rows[-1])
        query = request.GET.copy()
        query["cursor"] = next_cursor
        response["X-Next-Cursor"] = next_cursor
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    audit_record(
        action=AuditAction.READ,
        request=request,
        detail={
            "api": "appointments",
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
            "patients": sorted({a.patient_id for a in rows}),
        },
    )
    return rows


@api.post("/screen", response={**ERRORS, 200: ScreeningResult}, tags=["safety"])
def screen_session(request, payload: ScreeningRequest, today: ApiDate | None = None):
    """Screen a planned session (format: docs/screening.md); clinical staff only."""
    request.scope.require("patients.view_clinical")
    try:
        result = screen(payload, kb=load_knowledge(), today=today or timezone.localdate())
    except ScreeningInputError as exc:
        problems = list(getattr(exc, "problems", None) or [str(exc)])
        return Status(422, ApiError(detail="invalid screening request", problems=problems))
    audit_record(
        action=AuditAction.READ,
        request=request,
        detail={"api": "screen", "level": str(result.level)},
    )
    return Status(200, result)


class KnowledgeVersion(Schema):
    version: str
    short: str


@api.get("/knowledge/version", response={200: KnowledgeVersion, **ERRORS}, tags=["safety"])
def knowledge_version(request):
    kb = load_knowledge()
    return KnowledgeVersion(version=kb.version, short=kb.short_version)


# FHIR R4 (docs/fhir.md): registered last, so its routes follow the ones above in the docs.
from mesoclinic.interop.api import router as fhir_router  # noqa: E402

api.add_router("/fhir", fhir_router)
