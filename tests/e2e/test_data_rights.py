"""The owner asks for a copy of a patient's data and downloads it, in English and Russian."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from mesoclinic.accounts.services import user_language_set
from tests.conftest import PASSWORD
from tests.e2e.conftest import login

TEXT = {
    "en": {
        "link": "Data rights",
        "prepare": "Prepare a copy",
        "download": "Download",
        "heading": "Your personal data",
        "history": "Lidocaine",
    },
    "ru": {
        "link": "Права на данные",
        "prepare": "Подготовить копию",
        "download": "Скачать",
        "heading": "Ваши персональные данные",
        "history": "Лидокаин",
    },
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_owner_requests_the_patients_data_and_downloads_the_archive(
    page, live_server, world, patient_of, lang
):
    from django.utils import timezone

    from mesoclinic.patients.services import history_fact_record, patient_update

    words = TEXT[lang]
    patient = patient_of(world, family="Archive", given="Patient", born="1984-02-03")
    patient_update(
        scope=world.scope("receptionist"),
        patient=patient,
        today=timezone.localdate(),
        preferred_language=lang,
    )
    history_fact_record(
        scope=world.scope("nurse"),
        patient=patient,
        kind="allergy",
        code="ingredient.lidocaine",
        now=timezone.now(),
        today=timezone.localdate(),
    )
    owner = world.users["owner"]
    user_language_set(user=owner, language=lang)

    login(page, live_server, owner.username, PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("data-rights-link").click()
    expect(page.locator("h1")).to_have_text(words["link"])
    page.get_by_role("button", name=re.compile(words["prepare"])).click()
    link = page.get_by_test_id("copy-download")
    expect(link).to_have_text(words["download"])
    with page.expect_download() as info:
        link.click()
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    assert {"summary.pdf", "fhir-bundle.json"} <= set(archive.namelist())
    pdf = PdfReader(io.BytesIO(archive.read("summary.pdf")))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert words["heading"] in text
    assert "Archive" in text
    assert words["history"].casefold() in text.casefold()
