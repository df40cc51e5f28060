from django.urls import path

from mesoclinic.charting import views

app_name = "charting"
urlpatterns = [
    path("", views.day_view, name="day"),
    path("check-in/<int:appointment_id>/", views.checkin_view, name="checkin"),
    path("<int:session_id>/", views.session_view, name="session"),
    path("<int:session_id>/override/", views.override_view, name="override"),
    path("<int:session_id>/override/cosign/", views.override_cosign_view, name="override_cosign"),
    path("<int:session_id>/postpone/", views.postpone_view, name="postpone"),
    path("<int:session_id>/chart/", views.chart_view, name="chart"),
    path("<int:session_id>/totals/", views.totals_view, name="totals"),
    path("<int:session_id>/sign/", views.sign_view, name="sign"),
    path("<int:session_id>/addenda/", views.addendum_view, name="addendum"),
    path("<int:session_id>/side-effects/", views.side_effect_view, name="side_effect"),
    path("<int:session_id>/aftercare.pdf", views.aftercare_pdf_view, name="aftercare_pdf"),
    path("<int:session_id>/record.pdf", views.record_pdf_view, name="record_pdf"),
    path("<int:session_id>/aftercare/email/", views.aftercare_email_view, name="aftercare_email"),
    path(
        "aftercare-durations/<int:clinic_id>/",
        views.aftercare_durations_view,
        name="aftercare_durations",
    ),
    path(
        "screening-settings/<int:clinic_id>/",
        views.screening_settings_view,
        name="screening_settings",
    ),
]
