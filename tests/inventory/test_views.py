"""Inventory pages through the Django test client: scoping, forms, recall list and exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from pypdf import PdfReader

from mesoclinic.audit.models import AuditEvent
from mesoclinic.inventory.models import Lot, LotStatus, StockBalance
from mesoclinic.inventory.services import lot_recall, stock_use
from tests.inventory.factories import NOW, TODAY, make_product, receive, use_kwargs


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def recalled(world, patient_of):
    """A lot used on a Russian- and an English-speaking patient, then recalled."""
    lot = receive(world, make_product(world, name="Гиалуроновый бустер"), lot_number="NTM-7")
    ru = patient_of(world, family="Иванова", given="Елена")
    en = patient_of(world, family="Clarke", given="Emily")
    en.preferred_language = "en"
    en.phone = "+44 20 7946 0101"
    en.save()
    ru.preferred_language = "ru"
    ru.save()
    stock_use(**use_kwargs(world, lot, ru, quantity_ml="0.8"))
    stock_use(**use_kwargs(world, lot, en, quantity_ml="1.2", zone_id="zone.neck"))
    lot_recall(scope=world.scope("owner"), lot=lot, reason="M. abscessus in 2 patients", now=NOW)
    return lot, ru, en


def test_recall_list_names_every_patient_with_contacts_zone_and_volume(world, recalled):
    lot, _ru, _en = recalled
    page = client_for(world.users["practitioner"]).get(f"/inventory/lots/{lot.pk}/recall/")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in ("Иванова Елена", "Clarke Emily", "+44 20 7946 0101", "Neck", "1.2", "0.8"):
        assert expected in text
    assert AuditEvent.objects.filter(object_type="inventory.Lot", action="read").exists()


def test_notification_drafts_are_in_each_patients_language(world, recalled):
    lot, _ru, _en = recalled
    text = client_for(world.users["practitioner"]).get(f"/inventory/lots/{lot.pk}/recall/")
    body = text.content.decode()
    assert "Dear Emily" in body
    assert "in your treatment on 23 Nov 2026" in body and "datetime" not in body
    assert "23 ноября 2026" in body
    assert "Уважаемая" in body or "Здравствуйте, Елена" in body


def test_recall_csv_has_one_row_per_administration(world, recalled):
    lot, _ru, _en = recalled
    response = client_for(world.users["nurse"]).get(f"/inventory/lots/{lot.pk}/recall.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 3
    assert {rows[1][0], rows[2][0]} == {"Иванова Елена", "Clarke Emily"}
    assert AuditEvent.objects.filter(action="export", object_type="inventory.Lot").exists()


def test_recall_pdf_prints_cyrillic_names(world, recalled):
    lot, _ru, _en = recalled
    response = client_for(world.users["nurse"]).get(f"/inventory/lots/{lot.pk}/recall.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Иванова" in text and "Clarke" in text and "NTM-7" in text


def test_patient_page_lists_what_they_received_by_lot(world, recalled):
    _lot, ru, _en = recalled
    text = client_for(world.users["practitioner"]).get(f"/inventory/patients/{ru.pk}/")
    body = text.content.decode()
    assert "NTM-7" in body and "Recalled" in body
    assert "Neck" not in body  # that was the other patient's zone


def test_other_organisation_gets_404_for_lots_and_recall_lists(make_org, recalled, world):
    lot, _ru, _en = recalled
    other = make_org()
    client = client_for(other.users["owner"])
    assert client.get(f"/inventory/lots/{lot.pk}/").status_code == 404
    assert client.get(f"/inventory/lots/{lot.pk}/recall/").status_code == 404
    assert client.get(f"/inventory/lots/{lot.pk}/recall.csv").status_code == 404


def test_receptionist_is_refused_the_stock_pages(world):
    client = client_for(world.users["receptionist"])
    assert client.get("/inventory/").status_code == 403
    assert client.get("/inventory/lots/receive/").status_code == 403


def test_receive_form_shows_the_expired_lot_error_on_the_field(world):
    product = make_product(world)
    response = client_for(world.users["nurse"]).post(
        "/inventory/lots/receive/",
        {
            "product": product.pk,
            "lot_number": "OLD1",
            "expiry_date": "2020-01-01",
            "received_on": TODAY.isoformat(),
            "quantity_ml": "10",
        },
    )
    assert response.status_code == 200
    assert "an expired lot cannot be taken into stock" in response.content.decode()
    assert not Lot.objects.filter(lot_number="OLD1").exists()


def test_receive_form_takes_a_lot_into_stock(world):
    product = make_product(world)
    response = client_for(world.users["nurse"]).post(
        "/inventory/lots/receive/",
        {
            "product": product.pk,
            "lot_number": "NEW1",
            "expiry_date": "2030-01-01",
            "received_on": TODAY.isoformat(),
            "quantity_ml": "20",
            "supplier": "Pharma",
        },
    )
    lot = Lot.objects.get(lot_number="NEW1")
    assert response.status_code == 302
    assert StockBalance.objects.get(lot=lot).quantity_ul == 20_000


def test_quarantine_from_the_lot_page(world):
    lot = receive(world, make_product(world))
    client = client_for(world.users["nurse"])
    response = client.post(
        f"/inventory/lots/{lot.pk}/status/", {"action": "quarantine", "reason": "Cloudy"}
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == LotStatus.QUARANTINED


def test_product_form_refuses_an_ingredient_unknown_to_the_knowledge_base(world):
    response = client_for(world.users["nurse"]).post(
        "/inventory/products/new/",
        {
            "name": "Magic",
            "composition": "ingredient.snail-mucin 5%",
            "regulatory_status": "cosmetic",
            "presentation": "ampoule",
            "volume_ml": "2",
        },
    )
    assert "Add it to the knowledge base first" in response.content.decode()


def test_index_lists_near_expiry_and_low_stock(world):
    product = make_product(world, name="Soon gone")
    receive(world, product, lot_number="SOON", quantity_ml="3", expiry=TODAY.replace(day=28))
    body = client_for(world.users["nurse"]).get("/inventory/").content.decode()
    assert "SOON" in body
    assert 'data-testid="low-stock"' in body and "Soon gone" in body


def test_every_stock_page_renders_for_a_nurse(world, patient_of):
    product = make_product(world, presentation="multi_dose_vial")
    lot = receive(world, product)
    stock_use(**use_kwargs(world, lot, patient_of(world)))
    client = client_for(world.users["nurse"])
    for url in (
        "/inventory/products/",
        f"/inventory/products/{product.pk}/",
        "/inventory/lots/?status=available",
        f"/inventory/lots/{lot.pk}/",
        "/inventory/settings/",
        "/inventory/import/",
        "/inventory/signals/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Opened vials" in client.get(f"/inventory/lots/{lot.pk}/").content.decode()


def test_transfer_and_threshold_forms(world):
    lot = receive(world, make_product(world), quantity_ml="5")
    client = client_for(world.users["owner"])
    response = client.post(
        f"/inventory/lots/{lot.pk}/movement/",
        {"kind": "transfer", "quantity_ml": "2", "to_clinic": world.other_clinic.pk},
    )
    assert response.status_code == 302
    assert StockBalance.objects.get(lot=lot, clinic=world.other_clinic).quantity_ul == 2000
    refused = client.post(
        f"/inventory/lots/{lot.pk}/movement/", {"kind": "waste", "quantity_ml": "9", "reason": "x"}
    )
    assert refused.status_code == 400
    assert "Only 3 mL of lot" in refused.content.decode()
    saved = client.post(
        "/inventory/settings/",
        {
            "near_expiry_days": 30,
            "low_stock_ml": "2.5",
            "vial_discard_hours": 6,
            "cluster_threshold": 3,
        },
    )
    assert saved.status_code == 302
    assert world.clinic.stock_policy.vial_discard_hours == 6
