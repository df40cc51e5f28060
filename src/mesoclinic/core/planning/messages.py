"""Messages the planner shows to people, in English and Russian, keyed by a stable code.

The core returns both languages so that batch jobs and the API can show them without
Django's gettext; the shell picks the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass

_CATALOG: dict[str, tuple[str, str]] = {
    # Why a session could not be placed.
    "no_credentialed_practitioner": (
        "No practitioner is credentialed for {technique}.",
        "Нет специалиста с допуском к методике {technique}.",
    ),
    "no_device": (
        "The clinic has no {kind} device, which this technique needs.",
        "В клинике нет аппарата «{kind}», необходимого для этой методики.",
    ),
    "no_suitable_room": (
        "No room has what this course needs ({needs}).",
        "Ни в одном кабинете нет того, что нужно для этого курса ({needs}).",
    ),
    "own_practitioner_unavailable": (
        "The course stays with {practitioner}, who cannot perform this technique now.",
        "Курс ведёт специалист {practitioner}, который сейчас не может выполнять эту методику.",
    ),
    "window_in_past": (
        "Session {session} was due by {latest}, before the planning horizon starts ({start}).",
        "Сеанс {session} нужно было провести до {latest}, до начала периода планирования "
        "({start}).",
    ),
    "outside_horizon": (
        "Session {session} cannot start before {earliest}, after the planning horizon ends "
        "({end}).",
        "Сеанс {session} не может быть раньше {earliest}, а период планирования "
        "заканчивается {end}.",
    ),
    "window_past_horizon": (
        "Session {session} is due between {earliest} and {latest}; the planning horizon "
        "ends {end} and no day of that window before then is open for the patient.",
        "Сеанс {session} должен пройти с {earliest} по {latest}; период планирования "
        "заканчивается {end}, и до этой даты нет подходящего дня.",
    ),
    "window_empty": (
        "Session {session}: no day between {earliest} and {latest} on which the clinic is "
        "open, a credentialed practitioner works and the patient can come.",
        "Сеанс {session}: с {earliest} по {latest} нет дня, когда клиника открыта, "
        "работает специалист с допуском и пациент может прийти.",
    ),
    "no_free_slot": (
        "Session {session}: no free time between {earliest} and {latest} ({detail}).",
        "Сеанс {session}: нет свободного времени с {earliest} по {latest} ({detail_ru}).",
    ),
    "previous_unplaced": (
        "Session {session} depends on session {previous}, which could not be placed.",
        "Сеанс {session} зависит от сеанса {previous}, который не удалось запланировать.",
    ),
    "chain_broken": (
        "Session {session}: after session {previous} on {previous_day} no day within "
        "{min_days}-{max_days} days is open for the patient.",
        "Сеанс {session}: после сеанса {previous} ({previous_day}) нет подходящего дня "
        "через {min_days}-{max_days} дн.",
    ),
    # Relaxations proposed as the nearest feasible plan.
    "relax_max_interval": (
        "Nearest feasible plan: the maximum interval is stretched from {old} to {new} days.",
        "Ближайший выполнимый план: максимальный интервал увеличен с {old} до {new} дн.",
    ),
    "relax_first_window": (
        "Nearest feasible plan: the first session moves up to {days} days past its window "
        "(to {latest}).",
        "Ближайший выполнимый план: первый сеанс сдвинут до {days} дн. за пределы окна "
        "(до {latest}).",
    ),
    # Problems with an appointment a person entered or adjusted.
    "clinic_closed": (
        "{what}: the clinic is closed on {day}.",
        "{what_ru}: {day} клиника закрыта.",
    ),
    "outside_opening_hours": (
        "{what}: {start}-{end} on {day} is outside the clinic's opening hours.",
        "{what_ru}: {start}-{end} {day} вне часов работы клиники.",
    ),
    "outside_working_hours": (
        "{what}: {start}-{end} on {day} is outside {practitioner}'s working hours.",
        "{what_ru}: {start}-{end} {day} вне рабочего времени специалиста {practitioner}.",
    ),
    "practitioner_absent": (
        "{what}: {practitioner} is absent on {day}.",
        "{what_ru}: специалист {practitioner} отсутствует {day}.",
    ),
    "missing_credential": (
        "{what}: {practitioner} is not credentialed for {technique}.",
        "{what_ru}: у специалиста {practitioner} нет допуска к методике {technique}.",
    ),
    "missing_device": (
        "{what}: a {kind} device is needed.",
        "{what_ru}: нужен аппарат «{kind}».",
    ),
    "wrong_device": (
        "{what}: device {device} is not a {kind} device.",
        "{what_ru}: аппарат {device} не относится к типу «{kind}».",
    ),
    "double_booked": (
        "{what}: {resource} {resource_id} is already busy {start}-{end} on {day}.",
        "{what_ru}: {resource_ru} {resource_id} уже занят(а) {start}-{end} {day}.",
    ),
    "patient_unavailable": (
        "{what}: the patient cannot come on {day}.",
        "{what_ru}: пациент не может прийти {day}.",
    ),
    "too_early": (
        "{what}: {day} is {days} days after the previous session; the minimum is {min_days}.",
        "{what_ru}: {day} — через {days} дн. после предыдущего сеанса, минимум {min_days}.",
    ),
    "too_late": (
        "{what}: {day} is {days} days after the previous session; the maximum is {max_days}.",
        "{what_ru}: {day} — через {days} дн. после предыдущего сеанса, максимум {max_days}.",
    ),
    "before_window": (
        "{what}: {day} is before the earliest allowed date {earliest}.",
        "{what_ru}: {day} раньше самой ранней допустимой даты {earliest}.",
    ),
    "after_window": (
        "{what}: {day} is after the latest allowed date {latest}.",
        "{what_ru}: {day} позже самой поздней допустимой даты {latest}.",
    ),
    "outside_horizon_day": (
        "{what}: {day} is outside the planning horizon.",
        "{what_ru}: {day} вне периода планирования.",
    ),
    "off_grid": (
        "{what}: {start}-{end} does not match the session length or the {slot}-minute grid.",
        "{what_ru}: {start}-{end} не совпадает с длительностью сеанса или сеткой {slot} мин.",
    ),
    "room_unsuitable": (
        "{what}: room {room} is not equipped for it (needs {needs}).",
        "{what_ru}: кабинет {room} не оснащён для этого (нужно: {needs}).",
    ),
    "room_not_cleaned": (
        "{what}: room {room} needs {minutes} minutes of cleaning after the session before, "
        "at {start} on {day}.",
        "{what_ru}: кабинету {room} нужно {minutes} мин. уборки после предыдущего сеанса, "
        "{day} в {start}.",
    ),
    "cleaning_after_closing": (
        "{what}: room {room} needs {minutes} minutes of cleaning after the session, which "
        "would run past closing time on {day}.",
        "{what_ru}: кабинету {room} нужно {minutes} мин. уборки после сеанса, а {day} "
        "клиника к этому времени уже закрыта.",
    ),
    "patient_weekday": (
        "{what}: the patient only comes on certain weekdays, not on {day}.",
        "{what_ru}: пациент приходит только в определённые дни недели, не {day}.",
    ),
    "patient_hours": (
        "{what}: {start}-{end} on {day} is outside the times the patient can come.",
        "{what_ru}: {start}-{end} {day} вне времени, когда пациент может прийти.",
    ),
    "after_latest_finish": (
        "{what}: {day} is after the course's last allowed date {latest}.",
        "{what_ru}: {day} позже последней допустимой даты курса {latest}.",
    ),
    "practitioner_changed": (
        "{what}: the course is kept with one practitioner ({expected}), not {practitioner}.",
        "{what_ru}: курс ведёт один специалист ({expected}), а не {practitioner}.",
    ),
    "daily_sessions": (
        "{what}: {practitioner} would have {count} sessions on {day}; the maximum is {limit}.",
        "{what_ru}: у специалиста {practitioner} {day} было бы {count} сеансов, максимум {limit}.",
    ),
    "daily_minutes": (
        "{what}: {practitioner} would work {count} minutes on {day}; the maximum is {limit}.",
        "{what_ru}: специалист {practitioner} {day} работал(а) бы {count} мин., максимум {limit}.",
    ),
    "unknown_resource": (
        "{what}: unknown {resource} {resource_id}.",
        "{what_ru}: неизвестный ресурс {resource_id}.",
    ),
}

RESOURCE_RU = {
    "practitioner": "специалист",
    "room": "кабинет",
    "device": "аппарат",
    "patient": "пациент",
}


@dataclass(frozen=True)
class Message:
    """A user-facing message: a stable code plus the English and Russian text."""

    code: str
    en: str
    ru: str


def message(code: str, **params: object) -> Message:
    """Render the message `code` in both languages; unknown codes fail loudly."""
    en, ru = _CATALOG[code]
    values = {key: _fmt(value) for key, value in params.items()}
    return Message(code=code, en=en.format(**values), ru=ru.format(**values))


def _fmt(value: object) -> str:
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.strftime("%H:%M")  # type: ignore[attr-defined]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[attr-defined]
    return str(value)
