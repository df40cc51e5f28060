"""Owners' administration pages: add and edit clinics (hours, closures) and staff."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mesoclinic.accounts.admin_forms import (
    ClinicForm,
    ClosureForm,
    CredentialForm,
    OpeningHoursForm,
    PasswordPairForm,
    RoleForm,
    StaffAddForm,
)
from mesoclinic.accounts.clinic_services import (
    clinic_add,
    clinic_appointments_ahead,
    clinic_closure_add,
    clinic_closure_remove,
    clinic_hours_set,
    clinic_update,
)
from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Membership, Organisation, Role
from mesoclinic.accounts.selectors import clinic_get, clinic_list, staff_get
from mesoclinic.accounts.staff_services import (
    staff_add,
    staff_deactivate,
    staff_invite_send,
    staff_password_set,
    staff_reactivate,
    staff_role_add,
    staff_role_remove,
)
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.web.forms import form_add_validation_error

DETAIL_FIELDS = ("name", "address", "phone", "time_zone", "locale", "jurisdiction")


def _owner_scope(request):
    scope = request.scope
    if scope is None:
        raise Http404
    scope.require("clinic.manage")
    return scope


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _add_errors(exc: ValidationError, *forms_) -> None:
    """A service error on whichever form has the field it names (else the first form)."""
    if not hasattr(exc, "error_dict"):
        form_add_validation_error(forms_[0], exc)
        return
    for name, errors in exc.error_dict.items():
        target = next((f for f in forms_ if name in f.fields), forms_[0])
        form_add_validation_error(target, ValidationError({name: errors}))


@login_required
def clinic_add_view(request):
    scope = _owner_scope(request)
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    details = ClinicForm(
        request.POST or None,
        prefix="clinic",
        initial={"time_zone": request.clinic.time_zone if request.clinic else "UTC"},
    )
    hours = OpeningHoursForm(request.POST or None, prefix="hours")
    if request.method == "POST" and details.is_valid() and hours.is_valid():
        try:
            clinic = clinic_add(
                scope=scope,
                organisation=organisation,
                hours=hours.hours(),
                request=request,
                **{f: details.cleaned_data[f] for f in DETAIL_FIELDS},
            )
        except ValidationError as exc:
            _add_errors(exc, details, hours)
        else:
            messages.success(request, _("Clinic %(name)s added.") % {"name": clinic})
            return redirect("accounts:clinic_edit", clinic_id=clinic.pk)
    return render(
        request, "accounts/clinic_form.html", {"details": details, "hours": hours, "clinic": None}
    )


@login_required
def clinic_edit_view(request, clinic_id: int):
    scope = _owner_scope(request)
    clinic = clinic_get(scope=scope, clinic_id=clinic_id)
    action = request.POST.get("action") if request.method == "POST" else None
    details = ClinicForm(
        request.POST if action == "details" else None,
        prefix="clinic",
        initial={f: getattr(clinic, f) for f in DETAIL_FIELDS},
        booked_ahead=clinic_appointments_ahead(clinic),
    )
    hours = OpeningHoursForm(
        request.POST if action == "details" else None,
        prefix="hours",
        initial=OpeningHoursForm.initial_from(clinic.opening_hours.all()),
    )
    closure = ClosureForm(request.POST if action == "closure" else None, prefix="closure")
    try:
        if action == "details" and details.is_valid() and hours.is_valid():
            try:
                # Details and hours are one form: saved together or not at all.
                with transaction.atomic():
                    clinic_update(
                        scope=scope,
                        clinic=clinic,
                        request=request,
                        confirm_zone_change=details.cleaned_data.get("confirm_zone_change", False),
                        **{f: details.cleaned_data[f] for f in DETAIL_FIELDS},
                    )
                    clinic_hours_set(
                        scope=scope, clinic=clinic, hours=hours.hours(), request=request
                    )
            except ValidationError:
                clinic.refresh_from_db()
                raise
            messages.success(request, _("Saved."))
            return redirect("accounts:clinic_edit", clinic_id=clinic.pk)
        if action == "closure" and closure.is_valid():
            d = closure.cleaned_data
            days = clinic_closure_add(
                scope=scope,
                clinic=clinic,
                first_day=d["first_day"],
                last_day=d["last_day"] or d["first_day"],
                name=d["name"],
                request=request,
            )
            messages.success(request, _("Closed on %(n)s day(s).") % {"n": days})
            return redirect("accounts:clinic_edit", clinic_id=clinic.pk)
        if action == "reopen":
            day = dt.date.fromisoformat(request.POST.get("day", ""))
            clinic_closure_remove(scope=scope, clinic=clinic, day=day, request=request)
            messages.success(request, _("Open again on %(day)s.") % {"day": day})
            return redirect("accounts:clinic_edit", clinic_id=clinic.pk)
    except ValidationError as exc:
        if action == "closure":
            _add_errors(exc, closure)
        elif action == "details":
            _add_errors(exc, details, hours)
        else:
            messages.error(request, " ".join(exc.messages))
    except ValueError:
        messages.error(request, _("That is not a date."))
    from mesoclinic.scheduling.models import Holiday

    today = timezone.now().astimezone(clinic.zone).date()
    return render(
        request,
        "accounts/clinic_form.html",
        {
            "clinic": clinic,
            "details": details,
            "hours": hours,
            "closure": closure,
            "holidays": Holiday.objects.filter(clinic=clinic, day__gte=today).order_by("day"),
        },
    )


@login_required
def staff_add_view(request):
    scope = _owner_scope(request)
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    clinics = clinic_list(scope=scope)
    form = StaffAddForm(
        request.POST or None,
        clinics=clinics,
        initial={"clinic": request.clinic, "language": get_language(), "role": Role.PRACTITIONER},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        invite = d["access"] == StaffAddForm.INVITE
        try:
            user = staff_add(
                scope=scope,
                organisation=organisation,
                username=d["username"],
                email=d["email"],
                display_name=d["display_name"],
                language=d["language"],
                memberships=[(d["clinic"], Role(d["role"]))],
                password=None if invite else d["password1"],
                invite_base_url=_base_url(request),
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc = ValidationError(
                    {"password1": exc.error_dict.pop("password"), **exc.error_dict}
                )
            form_add_validation_error(form, exc)
        else:
            if invite:
                messages.success(
                    request,
                    _("%(name)s added; an invitation went to %(email)s.")
                    % {"name": user, "email": user.email},
                )
            else:
                messages.success(request, _("%(name)s added.") % {"name": user})
            return redirect("accounts:staff", user_id=user.pk)
    return render(request, "accounts/staff_add.html", {"form": form})


def _techniques() -> list[tuple[str, str]]:
    lang = current_language()
    return [(tid, t.name.get(lang)) for tid, t in load_knowledge().technique.items()]


@login_required
def staff_detail_view(request, user_id: int):
    from mesoclinic.scheduling.models import Credential
    from mesoclinic.scheduling.services import credential_grant

    scope = _owner_scope(request)
    person = staff_get(scope=scope, user_id=user_id)
    clinics = clinic_list(scope=scope)
    techniques = _techniques()
    action = request.POST.get("action") if request.method == "POST" else None
    role_form = RoleForm(request.POST if action == "role" else None, prefix="role", clinics=clinics)
    credential_form = CredentialForm(
        request.POST if action == "credential" else None, prefix="cred", techniques=techniques
    )
    password_form = PasswordPairForm(request.POST if action == "password" else None, prefix="pw")
    forms_ = {"role": role_form, "credential": credential_form, "password": password_form}
    try:
        done = None
        if action == "role" and role_form.is_valid():
            staff_role_add(
                scope=scope,
                user=person,
                clinic=role_form.cleaned_data["clinic"],
                role=role_form.cleaned_data["role"],
                request=request,
            )
            done = _("Role added.")
        elif action == "role_remove":
            membership = Membership.objects.filter(
                user=person, pk=request.POST.get("membership") or 0
            ).first()
            if membership is None:
                raise Http404
            staff_role_remove(scope=scope, membership=membership, request=request)
            done = _("Role removed.")
        elif action == "credential" and credential_form.is_valid():
            d = credential_form.cleaned_data
            credential_grant(
                scope=scope,
                practitioner=person,
                technique_id=d["technique_id"],
                trained_on=d["trained_on"],
                evidence=d["evidence"],
                today=timezone.localdate(),
                request=request,
            )
            done = _("Credential recorded.")
        elif action == "password" and password_form.is_valid():
            staff_password_set(
                scope=scope,
                user=person,
                password=password_form.cleaned_data["password1"],
                request=request,
            )
            done = _("Password set.")
        elif action == "invite":
            staff_invite_send(
                scope=scope, user=person, base_url=_base_url(request), request=request
            )
            done = _("An invitation went to %(email)s.") % {"email": person.email}
        elif action == "deactivate":
            staff_deactivate(scope=scope, user=person, request=request)
            done = _("%(name)s can no longer sign in.") % {"name": person}
        elif action == "reactivate":
            staff_reactivate(scope=scope, user=person, request=request)
            done = _("%(name)s can sign in again.") % {"name": person}
        if done:
            messages.success(request, done)
            return redirect("accounts:staff", user_id=person.pk)
    except ValidationError as exc:
        form = forms_.get(action)
        if form is None:
            messages.error(request, " ".join(exc.messages))
        else:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc = ValidationError({"password1": exc.error_dict["password"]})
            form_add_validation_error(form, exc)
    names = dict(techniques)
    credentials = [
        {"name": names.get(c.technique_id, _("a technique no longer in use")), "c": c}
        for c in Credential.objects.filter(practitioner=person).order_by("technique_id")
    ]
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "person": person,
            "memberships": list(person.memberships.all()),
            "is_practitioner": any(m.role == Role.PRACTITIONER for m in person.memberships.all()),
            "credentials": credentials,
            "forms": forms_,
            "is_self": person.pk == scope.user_id,
        },
    )


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The one-time link of an invitation: the new member of staff sets their password,
    in their own language, then signs in."""

    template_name = "accounts/invite_accept.html"
    success_url = reverse_lazy("accounts:invite_done")

    def dispatch(self, *args, **kwargs):
        user = self.get_user(kwargs["uidb64"])
        if user is None or not user.language:
            return super().dispatch(*args, **kwargs)
        with translation.override(user.language):
            self.request.LANGUAGE_CODE = user.language
            response = super().dispatch(*args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        # The pages after this one (and sign-in) speak the new user's language.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            self.user.language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response


def invite_done_view(request):
    return render(request, "accounts/invite_done.html")
