from django.urls import path

from mesoclinic.portal import photo_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.signin, name="signin"),
    path("sign-in/code/", views.code_request, name="code_request"),
    path("sign-in/code/enter/", views.code_enter, name="code_enter"),
    path("sign-out/", views.signout, name="signout"),
    path("invitation/<str:token>/", views.invite, name="invite"),
    path("register/<int:clinic_id>/", views.register, name="register"),
    path("register/<int:clinic_id>/code/", views.register_verify, name="register_verify"),
    path("visit/<str:token>/", views.visit_link, name="visit_link"),
    path("switch/", views.switch, name="switch"),
    path("language/", views.language, name="language"),
    path("questionnaire/", views.questionnaire, name="questionnaire"),
    path("book/<int:service_id>/", views.book, name="book"),
    path("visits/<int:appointment_id>/", views.appointment, name="appointment"),
    path("visits/<int:appointment_id>/move/", views.appointment_move, name="appointment_move"),
    path("visits/<int:appointment_id>/calendar.ics", views.appointment_ics, name="appointment_ics"),
    path("consents/<int:plan_id>/", views.consent, name="consent"),
    path("consents/signed/<int:consent_id>.pdf", views.consent_pdf, name="consent_pdf"),
    path("photo-consent/", photo_views.photo_consent, name="photo_consent"),
    path(
        "photo-consents/<int:photo_consent_id>.pdf",
        photo_views.photo_consent_pdf,
        name="photo_consent_pdf",
    ),
    path(
        "photo-consents/<int:photo_consent_id>/withdraw/",
        photo_views.photo_consent_withdraw,
        name="photo_consent_withdraw",
    ),
    path("photos/<int:photo_id>/", photo_views.photo_image, name="photo"),
    path(
        "photos/<int:photo_id>/thumb/",
        photo_views.photo_image,
        {"size": "thumb"},
        name="photo_thumb",
    ),
    path("treatments/", views.treatments, name="treatments"),
    path("treatments/<int:session_id>/aftercare.pdf", views.aftercare_pdf, name="aftercare_pdf"),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/copy/", views.my_data_copy, name="my_data_copy"),
    path("my-data/copies/<int:access_id>.zip", views.my_data_download, name="my_data_download"),
    path("my-data/erasure/", views.my_data_erasure, name="my_data_erasure"),
]
