"""The booking page, as rendered, sends the chosen patient exactly once."""

from __future__ import annotations

import re

from django.test import Client


def test_the_booking_page_has_one_patient_input(world, patient_of):
    patient = patient_of(world)
    client = Client()
    client.force_login(world.users["receptionist"])
    page = client.get(f"/schedule/book/?patient={patient.pk}").content.decode()
    # A second, empty "patient" input would come last in the POST and win: the page
    # would answer "This field is required." to a person who chose a patient.
    assert re.findall(r'<input[^>]*name="patient"[^>]*>', page) == [
        f'<input type="hidden" name="patient" value="{patient.pk}">'
    ]
