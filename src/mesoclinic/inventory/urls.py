from django.urls import path

from mesoclinic.inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.index, name="index"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/", views.product_detail, name="product"),
    path("lots/", views.lot_list, name="lots"),
    path("lots/receive/", views.receive, name="receive"),
    path("lots/<int:lot_id>/", views.lot_detail, name="lot"),
    path("lots/<int:lot_id>/status/", views.lot_status, name="lot_status"),
    path("lots/<int:lot_id>/movement/", views.lot_movement, name="lot_movement"),
    path("lots/<int:lot_id>/recall/", views.recall, name="recall"),
    path("lots/<int:lot_id>/recall.<str:fmt>", views.recall_export, name="recall_export"),
    path("patients/<int:patient_id>/", views.patient_lots, name="patient"),
    path("signals/", views.signals, name="signals"),
    path("settings/", views.policy, name="policy"),
    path("import/", views.delivery_import, name="import"),
    path("import/<int:import_id>/", views.delivery_import_status, name="import_status"),
]
