"""Portal pages: thin views over portal services. Every object is looked up through the
signed-in patient (`request.patient`), so another patient's id is a 404."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record, client_ip
from mesoclinic.portal import forms
from mesoclinic.portal.models import OnlineService, PortalAccount
from mesoclinic.portal.services import (
    appointment_cancel_online,
    appointment_reschedule_online,
    clinic_settings,
    code_send,
    data_copies,
    data_copy_download,
    data_copy_request,
    data_erasure_request,
    data_erasures,
    dates_propose,
    eligibility_check,
    invite_accept,
    invite_account,
    plans_to_consent,
    portal_actor,
    questionnaire_submit,
    series_book,
    signin_code,
    signin_password,
    visit_link_appointment,
)
from mesoclinic.scheduling.models import Appointment
from mesoclinic.web.forms import form_add_validation_error

SESSION_KEY = "portal_account_id"
NEXT_KEY = "portal_next"
ACTING_KEY = "portal_acting_patient_id"


def _activate(request, account: PortalAccount) -> None:
    from mesoclinic.portal.services import ward_get, wards

    request.portal_account = account
    request.patient = account.patient
    request.portal_clinic = account.clinic
    # A parent or guardian looking at a child's record: only while the child is under 18
    # (checked on every request, so access ends on the 18th birthday by itself).
    acting = request.session.get(ACTING_KEY)
    if acting and acting != account.patient_id:
        child = ward_get(account=account, patient_id=acting, now=timezone.now())
        if child is None:
            del request.session[ACTING_KEY]
        else:
            request.patient = child
    request.portal_wards = wards(account=account, now=timezone.now())
    translation.activate(account.patient.preferred_language)
    request.LANGUAGE_CODE = translation.get_language()
    timezone.activate(zoneinfo.ZoneInfo(account.clinic.time_zone))


def patient_required(view):
    """Only a signed-in patient; anyone else goes to the portal's sign-in."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account_id = request.session.get(SESSION_KEY)
        account = (
            PortalAccount.objects.select_related("patient", "clinic")
            .filter(pk=account_id, active=True)
            .first()
            if account_id
            else None
        )
        if account is None:
            if request.method == "GET":
                # Back to this page after signing in (a reminder's "move my visit" link).
                request.session[NEXT_KEY] = request.get_full_path()
            return redirect("portal:signin")
        _activate(request, account)
        return view(request, *args, **kwargs)

    return wrapper


def _sign_in(request, account: PortalAccount):
    wanted = str(request.session.get(NEXT_KEY, ""))
    request.session.flush()  # a new session key: nothing from before the sign-in survives
    request.session[SESSION_KEY] = account.pk
    if wanted.startswith("/portal/") and url_has_allowed_host_and_scheme(wanted, None):
        return redirect(wanted)
    return redirect("portal:home")


def _audit_read(request, obj=None, **detail) -> None:
    audit_record(
        action=AuditAction.READ,
        request=request,
        actor=portal_actor(organisation_id=request.patient.organisation_id),
        organisation_id=request.patient.organisation_id,
        obj=obj,
        patient_id=request.patient.pk,
        detail={"portal": True, **detail},
    )


def signin(request):
    form = forms.SigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = signin_password(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return _sign_in(request, account)
    return render(request, "portal/signin.html", {"form": form})


def code_request(request):
    form = forms.CodeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            code_send(email=email, ip=client_ip(request), now=timezone.now())
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return render(
                request,
                "portal/code.html",
                {"form": forms.CodeForm(initial={"email": email}), "email": email},
            )
    return render(request, "portal/code_request.html", {"form": form})


@require_POST
def code_enter(request):
    form = forms.CodeForm(request.POST)
    if form.is_valid():
        try:
            account = signin_code(
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
                ip=client_ip(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return _sign_in(request, account)
    return render(
        request, "portal/code.html", {"form": form, "email": request.POST.get("email", "")}
    )


def invite(request, token: str):
    account = invite_account(secret=token, now=timezone.now())
    if account is None:
        return render(request, "portal/invite_used.html", status=410)
    translation.activate(account.patient.preferred_language)
    request.LANGUAGE_CODE = translation.get_language()
    form = forms.SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite_accept(
                secret=token,
                password=form.cleaned_data["password1"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            return _sign_in(request, account)
    return render(request, "portal/invite.html", {"form": form, "account": account})


def visit_link(request, token: str):
    """A reminder's link: confirm the visit without signing in, or go on to move it."""
    from mesoclinic.portal.services import appointment_confirm_online

    now = timezone.now()
    appt = visit_link_appointment(token=token, now=now)
    if appt is None:
        return render(request, "portal/visit_link_used.html", status=410)
    translation.activate(appt.patient.preferred_language)
    request.LANGUAGE_CODE = translation.get_language()
    timezone.activate(appt.clinic.zone)
    if request.method == "POST":
        try:
            appt = appointment_confirm_online(token=token, now=now, request=request)
        except ValidationError:
            return render(request, "portal/visit_link_used.html", status=410)
    else:
        audit_record(
            action=AuditAction.READ,
            request=request,
            actor=portal_actor(organisation_id=appt.organisation_id),
            organisation_id=appt.organisation_id,
            obj=appt,
            patient_id=appt.patient_id,
            detail={"portal": "reminder link"},
        )
    return render(
        request,
        "portal/visit_link.html",
        {
            "appointment": appt,
            "has_account": PortalAccount.objects.filter(
                patient_id=appt.patient_id, active=True
            ).exists(),
        },
    )


REGISTER_KEY = "portal_registration"


def _public_clinic(request, clinic_id: int):
    """A clinic whose booking page is open (online booking not switched off)."""
    from mesoclinic.accounts.models import Clinic

    clinic = get_object_or_404(Clinic, pk=clinic_id)
    if not clinic_settings(clinic).booking_enabled:
        raise Http404
    request.portal_clinic = clinic  # the page's heading names the clinic
    return clinic


def register(request, clinic_id: int):
    """The clinic's public booking page: a new patient registers and gets an e-mailed code."""
    from mesoclinic.portal.services import registration_code_send

    clinic = _public_clinic(request, clinic_id)
    form = forms.RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        details = {k: v for k, v in form.cleaned_data.items() if k != "consent"}
        try:
            pending = registration_code_send(
                clinic=clinic, details=details, ip=client_ip(request), now=timezone.now()
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            request.session[REGISTER_KEY] = pending
            return redirect("portal:register_verify", clinic.pk)
    return render(request, "portal/register.html", {"form": form, "clinic": clinic})


def register_verify(request, clinic_id: int):
    """The code from the e-mail proves the address; then the new record and account."""
    from mesoclinic.portal.services import registration_code_check, self_registration_complete

    clinic = _public_clinic(request, clinic_id)
    pending = request.session.get(REGISTER_KEY)
    if not pending or pending.get("clinic") != clinic.pk:
        return redirect("portal:register", clinic.pk)
    form = forms.RegistrationCodeForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            ok = registration_code_check(
                pending=pending, code=form.cleaned_data["code"], ip=client_ip(request), now=now
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
            ok = False
        else:
            request.session[REGISTER_KEY] = pending  # the wrong guesses are counted
            if not ok:
                form.add_error("code", _("That code is wrong or has expired."))
        if ok:
            language = current_language()
            try:
                account = self_registration_complete(
                    clinic=clinic,
                    details=pending["details"],
                    language=language,
                    now=now,
                    request=request,
                )
            except ValidationError as exc:
                del request.session[REGISTER_KEY]
                refused = " ".join(exc.messages)
            else:
                response = _sign_in(request, account)
                messages.success(
                    request,
                    _(
                        "Welcome. You are registered; the clinic will check your details "
                        "before your first visit."
                    ),
                )
                return response
    return render(
        request,
        "portal/register_code.html",
        {
            "form": form,
            "clinic": clinic,
            "email": pending["details"]["email"],
            "spent": pending.get("spent", False),
            "refused": refused,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def signout(request):
    request.session.flush()
    return redirect("portal:signin")


@patient_required
def home(request):
    patient = request.patient
    now = timezone.now()
    upcoming = Appointment.objects.filter(
        patient=patient, starts_at__gte=now, status__in=("booked", "confirmed")
    ).select_related("clinic", "practitioner")
    _audit_read(request, patient, view="home")
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "upcoming": upcoming,
            "questionnaire": patient.questionnaires.first(),
            "services": OnlineService.objects.filter(clinic=request.portal_clinic, published=True)
            if clinic_settings(request.portal_clinic).booking_enabled
            else [],
            "to_consent": plans_to_consent(patient=patient),
        },
    )


@require_POST
@patient_required
def language(request):
    from mesoclinic.patients.models import Patient

    chosen = request.POST.get("language")
    if chosen in ("en", "ru"):
        # The signed-in person's language, also while a parent looks at a child's record.
        Patient.objects.filter(pk=request.portal_account.patient_id).update(
            preferred_language=chosen
        )
    return redirect(
        request.POST.get("next")
        if str(request.POST.get("next", "")).startswith("/portal/")
        else "portal:home"
    )


@require_POST
@patient_required
def switch(request):
    """A parent or guardian switches between their own record and a child's."""
    from mesoclinic.portal.services import ward_get

    account = request.portal_account
    try:
        wanted = int(request.POST.get("patient", ""))
    except ValueError as exc:
        raise Http404 from exc
    if wanted == account.patient_id:
        request.session.pop(ACTING_KEY, None)
    elif ward_get(account=account, patient_id=wanted, now=timezone.now()) is not None:
        request.session[ACTING_KEY] = wanted
    else:
        raise Http404
    return redirect("portal:home")


@patient_required
def questionnaire(request):
    form = forms.QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire_submit(
                patient=request.patient,
                clinic=request.portal_clinic,
                answers=form.cleaned_data,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your answers were sent to the clinic."))
            return redirect("portal:home")
    return render(request, "portal/questionnaire.html", {"form": form})


def _service(request, service_id: int) -> OnlineService:
    # Only the published services of the patient's own clinic, while booking is open.
    if not clinic_settings(request.portal_clinic).booking_enabled:
        raise Http404
    return get_object_or_404(
        OnlineService.objects.select_related("clinic", "practitioner"),
        pk=service_id,
        clinic=request.portal_clinic,
        published=True,
    )


def _aware(day: dt.date, time: dt.time, zone) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone)


@patient_required
def book(request, service_id: int):
    service = _service(request, service_id)
    now = timezone.now()
    gate = eligibility_check(
        patient=request.patient, service=service, today=now.astimezone(service.clinic.zone).date()
    )
    if gate.stops:
        return render(
            request, "portal/not_eligible.html", {"service": service, "clinic": service.clinic}
        )
    zone = service.clinic.zone
    if request.method == "POST":
        date_forms = [
            forms.SessionDateForm(request.POST, prefix=f"s{i}") for i in range(service.sessions)
        ]
        error = None
        if all(f.is_valid() for f in date_forms):
            starts = [
                _aware(f.cleaned_data["day"], f.cleaned_data["time"], zone) for f in date_forms
            ]
            try:
                series_book(
                    patient=request.patient,
                    service=service,
                    starts=starts,
                    now=now,
                    request=request,
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Booked. We look forward to seeing you."))
                return redirect("portal:home")
    else:
        proposal = dates_propose(service=service, patient=request.patient, now=now)
        date_forms = [
            forms.SessionDateForm(
                prefix=f"s{i}",
                initial={
                    "day": start.astimezone(zone).date(),
                    "time": start.astimezone(zone).time().strftime("%H:%M"),
                },
            )
            for i, start in enumerate(proposal)
        ]
        error = None if proposal else _("No free dates were found: please call the clinic.")
    return render(
        request,
        "portal/book.html",
        {
            "service": service,
            "date_forms": date_forms,
            "error": error,
            "warn": gate.level == "warn",
        },
    )


def _appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("clinic", "practitioner"),
        pk=appointment_id,
        patient=request.patient,
    )


def _appointment_page(request, appt, *, error=None, move_form=None, status=200):
    zone = appt.clinic.zone
    if move_form is None:
        local = appt.starts_at.astimezone(zone)
        move_form = forms.SessionDateForm(
            prefix="move", initial={"day": local.date(), "time": local.strftime("%H:%M")}
        )
    policy = clinic_settings(appt.clinic)
    _audit_read(request, appt, view="appointment")
    return render(
        request,
        "portal/appointment.html",
        {
            "appointment": appt,
            "error": error,
            "move_form": move_form,
            "changeable": appt.status in ("booked", "confirmed")
            and appt.starts_at - timezone.now() >= dt.timedelta(hours=policy.change_until_hours),
            "policy": policy,
        },
        status=status,
    )


@patient_required
def appointment(request, appointment_id: int):
    appt = _appointment(request, appointment_id)
    if request.method == "POST":
        try:
            appointment_cancel_online(
                patient=request.patient, appointment=appt, now=timezone.now(), request=request
            )
        except ValidationError as exc:
            return _appointment_page(request, appt, error=" ".join(exc.messages), status=400)
        messages.success(request, _("Your visit is cancelled."))
        return redirect("portal:home")
    return _appointment_page(request, appt)


@patient_required
def appointment_move(request, appointment_id: int):
    """Another date and time for the visit, within the clinic's policy and the course."""
    appt = _appointment(request, appointment_id)
    if request.method != "POST":
        return _appointment_page(request, appt)
    form = forms.SessionDateForm(request.POST, prefix="move")
    if form.is_valid():
        starts_at = _aware(form.cleaned_data["day"], form.cleaned_data["time"], appt.clinic.zone)
        try:
            appointment_reschedule_online(
                patient=request.patient,
                appointment=appt,
                starts_at=starts_at,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Your visit is moved. The clinic has been told."))
            return redirect("portal:appointment", appt.pk)
    appt.refresh_from_db()
    return _appointment_page(request, appt, move_form=form, status=400)


@patient_required
def appointment_ics(request, appointment_id: int):
    appt = _appointment(request, appointment_id)
    _audit_read(request, appt, view="ics")
    from mesoclinic.scheduling.tasks import appointment_ics as ics

    response = HttpResponse(ics(appt), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="visit-{appt.pk}.ics"'
    return response


def _plan(request, plan_id: int):
    from mesoclinic.consultations.models import TreatmentPlan

    return get_object_or_404(
        TreatmentPlan.objects.select_related("clinic", "practitioner", "patient"),
        pk=plan_id,
        patient=request.patient,
    )


@patient_required
def consent(request, plan_id: int):
    from mesoclinic.consultations.consent import plan_consent_text, text_blocks
    from mesoclinic.portal.services import consent_sign_online

    plan = _plan(request, plan_id)
    form = forms.SignatureForm(
        request.POST or None, initial={"signer_name": request.patient.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            consent_sign_online(
                patient=request.patient,
                plan=plan,
                signer_name=form.cleaned_data["signer_name"],
                drawn=form.cleaned_data["signature"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you: your consent is signed."))
            return redirect("portal:treatments")
    _audit_read(request, plan, view="consent")
    text = plan_consent_text(plan, today=timezone.localdate())
    return render(
        request,
        "portal/consent.html",
        {
            "plan": plan,
            "form": form,
            "blocks": text_blocks(text),
            "text_lang": plan.patient.preferred_language,
        },
    )


@patient_required
def consent_pdf(request, consent_id: int):
    from mesoclinic.consultations.documents import consent_pdf as render_pdf
    from mesoclinic.consultations.models import Consent

    signed = get_object_or_404(
        Consent.objects.select_related("plan", "plan__clinic"),
        pk=consent_id,
        patient=request.patient,
    )
    pdf = render_pdf(consent=signed, base_url=request.build_absolute_uri("/"))
    return _audited_pdf(request, signed, pdf, f"consent-{signed.pk}.pdf")


@patient_required
def treatments(request):
    from mesoclinic.charting.models import TreatmentSession
    from mesoclinic.photos.models import PhotoConsent

    sessions = (
        TreatmentSession.objects.filter(patient=request.patient, status="signed")
        .select_related("practitioner", "clinic")
        .order_by("-session_date", "-pk")
    )
    from mesoclinic.consultations.models import Consent
    from mesoclinic.portal.photo_views import shared_outcomes

    outcomes = shared_outcomes(request)
    photo_consents = list(
        PhotoConsent.objects.filter(patient=request.patient).order_by("-signed_at", "-id")
    )
    # One event for the page, naming the photographs shown (their thumbnails add none).
    _audit_read(
        request,
        request.patient,
        view="treatments",
        photos=[p["pk"] for p in outcomes["photos"]],
    )
    return render(
        request,
        "portal/treatments.html",
        {
            "sessions": sessions,
            "consents": Consent.objects.filter(patient=request.patient).select_related("plan"),
            "photo_consents": photo_consents,
            "photo_consent_current": next((c for c in photo_consents if c.is_current), None),
            **outcomes,
        },
    )


def _audited_pdf(request, obj, pdf: bytes, filename: str, **detail) -> HttpResponse:
    """A PDF of the patient's own record, its download audited as an export by the portal."""
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        actor=portal_actor(organisation_id=request.patient.organisation_id),
        organisation_id=request.patient.organisation_id,
        obj=obj,
        detail={"portal": True, **detail},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@patient_required
def aftercare_pdf(request, session_id: int):
    from mesoclinic.charting.aftercare import aftercare_pdf as render_pdf
    from mesoclinic.charting.models import TreatmentSession

    session = get_object_or_404(
        TreatmentSession, pk=session_id, patient=request.patient, status="signed"
    )
    language = request.patient.preferred_language
    pdf = render_pdf(session=session, language=language)
    return _audited_pdf(request, session, pdf, f"aftercare-{session.pk}.pdf", aftercare=language)


def _my_data_page(request, erasure_form=None, status=200):
    patient = request.patient
    copies = list(data_copies(patient=patient)[:5])
    _audit_read(request, patient, view="my_data")
    return render(
        request,
        "portal/my_data.html",
        {
            "copies": copies,
            "preparing": any(c.status in ("pending", "running") for c in copies),
            "erasures": list(data_erasures(patient=patient)),
            "erasure_form": erasure_form or forms.ErasureRequestForm(),
            "clinic": request.portal_clinic,
        },
        status=status,
    )


@patient_required
def my_data(request):
    return _my_data_page(request)


@require_POST
@patient_required
def my_data_copy(request):
    data_copy_request(patient=request.patient)
    messages.success(
        request, _("We are preparing your copy. It appears on this page when it is ready.")
    )
    return redirect("portal:my_data")


@patient_required
def my_data_download(request, access_id: int):
    access, archive = data_copy_download(
        patient=request.patient, access_id=access_id, request=request
    )
    response = HttpResponse(archive, content_type="application/zip")
    when = timezone.localtime(access.requested_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="my-data-{when}.zip"'
    return response


@require_POST
@patient_required
def my_data_erasure(request):
    if request.patient.pk != request.portal_account.patient_id:
        raise Http404  # a parent does not close a child's record online: the clinic does
    form = forms.ErasureRequestForm(request.POST)
    if not form.is_valid():
        return _my_data_page(request, erasure_form=form, status=400)
    erasure = data_erasure_request(patient=request.patient, reason=form.cleaned_data["reason"])
    clinic = request.portal_clinic
    request.session.flush()  # the account is closed: nothing of the session survives
    request.patient = None
    return render(request, "portal/erasure_received.html", {"erasure": erasure, "clinic": clinic})
