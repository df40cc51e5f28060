from django.urls import path

from mesoclinic.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list_view, name="list"),
    path("<int:job_id>/", views.job_detail_view, name="detail"),
    path("<int:job_id>/retry/", views.job_retry_view, name="retry"),
]
