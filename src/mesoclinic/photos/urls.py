from django.urls import path

from mesoclinic.photos import views

app_name = "photos"

urlpatterns = [
    path("patient/<int:patient_id>/", views.patient_photos_view, name="patient"),
    path("patient/<int:patient_id>/consent/", views.consent_sign_view, name="consent_sign"),
    path("patient/<int:patient_id>/capture/", views.capture_view, name="capture"),
    path("patient/<int:patient_id>/compare/", views.compare_view, name="compare"),
    path("consents/<int:photo_consent_id>/", views.consent_detail_view, name="consent"),
    path("consents/<int:photo_consent_id>/pdf/", views.consent_pdf_view, name="consent_pdf"),
    path(
        "consents/<int:photo_consent_id>/withdraw/",
        views.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("<int:photo_id>/", views.photo_detail_view, name="detail"),
    path("<int:photo_id>/image/", views.photo_image_view, name="image"),
    path("<int:photo_id>/thumb/", views.photo_image_view, {"size": "thumb"}, name="thumb"),
]
