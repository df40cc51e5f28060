from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "mesoclinic.web"
    label = "web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        from mesoclinic.jobs.services import job_kind_register

        # Signed documents drawn by the worker (web.document_tasks): shown only if failed.
        job_kind_register("documents", _("PDF of a signed document"))
