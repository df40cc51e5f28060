from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "mesoclinic.api"
    label = "api"
    verbose_name = _("HTTP API")

    def ready(self) -> None:
        from mesoclinic.api import signals

        signals.connect()
