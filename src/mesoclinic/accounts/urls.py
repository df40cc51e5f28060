from django.urls import path

from mesoclinic.accounts import views

app_name = "accounts"
urlpatterns = [
    path("language/", views.language_set, name="language"),
    path("clinic/switch/", views.clinic_switch, name="clinic_switch"),
    path("clinic/", views.clinic_settings, name="clinic"),
]
