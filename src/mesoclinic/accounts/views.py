from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mesoclinic.accounts.forms import LoginForm
from mesoclinic.accounts.middleware import CLINIC_SESSION_KEY
from mesoclinic.accounts.selectors import clinic_list, staff_list
from mesoclinic.accounts.services import user_language_set


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def _safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@login_required
@require_POST
def language_set(request):
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("unknown language")
    user_language_set(user=request.user, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(_safe_next(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@login_required
@require_POST
def clinic_switch(request):
    scope = request.scope
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        return HttpResponseBadRequest("clinic")
    if scope is None or clinic_id not in scope.clinic_ids:
        return HttpResponseBadRequest("clinic")
    request.session[CLINIC_SESSION_KEY] = clinic_id
    return HttpResponseRedirect(_safe_next(request))


@login_required
def clinic_settings(request):
    scope = request.scope
    if scope is None:
        raise Http404
    return render(
        request,
        "accounts/clinic_settings.html",
        {"clinics": clinic_list(scope=scope), "staff": staff_list(scope=scope)},
    )
