"""The audit trail: who read or changed which patient-data object, when, from where.

Append-only. The database itself refuses UPDATE and DELETE on this table (triggers
in migration 0002); the model refuses them too, so the mistake is caught early.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesoclinic.choices import ChoiceLabels


class AuditAction(models.TextChoices):
    READ = "read", _("Read")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    SIGN = "sign", _("Sign")
    OVERRIDE = "override", _("Override")
    LOGIN = "login", _("Sign in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Sign out")


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEvent(ChoiceLabels, models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Kept as text too, so the trail still reads right if the user is renamed.
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    patient_id = models.BigIntegerField(_("patient id"), null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    path = models.CharField(_("page"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "-at"], name="audit_org_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
