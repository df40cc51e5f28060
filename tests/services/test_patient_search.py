"""Patient search: across scripts, accents, phone digits, email and birth dates; order, pages."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.patients.selectors import patient_list
from mesoclinic.patients.services import patient_create, patient_update

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def people(world):
    scope = world.scope("receptionist")

    def make(family, given, born, phone="", email="", middle=""):
        return patient_create(
            scope=scope,
            family_name=family,
            given_name=given,
            middle_name=middle,
            birth_date=dt.date.fromisoformat(born),
            phone=phone,
            email=email,
            today=TODAY,
        )

    return {
        "ivanova": make("Иванова", "Елена", "1986-03-14", "+7 916 555-01-01", "", "Сергеевна"),
        "dubois": make("Dubois", "Chloé", "1984-02-18", "+44 20 7946 0104", "chloe.d@example.org"),
        "kuznetsov": make("Кузнецов", "Дмитрий", "1982-07-21"),
        "yulia": make("Лебедева", "Юлия", "1990-09-17"),
        "ivanov": make("Ivanov", "Pyotr", "1970-01-01"),
    }


def names(world, query):
    return sorted(
        p.family_name for p in patient_list(scope=world.scope("receptionist"), query=query)
    )


CASES = [
    ("ivanova", ["Иванова"]),
    ("IVANOV", ["Ivanov", "Иванова"]),
    ("Иванов", ["Ivanov", "Иванова"]),
    ("chloe", ["Dubois"]),
    ("Хлое", []),
    ("CHLOÉ dub", ["Dubois"]),
    ("Дюбуа", []),
    ("kuznets", ["Кузнецов"]),
    ("dmitry", ["Кузнецов"]),
    ("yulia", ["Лебедева"]),
    ("Iuliia", ["Лебедева"]),
    ("sergeevna", ["Иванова"]),
    ("elena ivanova", ["Иванова"]),
    ("elena kuz", []),
    ("14.03.1986", ["Иванова"]),
    ("1986-03-14", ["Иванова"]),
    ("14/03/1986", ["Иванова"]),
    ("+7 916 555", ["Иванова"]),
    ("89165550101", []),
    ("9165550101", ["Иванова"]),
    ("0101", ["Иванова"]),
    ("chloe.d@example", ["Dubois"]),
    ("chloe.d@example.org", ["Dubois"]),
]


def test_search_finds_across_scripts_accents_and_formats(world, people):
    # One organisation for all cases: building it is the slow part of the test.
    wrong = {q: names(world, q) for q, expected in CASES if names(world, q) != expected}
    assert not wrong, wrong


def test_dubois_in_cyrillic_is_found_by_latin_and_the_reverse(world, people):
    # The reverse direction: a Cyrillic query finds a name registered in Cyrillic
    # when typed in Latin, and a Latin-registered name when typed in Cyrillic.
    assert names(world, "Ивановa") == ["Иванова"]  # mixed scripts in one word
    assert names(world, "Дубоис") == ["Dubois"]


def test_search_follows_a_change_of_name(world, people):
    patient_update(
        scope=world.scope("receptionist"),
        patient=people["yulia"],
        family_name="Морозова",
        today=TODAY,
    )
    assert names(world, "lebedeva") == []
    assert names(world, "morozova") == ["Морозова"]


def test_search_never_crosses_organisations(make_org, people, world):
    other = make_org()
    assert list(patient_list(scope=other.scope("receptionist"), query="ivanova")) == []


def test_broad_terms_walk_the_list_and_find_the_same_patients(world, people, monkeypatch):
    # Terms matching many tokens are checked per patient instead of fetched by id
    # (selectors.NARROW_TOKENS); with the threshold at 0 every term takes that path.
    from mesoclinic.patients import selectors

    monkeypatch.setattr(selectors, "NARROW_TOKENS", 0)
    wrong = {q: names(world, q) for q, expected in CASES if names(world, q) != expected}
    assert not wrong, wrong


@pytest.fixture
def register(world):
    """Thirty patients whose list order is known: Alpha-00 ... Alpha-29, youngest last."""
    scope = world.scope("receptionist")
    created = []
    for i in reversed(range(30)):  # registered in reverse: order comes from the key
        created.append(
            patient_create(
                scope=scope,
                family_name=f"Alfa{i:02d}",
                given_name="Анна" if i % 2 else "Ann",
                birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
                phone=f"+7 900 000 00 {i:02d}",
                today=TODAY,
            )
        )
    return sorted(created, key=lambda p: p.family_name)


def family_names(page):
    return [p.family_name for p in page.patients]


@pytest.mark.parametrize("narrow_tokens", [0, 20_000], ids=["walk-the-list", "token-index"])
def test_pages_come_in_list_order_with_an_exact_count(world, register, monkeypatch, narrow_tokens):
    from mesoclinic.patients import selectors

    monkeypatch.setattr(selectors, "NARROW_TOKENS", narrow_tokens)
    scope = world.scope("receptionist")
    expected = [p.family_name for p in register]
    pages = [
        selectors.patient_search(scope=scope, query="alfa", page=n, per_page=7)
        for n in (1, 2, 3, 4, 5)
    ]
    assert [family_names(p) for p in pages] == [expected[i : i + 7] for i in range(0, 30, 7)]
    assert {(p.count, p.capped) for p in pages} == {(30, False)}
    assert (pages[0].has_previous, pages[0].has_next) == (False, True)
    assert (pages[4].has_next, pages[4].start_index, pages[4].end_index) == (False, 29, 30)
    # Two terms: the second filters the first, order unchanged ("ann" / "анна").
    both = selectors.patient_search(scope=scope, query="alfa anna", per_page=50)
    assert family_names(both) == [n for n in expected if int(n[-2:]) % 2]
    # A date of birth narrows a name term.
    dated = selectors.patient_search(scope=scope, query="alfa 03.01.1980")
    assert (family_names(dated), dated.count) == (["Alfa02"], 1)


def test_a_page_past_the_end_shows_the_last_one_and_nonsense_the_first(world, register):
    from mesoclinic.patients.selectors import patient_search

    scope = world.scope("receptionist")
    assert patient_search(scope=scope, query="alfa", page=99, per_page=10).number == 3
    assert patient_search(scope=scope, query="alfa", page="x", per_page=10).number == 1
    assert patient_search(scope=scope, query="alfa", page="-4", per_page=10).number == 1
    empty = patient_search(scope=scope, query="zzz", page=3)
    assert (empty.patients, empty.count, empty.start_index) == ([], 0, 0)


def test_the_count_stops_at_the_cap_and_says_so(world, register, monkeypatch):
    from mesoclinic.patients import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 12)
    page = selectors.patient_search(scope=world.scope("receptionist"), query="al", per_page=5)
    assert (page.count, page.capped, page.has_next) == (12, True, True)
    narrow = selectors.patient_search(scope=world.scope("receptionist"), query="alfa0")
    assert (narrow.count, narrow.capped) == (10, False)


def test_a_single_letter_is_counted_up_to_four_pages_only(world, register, monkeypatch):
    from mesoclinic.patients import selectors

    monkeypatch.setattr(selectors, "FIRST_KEYSTROKE_CAP", 8)
    scope = world.scope("receptionist")
    first = selectors.patient_search(scope=scope, query="a", per_page=5)
    assert (first.count, first.capped, first.has_next) == (8, True, True)
    assert selectors.patient_search(scope=scope, query="a", page=2, per_page=5).number == 2
    two = selectors.patient_search(scope=scope, query="al", per_page=5)
    assert two.count > 8


def test_a_rename_moves_the_patient_in_the_list_and_in_every_token(world, register):
    from mesoclinic.patients.models import PatientSearchToken
    from mesoclinic.patients.selectors import patient_search

    scope = world.scope("receptionist")
    last = register[-1]
    patient_update(scope=scope, patient=last, family_name="Alfa", today=TODAY)
    assert family_names(patient_search(scope=scope, query="alfa", per_page=2)) == [
        "Alfa",
        "Alfa00",
    ]
    keys = set(PatientSearchToken.objects.filter(patient=last).values_list("sort_key", flat=True))
    last.refresh_from_db()
    assert keys == {last.sort_key}


def test_the_list_files_cyrillic_names_in_alphabet_order_yo_with_ye(world):
    from mesoclinic.patients.selectors import patient_search

    scope = world.scope("receptionist")
    for family in ("Яковлева", "Фёдорова", "Федотова", "Абрамова", "Федорова"):
        patient_create(
            scope=scope,
            family_name=family,
            given_name="Ольга",
            birth_date=dt.date(1990, 1, 1),
            today=TODAY,
            allow_duplicate=True,
        )
    listed = family_names(patient_search(scope=scope))
    assert listed[0] == "Абрамова" and listed[-1] == "Яковлева"
    assert listed[1:4] in (
        ["Фёдорова", "Федорова", "Федотова"],
        ["Федорова", "Фёдорова", "Федотова"],
    )
