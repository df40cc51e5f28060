from django.contrib.auth import views as auth_views
from django.urls import include, path

from mesoclinic.accounts import views as account_views
from mesoclinic.accounts.forms import StaffPasswordResetForm
from mesoclinic.web import views as web_views

handler400 = "mesoclinic.web.views.bad_request"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/access/", include("mesoclinic.api.access_urls")),
    path("account/", include("mesoclinic.accounts.urls")),
    path("patients/", include("mesoclinic.patients.urls")),
    path("data-rights/", include("mesoclinic.interop.urls")),
    path("audit/", include("mesoclinic.audit.urls")),
    path("consultations/", include("mesoclinic.consultations.urls")),
    path("inventory/", include("mesoclinic.inventory.urls")),
    path("schedule/", include("mesoclinic.scheduling.urls")),
    path("sessions/", include("mesoclinic.charting.urls")),
    path("outcomes/", include("mesoclinic.outcomes.urls")),
    path("photos/", include("mesoclinic.photos.urls")),
    path("api/v1/", include("mesoclinic.api.urls")),
    path("background/", include("mesoclinic.jobs.urls")),
    # The patient portal: its own session cookie (portal.middleware), its own pages.
    path("portal/", include("mesoclinic.portal.urls")),
    path("clinic-portal/", include("mesoclinic.portal.staff_urls")),
]
