from django.urls import path

from mesoclinic.consultations import views, walkin_views

app_name = "consultations"
urlpatterns = [
    path("patient/<int:patient_id>/new/", views.consultation_create_view, name="create"),
    path("patient/<int:patient_id>/timeline/", views.timeline_view, name="timeline"),
    path("<int:consultation_id>/", views.consultation_detail_view, name="detail"),
    path("<int:consultation_id>/plan/new/", views.plan_create_view, name="plan_create"),
    path("plans/<int:plan_id>/", views.plan_detail_view, name="plan"),
    path("plans/<int:plan_id>/edit/", views.plan_update_view, name="plan_update"),
    path("plans/<int:plan_id>/preview/", views.plan_preview_view, name="plan_preview"),
    path("plans/<int:plan_id>/activate/", views.plan_activate_view, name="plan_activate"),
    path("plans/<int:plan_id>/cancel/", views.plan_cancel_view, name="plan_cancel"),
    path("plans/<int:plan_id>/consent/", views.consent_sign_view, name="consent_sign"),
    path("walk-in/<int:appointment_id>/", walkin_views.walkin_plan_view, name="walkin_plan"),
    path(
        "walk-in/<int:appointment_id>/consent/",
        walkin_views.walkin_consent_view,
        name="walkin_consent",
    ),
    path("consents/<int:consent_id>/", views.consent_detail_view, name="consent"),
    path("consents/<int:consent_id>/pdf/", views.consent_pdf_view, name="consent_pdf"),
]
