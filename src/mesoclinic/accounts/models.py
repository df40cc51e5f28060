"""Users, organisations, clinics and who works where in which role."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Organisation(models.Model):
    """A practice or a chain of clinics: the boundary no patient data ever crosses."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClinicLocale(models.TextChoices):
    """A clinic's locale: the language its patients get by default and the formats it writes in."""

    EN_GB = "en-gb", _("English (United Kingdom)")
    EN_US = "en-us", _("English (United States)")
    RU = "ru", _("Russian")

    @property
    def language(self) -> str:
        """The interface language (one of settings.LANGUAGES) for this locale."""
        return self.value.split("-")[0]


class Jurisdiction(models.TextChoices):
    """Whose law on keeping medical records applies to a clinic's records (the periods are
    settings: RETENTION_YEARS, sourced in docs/data-rights.md)."""

    RU = "RU", _("Russia")
    GB = "GB", _("United Kingdom")
    US = "US", _("United States")
    OTHER = "other", _("Another country (the longest period)")

    @classmethod
    def of_locale(cls, locale: str) -> str:
        """The jurisdiction a clinic's locale suggests, when the owner has not said."""
        return {"ru": cls.RU, "en-gb": cls.GB, "en-us": cls.US}.get(locale, cls.OTHER).value


class Clinic(models.Model):
    """One location of an organisation, with its own time zone and opening hours."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=400, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    locale = models.CharField(
        _("locale"),
        max_length=8,
        choices=ClinicLocale.choices,
        default=ClinicLocale.EN_GB,
        help_text=_("Language and date, time and number formats of the clinic's documents."),
    )
    jurisdiction = models.CharField(
        _("country whose law on medical records applies"),
        max_length=8,
        choices=Jurisdiction.choices,
        default=Jurisdiction.OTHER,
        help_text=_("How long the clinic's records are kept after a patient asks for erasure."),
    )

    class Meta:
        verbose_name = _("clinic")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="clinic_name_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def language(self) -> str:
        """The clinic's language: the default for its new patients and their documents."""
        return ClinicLocale(self.locale).language


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """A clinic's regular hours for one weekday (0 = Monday). Several rows make split days."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["clinic", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="opening_weekday_0_6"),
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opening_opens_before_closes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    PRACTITIONER = "practitioner", _("Practitioner")
    NURSE = "nurse", _("Nurse")
    RECEPTIONIST = "receptionist", _("Receptionist")


class User(AbstractUser):
    """A person who signs in. Belongs to one organisation; works in its clinics by membership."""

    email = models.EmailField(_("email address"), unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("Empty only for system administrators."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Membership(models.Model):
    """A user's role in one clinic. A user may hold memberships in several clinics."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.clinic}"
