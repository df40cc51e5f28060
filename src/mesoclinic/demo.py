"""Demo data: an organisation with two clinics, its staff and a dozen patients.

Loaded by `mesoclinic demo`; idempotent (a second run finds the organisation and
stops). Uses the same services as the app, so demo data obeys every rule real data does.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts.models import Organisation, Role
from mesoclinic.accounts.scope import scope_for
from mesoclinic.accounts.services import clinic_create, organisation_create, user_create
from mesoclinic.patients.services import patient_create

DEMO_ORGANISATION = "Mesoclinic Demo Practice"
DEMO_PASSWORD = "demo-mesoclinic-2026"  # noqa: S105  (printed to the user; demo only)

_WEEKDAYS = range(0, 5)

DEMO_CLINICS = [
    {
        "key": "moscow",
        "name": "Patriarshiye Clinic",
        "time_zone": "Europe/Moscow",
        "locale": "ru",
        "address": "Malaya Bronnaya 20, Moscow",
        "hours": {d: (dt.time(9), dt.time(20)) for d in range(0, 6)},
    },
    {
        "key": "london",
        "name": "Riverside Clinic",
        "time_zone": "Europe/London",
        "locale": "en-gb",
        "address": "12 Riverside Walk, London",
        "hours": {d: (dt.time(8, 30), dt.time(18)) for d in _WEEKDAYS},
    },
]

DEMO_USERS = [
    {
        "username": "owner",
        "display_name": "Ольга Смирнова",
        "email": "owner@demo.mesoclinic.test",
        "language": "ru",
        "roles": [("moscow", Role.OWNER), ("london", Role.OWNER)],
        "role_label": "owner (both clinics)",
    },
    {
        "username": "anna",
        "display_name": "Dr Anna Petrova",
        "email": "anna@demo.mesoclinic.test",
        "language": "en",
        "roles": [("moscow", Role.PRACTITIONER), ("london", Role.PRACTITIONER)],
        "role_label": "practitioner (both clinics)",
    },
    {
        "username": "james",
        "display_name": "Dr James Carter",
        "email": "james@demo.mesoclinic.test",
        "language": "en",
        "roles": [("london", Role.PRACTITIONER)],
        "role_label": "practitioner (Riverside)",
    },
    {
        "username": "nina",
        "display_name": "Nina Volkova",
        "email": "nina@demo.mesoclinic.test",
        "language": "ru",
        "roles": [("moscow", Role.NURSE), ("london", Role.NURSE)],
        "role_label": "nurse (both clinics)",
    },
    {
        "username": "maria",
        "display_name": "Мария Кузнецова",
        "email": "maria@demo.mesoclinic.test",
        "language": "ru",
        "roles": [("moscow", Role.RECEPTIONIST)],
        "role_label": "receptionist (Patriarshiye)",
    },
]

DEMO_PATIENTS = [
    ("Иванова", "Елена", "Сергеевна", "1986-03-14", "female", "+7 916 555-01-01", "ru"),
    ("Смирнова", "Татьяна", "Игоревна", "1979-11-02", "female", "+7 916 555-01-02", "ru"),
    ("Кузнецов", "Дмитрий", "Алексеевич", "1982-07-21", "male", "+7 916 555-01-03", "ru"),
    ("Соколова", "Анна", "Павловна", "1994-01-30", "female", "+7 916 555-01-04", "ru"),
    ("Попова", "Мария", "Викторовна", "1971-05-09", "female", "+7 916 555-01-05", "ru"),
    ("Лебедева", "Юлия", "Олеговна", "1990-09-17", "female", "+7 916 555-01-06", "ru"),
    ("Clarke", "Emily", "", "1988-04-12", "female", "+44 20 7946 0101", "en"),
    ("Martin", "Sophie", "", "1975-12-03", "female", "+44 20 7946 0102", "en"),
    ("Brown", "Olivia", "", "1992-06-25", "female", "+44 20 7946 0103", "en"),
    ("Dubois", "Chloé", "", "1984-02-18", "female", "+44 20 7946 0104", "en"),
    ("Novak", "Aleksandra", "", "1969-08-08", "female", "+44 20 7946 0105", "ru"),
    ("Schmidt", "Hannah", "", "1997-10-29", "female", "+44 20 7946 0106", "en"),
]


@transaction.atomic
def demo_load() -> bool:
    """Create the demo organisation unless it exists. Returns True if it was created."""
    if Organisation.objects.filter(name=DEMO_ORGANISATION).exists():
        return False
    org = organisation_create(name=DEMO_ORGANISATION)
    clinics = {
        c["key"]: clinic_create(
            organisation=org,
            name=c["name"],
            time_zone=c["time_zone"],
            address=c["address"],
            locale=c["locale"],
            hours=c["hours"],
        )
        for c in DEMO_CLINICS
    }
    users = {}
    for u in DEMO_USERS:
        users[u["username"]] = user_create(
            organisation=org,
            username=u["username"],
            email=u["email"],
            password=DEMO_PASSWORD,
            display_name=u["display_name"],
            language=u["language"],
            memberships=[(clinics[key], role) for key, role in u["roles"]],
        )
    today = timezone.localdate()
    patients = []
    for i, (family, given, middle, born, sex, phone, lang) in enumerate(DEMO_PATIENTS):
        clinic = clinics["moscow"] if lang == "ru" and i < 6 else clinics["london"]
        registrar = users["maria"] if clinic == clinics["moscow"] else users["james"]
        patient = patient_create(
            scope=scope_for(registrar, clinic_id=clinic.pk),
            family_name=family,
            given_name=given,
            middle_name=middle,
            birth_date=dt.date.fromisoformat(born),
            sex=sex,
            phone=phone,
            email=f"patient{i + 1}@example.org",
            preferred_language=lang,
            today=today,
        )
        patients.append((patient, clinic))
    _demo_clinical(users["anna"], patients, today)
    from mesoclinic.scheduling.demo import demo_schedule_load

    demo_schedule_load(organisation=org, owner=users["owner"])
    from mesoclinic.inventory.demo import inventory_demo_load
    from mesoclinic.patients.models import Patient

    inventory_demo_load(
        clinic=clinics["moscow"],
        nurse=users["nina"],
        practitioner=users["anna"],
        patients=list(Patient.objects.filter(organisation=org, home_clinic=clinics["moscow"])),
        now=timezone.now(),
    )
    from mesoclinic.scheduling.demo import demo_course_load

    demo_course_load(organisation=org)
    from mesoclinic.outcomes.demo import outcomes_demo_load

    outcomes_demo_load(organisation=org)
    return True


def _demo_clinical(practitioner, patients, today: dt.date) -> None:
    """A history, a consultation and a draft plan for two patients (one per language)."""
    from mesoclinic.consultations.services import consultation_create, plan_create
    from mesoclinic.patients.services import history_fact_record

    now = timezone.now()
    cases = [
        (patients[0], "allergy", "ingredient.lidocaine", ["zone.cheeks", "zone.forehead"]),
        (patients[6], "condition", "condition.herpes-history", ["zone.cheeks"]),
    ]
    for (patient, clinic), kind, code, zones in cases:
        scope = scope_for(practitioner, clinic_id=clinic.pk)
        history_fact_record(
            scope=scope, patient=patient, kind=kind, code=code, now=now, today=today
        )
        consultation = consultation_create(
            scope=scope,
            patient=patient,
            now=now,
            today=today,
            examination="Dull, dehydrated skin; fine lines.",
            concerns="Looks tired",
            indications=["indication.dehydration"],
            zones=zones,
        )
        plan_create(
            scope=scope,
            patient=patient,
            consultation=consultation,
            now=now,
            today=today,
            protocol_id="protocol.skinbooster-ha",
            zones=zones,
            technique_ids=["technique.papule"],
            products=[("product.ha-skinbooster", "1.0")],
            sessions=3,
            interval_min_days=14,
            interval_max_days=28,
            preferred_interval_days=21,
            target_start=today + dt.timedelta(days=7),
        )
