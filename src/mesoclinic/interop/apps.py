from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "mesoclinic.interop"
    label = "interop"
    verbose_name = _("Interoperability and data rights")

    def ready(self) -> None:
        from mesoclinic.jobs.services import job_kind_register

        # The bulk export shows on the Background work page with its progress.
        job_kind_register("fhir_export", _("Export of all patients' records"))
