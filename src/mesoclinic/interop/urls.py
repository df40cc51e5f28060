from django.urls import path

from mesoclinic.interop import views

app_name = "interop"
urlpatterns = [
    path("patients/<int:patient_id>/", views.data_rights_view, name="data_rights"),
    path("patients/<int:patient_id>/copy/", views.access_request_view, name="access_request"),
    path("patients/<int:patient_id>/erase/", views.erasure_request_view, name="erasure_request"),
    path("patients/<int:patient_id>/reported/", views.reported_view, name="reported"),
    path("copies/<int:access_id>/download/", views.access_download_view, name="access_download"),
]
