"""The patient side: portal accounts, their one-time tokens, questionnaires and online bookings.

A portal account is not a `User`: patients never hold a staff session, and staff never
hold a patient one (see `middleware.PortalSessionMiddleware`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalAccount(models.Model):
    """One patient's sign-in to the portal: their e-mail and (once set) a password."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_account"
    )
    email = models.EmailField(_("email"))
    password = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal account")
        constraints = [
            # One account per e-mail address in an organisation: the sign-in names a person.
            models.UniqueConstraint(fields=["organisation", "email"], name="portal_email_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class TokenPurpose(models.TextChoices):
    INVITE = "invite", _("Invitation")
    CODE = "code", _("One-time code")


class PortalToken(models.Model):
    """A single-use secret sent by e-mail: an invitation link or a sign-in code.

    Only a keyed hash is stored; a token is spent when used, when it expires, or
    after too many wrong guesses.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=10, choices=TokenPurpose.choices)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=[p.value for p in TokenPurpose]),
                name="portal_token_purpose_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Questionnaire(models.Model):
    """One pre-visit questionnaire a patient sent: the history facts it recorded.

    The facts themselves are ordinary, versioned history facts recorded by the
    portal; the clinician confirms them here (or corrects them in the history).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaires"
    )
    submitted_at = models.DateTimeField(_("sent at"))
    fact_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pre-visit questionnaire")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient} — {self.submitted_at:%Y-%m-%d}"


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SESSION = "session", _("Single session")
    COURSE = "course", _("Course")


class OnlineService(models.Model):
    """A service a clinic publishes for online booking, with who performs it."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="online_services"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    protocol_id = models.CharField(_("protocol"), max_length=100, blank=True)
    technique_id = models.CharField(_("technique"), max_length=100, blank=True)
    product_id = models.CharField(_("product"), max_length=100, blank=True)
    zones = models.JSONField(_("zones"), default=list, blank=True)
    sessions = models.PositiveSmallIntegerField(_("number of sessions"), default=1)
    duration_min = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published = models.BooleanField(_("bookable online"), default=True)

    class Meta:
        verbose_name = _("online service")
        ordering = ["clinic", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in ServiceKind]),
                name="online_service_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(sessions__gte=1), name="online_service_sessions_min_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PortalSettings(models.Model):
    """A clinic's portal policy: online booking (lead time, how late a patient may change)
    and whether patients see their own outcome scores and photographs."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="portal_settings"
    )
    booking_enabled = models.BooleanField(_("online booking open"), default=True)
    lead_time_hours = models.PositiveSmallIntegerField(_("book at least (hours ahead)"), default=24)
    change_until_hours = models.PositiveSmallIntegerField(
        _("reschedule or cancel up to (hours before)"), default=24
    )
    # Off by default: a clinic decides to show patients their own scores and photographs.
    share_outcomes = models.BooleanField(
        _("share outcome scores and photos with patients in the portal"), default=False
    )

    class Meta:
        verbose_name = _("online booking settings")
        verbose_name_plural = _("online booking settings")

    def __str__(self) -> str:
        return str(self.clinic)


class OnlineBooking(models.Model):
    """A series of appointments a patient booked online, with the screening it passed."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="online_bookings"
    )
    service = models.ForeignKey(OnlineService, on_delete=models.PROTECT, related_name="bookings")
    appointment_ids = models.JSONField(default=list)
    screening_level = models.CharField(max_length=10)
    # Plain-language warnings the clinician reviews (never shown to the patient as rules).
    warnings = models.JSONField(default=list, blank=True)
    knowledge_version = models.CharField(max_length=64)
    booked_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("online booking")
        ordering = ["-booked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient} — {self.service} ({self.booked_at:%Y-%m-%d})"


class ChangeKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("Moved")
    CANCEL = "cancel", _("Cancelled")


class OnlineChange(models.Model):
    """A visit the patient moved or cancelled online: the front desk reviews it."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="online_changes"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="online_changes"
    )
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    old_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change made online")
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in ChangeKind]),
                name="online_change_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.get_kind_display()} ({self.changed_at:%Y-%m-%d})"


class SelfRegistration(models.Model):
    """A patient who registered on a clinic's public booking page: a new record the front
    desk reviews. It is never linked to an existing record automatically; records that
    look like the same person are listed for the receptionist to check."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="self_registration"
    )
    account = models.ForeignKey(PortalAccount, on_delete=models.PROTECT, related_name="+")
    # Ids of the organisation's patients with the same name and birth date, or e-mail.
    possible_duplicates = models.JSONField(default=list, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("self-registration")
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient} ({self.registered_at:%Y-%m-%d})"


class Guardianship(models.Model):
    """A portal account (a parent or guardian) may see a child's record while the child
    is under 18 by the clinic's calendar; set by the clinic."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        PortalAccount, on_delete=models.CASCADE, related_name="guardianships"
    )
    child = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="guardians"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("parent or guardian")
        constraints = [
            models.UniqueConstraint(fields=["account", "child"], name="guardianship_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.child}"
