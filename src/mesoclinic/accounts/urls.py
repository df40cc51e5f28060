from django.urls import path

from mesoclinic.accounts import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("language/", views.language_set, name="language"),
    path("clinic/switch/", views.clinic_switch, name="clinic_switch"),
    path("clinic/", views.clinic_settings, name="clinic"),
    path("clinics/new/", admin_views.clinic_add_view, name="clinic_add"),
    path("clinics/<int:clinic_id>/", admin_views.clinic_edit_view, name="clinic_edit"),
    path("staff/new/", admin_views.staff_add_view, name="staff_add"),
    path("staff/<int:user_id>/", admin_views.staff_detail_view, name="staff"),
    path("invitation/<uidb64>/<token>/", admin_views.InviteAcceptView.as_view(), name="invite"),
    path("invitation/done/", admin_views.invite_done_view, name="invite_done"),
]
