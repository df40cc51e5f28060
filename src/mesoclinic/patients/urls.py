from django.urls import path

from mesoclinic.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list_view, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("<int:patient_id>/", views.patient_detail_view, name="detail"),
    path("<int:patient_id>/edit/", views.patient_edit_view, name="edit"),
    path("<int:patient_id>/history/add/", views.history_add_view, name="history_add"),
    path("<int:patient_id>/history/", views.history_versions_view, name="history_versions"),
    path("history/<int:fact_id>/correct/", views.history_correct_view, name="history_correct"),
    path("history/<int:fact_id>/withdraw/", views.history_retract_view, name="history_retract"),
]
