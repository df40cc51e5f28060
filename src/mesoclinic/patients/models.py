"""The patient record: demographics, search keys and the versioned medical history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesoclinic.choices import ChoiceLabels


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not stated")


class Fitzpatrick(models.IntegerChoices):
    I = 1, _("I — always burns, never tans")  # noqa: E741
    II = 2, _("II — usually burns, tans minimally")
    III = 3, _("III — sometimes burns, tans gradually")
    IV = 4, _("IV — burns minimally, tans well")
    V = 5, _("V — rarely burns, tans deeply")
    VI = 6, _("VI — never burns, deeply pigmented")


def patient_full_name(family: str, given: str, middle: str) -> str:
    """Family, given and middle name as the clinic writes them (for rows read without models)."""
    return " ".join(p for p in (family, given, middle) if p)


class Patient(ChoiceLabels, models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    home_clinic = models.ForeignKey(
        "accounts.Clinic",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("home clinic"),
    )
    family_name = models.CharField(_("family name"), max_length=150)
    given_name = models.CharField(_("given name"), max_length=150)
    middle_name = models.CharField(_("middle name or patronymic"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick skin type"), choices=Fitzpatrick.choices, null=True, blank=True
    )
    # Body weight and the day it was measured: local-anaesthetic maxima are per kg.
    weight_kg = models.DecimalField(
        _("body weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    weight_date = models.DateField(_("weighed on"), null=True, blank=True)
    data_consent = models.BooleanField(_("consents to processing of personal data"), default=False)
    data_consent_at = models.DateTimeField(
        _("data processing consent given"), null=True, blank=True
    )
    data_consent_notice = models.CharField(
        _("privacy notice version consented to"), max_length=40, blank=True
    )
    # Folded "family | given" name (see patients/search.py): duplicates share it.
    name_key = models.CharField(max_length=300, editable=False, default="")
    phone_digits = models.CharField(max_length=40, editable=False, blank=True, default="")
    # The list order (search.sort_key), copied onto every search token so a search is
    # answered from the token index alone.
    sort_key = models.CharField(max_length=480, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patient")
        ordering = ["sort_key", "id"]
        indexes = [
            # The list's order: a broad search walks it and stops when a page is full.
            models.Index(fields=["organisation", "sort_key", "id"], name="patient_org_sort"),
            models.Index(fields=["organisation", "birth_date"], name="patient_org_birth"),
            models.Index(fields=["organisation", "name_key"], name="patient_org_namekey"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__isnull=True)
                | models.Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="patient_fitzpatrick_1_6",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return patient_full_name(self.family_name, self.given_name, self.middle_name)


class PatientSearchToken(models.Model):
    """One folded word of a patient's name, phone or email, matched by prefix."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=64)
    sort_key = models.CharField(max_length=480, default="")  # the patient's, kept in step

    class Meta:
        indexes = [
            # Covers a narrow search: the prefix range, the page order and the patient
            # come from the index, the patients table is read for the page only.
            models.Index(
                fields=["organisation", "token", "sort_key", "patient"],
                name="patient_token_search",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["patient", "token"], name="patient_token_unique"),
        ]

    def __str__(self) -> str:
        return self.token


class FactKind(models.TextChoices):
    CONDITION = "condition", _("Condition")
    ALLERGY = "allergy", _("Allergy")
    MEDICATION = "medication", _("Medication")
    PREGNANCY = "pregnancy", _("Pregnancy")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    DEVICE = "device", _("Implanted device")
    SURGERY = "surgery", _("Surgery")
    PROCEDURE = "procedure", _("Cosmetic procedure")
    NOTE = "note", _("Note")


class HistoryFact(ChoiceLabels, models.Model):
    """One fact of a patient's medical history, as recorded at one moment.

    Append-only: a correction is a new row that `supersedes` the old one, a
    withdrawal is a new row with `retracted` set. The current history is the rows
    no other row supersedes, minus retractions. The database refuses UPDATE
    (migration 0003) and allows one successor per row (unique `supersedes`).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="history")
    kind = models.CharField(_("kind"), max_length=20, choices=FactKind.choices)
    # A knowledge-base code (condition.*, ingredient.*, allergen.*, medclass.*,
    # device.*, procedure.*), empty for free text.
    code = models.CharField(_("code"), max_length=100, blank=True)
    label = models.CharField(_("description"), max_length=300, blank=True)
    needs_coding = models.BooleanField(_("needs coding"), default=False)
    # Pregnancy/breastfeeding: the answer; other kinds: always true.
    present = models.BooleanField(_("present"), default=True)
    # Surgery/procedure: when; medication: last dose; pregnancy: the day asked.
    on_date = models.DateField(_("date"), null=True, blank=True)
    zones = models.JSONField(_("zones"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    retracted = models.BooleanField(_("withdrawn"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("history fact")
        ordering = ["kind", "recorded_at", "id"]
        indexes = [models.Index(fields=["patient", "kind"], name="history_patient_kind")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in FactKind]), name="history_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(code="", label="", note=""), name="history_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label or self.code}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("history facts are append-only; record a new version instead")
        super().save(*args, **kwargs)
