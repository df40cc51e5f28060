from django.urls import path

from mesoclinic.api.views import api

urlpatterns = [path("", api.urls)]
