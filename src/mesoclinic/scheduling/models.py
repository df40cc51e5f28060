"""Resources and appointments. The database refuses double bookings (migration 0002)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.models import Weekday
from mesoclinic.choices import ChoiceLabels


class RoomFeature(models.TextChoices):
    COUCH = "couch", _("Treatment couch")
    CHAIR = "chair", _("Treatment chair")
    BODY = "body", _("Suitable for body procedures")


class Room(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("in use"), default=True)
    # What the room is fit for (RoomFeature values): a course may need some of them.
    features = models.JSONField(_("equipment"), default=list, blank=True)
    cleaning_buffer_min = models.PositiveSmallIntegerField(
        _("cleaning between sessions (minutes)"), default=0
    )

    class Meta:
        verbose_name = _("room")
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_in_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A device for needle-free delivery; it serves the knowledge-base techniques it lists."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("name"), max_length=100)
    technique_ids = models.JSONField(_("techniques"), default=list)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("device")
        ordering = ["clinic", "name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """A practitioner's regular hours in one clinic on one weekday."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["practitioner", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="hours_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        day = self.get_weekday_display()
        return f"{self.practitioner} {day} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Absence(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    # Both set: away only from..until on each of these days (a partial-day absence).
    starts = models.TimeField(_("away from"), null=True, blank=True)
    ends = models.TimeField(_("away until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")), name="absence_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.first_day}–{self.last_day}"


class Holiday(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("clinic holiday")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "day"], name="holiday_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Credential(models.Model):
    """A practitioner is credentialed for one knowledge-base technique."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    technique_id = models.CharField(_("technique"), max_length=100)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    trained_on = models.DateField(_("date of training"), null=True, blank=True)
    evidence = models.CharField(
        _("evidence of training"),
        max_length=300,
        blank=True,
        help_text=_("The course, certificate or supervised sessions that qualify them."),
    )

    class Meta:
        verbose_name = _("credential")
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "technique_id"], name="credential_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner}: {self.technique_id}"


class PatientAvailability(models.Model):
    """When a patient prefers to come, and dates they cannot."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="availability"
    )
    preferred_weekdays = models.JSONField(_("preferred weekdays"), default=list, blank=True)
    preferred_from = models.TimeField(_("preferably from"), null=True, blank=True)
    preferred_until = models.TimeField(_("preferably until"), null=True, blank=True)
    unavailable_dates = models.JSONField(
        _("dates the patient cannot come"), default=list, blank=True
    )
    # Hard: the only weekdays and hours the patient can come (empty: any).
    available_weekdays = models.JSONField(_("can only come on"), default=list, blank=True)
    available_from = models.TimeField(_("can only come from"), null=True, blank=True)
    available_until = models.TimeField(_("can only come until"), null=True, blank=True)

    class Meta:
        verbose_name = _("patient availability")

    def __str__(self) -> str:
        return str(self.patient)


class PractitionerBreak(models.Model):
    """A practitioner's recurring break in one clinic on one weekday (e.g. lunch)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("break")
        ordering = ["practitioner", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="break_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.starts:%H:%M}"


class PractitionerLimit(models.Model):
    """A practitioner's daily maximum in one clinic: sessions, minutes, or both."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    max_sessions_per_day = models.PositiveSmallIntegerField(
        _("at most sessions a day"), null=True, blank=True
    )
    max_minutes_per_day = models.PositiveSmallIntegerField(
        _("at most minutes of sessions a day"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("daily maximum")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "practitioner"], name="practitioner_limit_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.practitioner)


class CourseTerms(models.Model):
    """What a course's booking must respect beyond its intervals (hard rules)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    plan_id = models.BigIntegerField(_("treatment plan"), unique=True)
    same_practitioner = models.BooleanField(
        _("the same practitioner for every session"), default=False
    )
    latest_finish = models.DateField(_("last session no later than"), null=True, blank=True)
    room_needs = models.JSONField(_("the room must have"), default=list, blank=True)

    class Meta:
        verbose_name = _("course terms")
        verbose_name_plural = _("course terms")

    def __str__(self) -> str:
        return f"plan {self.plan_id}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    POSTPONED = "postponed", _("Postponed")


# Statuses that hold their practitioner, room, device and patient: the others free them.
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.DONE,
)


class Appointment(ChoiceLabels, models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    technique_id = models.CharField(_("technique"), max_length=100, blank=True)
    # The course this appointment belongs to: a treatment plan and the session number in it.
    plan_id = models.BigIntegerField(_("treatment plan"), null=True, blank=True, db_index=True)
    session_number = models.PositiveSmallIntegerField(_("session"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Optimistic locking: two receptionists editing the same appointment cannot both win.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appt_clinic_start"),
            models.Index(fields=["practitioner", "starts_at"], name="appt_practitioner_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="appt_starts_before_end"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in AppointmentStatus]),
                name="appt_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.patient} / {self.practitioner}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A secret subscription URL for one practitioner's or one patient's appointments (.ics)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(practitioner__isnull=False, patient__isnull=True)
                    | models.Q(practitioner__isnull=True, patient__isnull=False)
                ),
                name="feed_for_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"feed {self.pk}"


class PlannerRunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Finished")
    CANCELLED = "cancelled", _("Stopped")
    FAILED = "failed", _("Failed")


class PlannerRun(models.Model):
    """One run of the clinic planner, in the background; its proposal is kept as JSON."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    first_day = models.DateField()
    last_day = models.DateField()
    status = models.CharField(
        max_length=12, choices=PlannerRunStatus.choices, default=PlannerRunStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(default=0)
    placed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    # {"placements": [...], "unplaced": [...], "courses": [plan ids]}
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("planner run")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in PlannerRunStatus]),
                name="planner_run_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"planner run {self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (
            PlannerRunStatus.DONE,
            PlannerRunStatus.CANCELLED,
            PlannerRunStatus.FAILED,
        )


class PlannerBooking(models.Model):
    """One "book" action on a planner run: what it booked, what not and why; undoable."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(PlannerRun, on_delete=models.CASCADE, related_name="bookings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    appointment_ids = models.JSONField(default=list)
    # [{"plan": id, "booked": n, "problems": [text, ...]}]
    report = models.JSONField(default=list)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("planner booking")

    def __str__(self) -> str:
        return f"planner booking {self.pk}"
