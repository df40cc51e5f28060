"""The clinic's side of the portal: invite a patient, confirm answers, review bookings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.scope import get_in_clinic_or_404
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.patients.models import HistoryFact
from mesoclinic.patients.selectors import patient_get
from mesoclinic.portal.models import OnlineBooking, OnlineChange, Questionnaire
from mesoclinic.portal.services import portal_invite, questionnaire_confirm


@require_POST
@login_required
def invite_view(request, patient_id: int):
    patient = patient_get(scope=request.scope, patient_id=patient_id)
    request.scope.require("patients.edit_demographics")
    try:
        portal_invite(
            scope=request.scope,
            patient=patient,
            base_url=request.build_absolute_uri("/"),
            now=timezone.now(),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": patient.email})
    return redirect("patients:detail", patient.pk)


@require_POST
@login_required
def guardian_view(request, patient_id: int):
    """The clinic names a parent's or guardian's portal account for a patient under 18."""
    from mesoclinic.portal.services import guardian_link

    patient = patient_get(scope=request.scope, patient_id=patient_id)
    try:
        link = guardian_link(
            scope=request.scope,
            child=patient,
            email=request.POST.get("email", ""),
            now=timezone.now(),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s can now see this record in the portal until it turns 18.")
            % {"name": link.account.patient.full_name},
        )
    return redirect("patients:detail", patient.pk)


@login_required
def questionnaire_view(request, questionnaire_id: int):
    questionnaire = get_in_clinic_or_404(
        Questionnaire.objects.select_related("patient", "clinic", "confirmed_by"),
        request.scope,
        permission="patients.view_clinical",
        pk=questionnaire_id,
    )
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=questionnaire,
        patient_id=questionnaire.patient_id,
    )
    if request.method == "POST":
        try:
            questionnaire_confirm(
                scope=request.scope,
                questionnaire=questionnaire,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The patient's answers are confirmed."))
            back = request.POST.get("next", "")
            # Confirmed from the check-in page: back there, on this site only.
            if back.startswith("/") and url_has_allowed_host_and_scheme(back, None):
                return redirect(back)
            return redirect("portal_staff:questionnaire", questionnaire.pk)
    facts = HistoryFact.objects.filter(
        organisation_id=request.scope.organisation_id, pk__in=questionnaire.fact_ids
    ).select_related("superseded_by")
    may_confirm = request.scope.can_in("patients.edit_clinical", questionnaire.clinic_id)
    return render(
        request,
        "portal/staff_questionnaire.html",
        {"q": questionnaire, "facts": facts, "may_confirm": may_confirm},
    )


@require_POST
@login_required
def booking_review_view(request, online_booking_id: int):
    booking = get_in_clinic_or_404(
        OnlineBooking, request.scope, permission="schedule.book", pk=online_booking_id
    )
    if booking.reviewed_at is None:
        OnlineBooking.objects.filter(pk=booking.pk, reviewed_at__isnull=True).update(
            reviewed_by_id=request.scope.user_id, reviewed_at=timezone.now()
        )
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            obj=booking,
            patient_id=booking.patient_id,
            detail={"reviewed": True},
        )
    messages.success(request, _("Marked as seen."))
    return redirect("home")


@require_POST
@login_required
def change_review_view(request, online_change_id: int):
    change = get_in_clinic_or_404(
        OnlineChange, request.scope, permission="schedule.book", pk=online_change_id
    )
    if change.reviewed_at is None:
        OnlineChange.objects.filter(pk=change.pk, reviewed_at__isnull=True).update(
            reviewed_by_id=request.scope.user_id, reviewed_at=timezone.now()
        )
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            obj=change,
            patient_id=change.patient_id,
            detail={"reviewed": True},
        )
    messages.success(request, _("Marked as seen."))
    return redirect("home")


@require_POST
@login_required
def registration_review_view(request, self_registration_id: int):
    """The front desk has checked a patient who registered online (and any look-alikes)."""
    from mesoclinic.portal.models import SelfRegistration
    from mesoclinic.portal.services import self_registration_review

    registration = get_in_clinic_or_404(
        SelfRegistration,
        request.scope,
        permission="patients.edit_demographics",
        pk=self_registration_id,
    )
    self_registration_review(
        scope=request.scope, registration=registration, now=timezone.now(), request=request
    )
    messages.success(request, _("Marked as checked."))
    return redirect("home")


@login_required
def clinic_portal_view(request, clinic_id: int):
    """The owner's online-booking page of one clinic: policy, services, booking page link."""
    from django.conf import settings as conf
    from django.urls import reverse

    from mesoclinic.accounts.models import Clinic
    from mesoclinic.portal import forms
    from mesoclinic.portal.models import OnlineService
    from mesoclinic.portal.services import (
        clinic_settings,
        online_service_create,
        online_service_publish,
        portal_settings_set,
    )
    from mesoclinic.web.forms import form_add_validation_error

    clinic = get_in_clinic_or_404(
        Clinic, request.scope, permission="clinic.manage", clinic_attr="pk", pk=clinic_id
    )
    current = clinic_settings(clinic)
    settings_form = forms.PortalSettingsForm(
        request.POST if request.POST.get("action") == "settings" else None,
        initial={
            "booking_enabled": current.booking_enabled,
            "lead_time_hours": current.lead_time_hours,
            "change_until_hours": current.change_until_hours,
            "share_outcomes": current.share_outcomes,
        },
    )
    service_form = forms.OnlineServiceForm(
        request.POST if request.POST.get("action") == "service" else None, clinic=clinic
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "settings" and settings_form.is_valid():
                portal_settings_set(
                    scope=request.scope,
                    clinic=clinic,
                    request=request,
                    **settings_form.cleaned_data,
                )
                messages.success(request, _("Saved."))
                return redirect("portal_staff:clinic", clinic.pk)
            if action == "service" and service_form.is_valid():
                online_service_create(
                    scope=request.scope, clinic=clinic, request=request, **service_form.cleaned_data
                )
                messages.success(request, _("The service is published."))
                return redirect("portal_staff:clinic", clinic.pk)
            if action in ("publish", "hide"):
                service = OnlineService.objects.filter(
                    clinic=clinic, pk=request.POST.get("service")
                ).first()
                if service is not None:
                    online_service_publish(
                        scope=request.scope,
                        service=service,
                        published=action == "publish",
                        request=request,
                    )
                return redirect("portal_staff:clinic", clinic.pk)
        except ValidationError as exc:
            form_add_validation_error(service_form if action == "service" else settings_form, exc)
    base = conf.PORTAL_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "portal/staff_clinic.html",
        {
            "clinic": clinic,
            "settings_form": settings_form,
            "service_form": service_form,
            "services": OnlineService.objects.filter(clinic=clinic).select_related("practitioner"),
            "booking_url": base + reverse("portal:register", args=[clinic.pk]),
        },
    )
