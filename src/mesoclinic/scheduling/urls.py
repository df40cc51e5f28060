from django.urls import path

from mesoclinic.scheduling import course_views, planner_views, resource_views, views

app_name = "scheduling"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("book/", views.book_view, name="book"),
    path("book/patients/", views.patient_pick_view, name="patient_pick"),
    path("appointments/<int:appointment_id>/", views.appointment_view, name="appointment"),
    path("patients/<int:patient_id>/", views.patient_schedule_view, name="patient"),
    path("feeds/", views.feed_create_view, name="feed_create"),
    path("resources/", resource_views.resources_view, name="resources"),
    path("planner/", planner_views.clinic_planner_view, name="planner"),
    path("planner/runs/<int:run_id>/", planner_views.planner_run_view, name="planner_run"),
    path(
        "planner/runs/<int:run_id>/book/",
        planner_views.planner_run_book_view,
        name="planner_run_book",
    ),
    path(
        "planner/bookings/<int:booking_id>/",
        planner_views.planner_booking_view,
        name="planner_booking",
    ),
    path(
        "patients/<int:patient_id>/availability/",
        resource_views.availability_view,
        name="availability",
    ),
    path("courses/<int:plan_id>/", course_views.course_book_view, name="course_book"),
    path("courses/<int:plan_id>/replan/", course_views.course_replan_view, name="course_replan"),
    path("feeds/<str:token>.ics", views.feed_ics_view, name="feed_ics"),
]
