from django.urls import path

from mesoclinic.portal import staff_views

app_name = "portal_staff"
urlpatterns = [
    path("patients/<int:patient_id>/invite/", staff_views.invite_view, name="invite"),
    path("patients/<int:patient_id>/guardian/", staff_views.guardian_view, name="guardian"),
    path(
        "questionnaires/<int:questionnaire_id>/",
        staff_views.questionnaire_view,
        name="questionnaire",
    ),
    path(
        "bookings/<int:online_booking_id>/seen/",
        staff_views.booking_review_view,
        name="booking_seen",
    ),
    path(
        "changes/<int:online_change_id>/seen/",
        staff_views.change_review_view,
        name="change_seen",
    ),
    path(
        "registrations/<int:self_registration_id>/checked/",
        staff_views.registration_review_view,
        name="registration_checked",
    ),
    path("clinics/<int:clinic_id>/", staff_views.clinic_portal_view, name="clinic"),
]
