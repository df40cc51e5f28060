from django.urls import path

from mesoclinic.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_view, name="patient"),
    path("sessions/<int:session_id>/", views.session_view, name="session"),
    path("report/", views.report_view, name="report"),
]
