"""The historical workbook on the page: same preview and confirm, one sheet or all."""

import pytest
from django.urls import reverse

from cases.models import Case, Quelle
from imports.models import ImportLog, ImportPreview
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db

URL = reverse("imports:historical")
WORKBOOK = "Abrechnung_DAK_edge_cases.xlsx"


def test_it_shows_the_upload_form_with_the_sheet_choice(admin_client):
    page = admin_client.get(URL).content.decode()
    assert "Abrechnungs-Arbeitsmappe importieren" in page
    assert 'name="sheet"' in page


def test_all_year_sheets_are_previewed_with_counts_per_sheet(admin_client, fixture_bytes):
    response = upload(admin_client, WORKBOOK, fixture_bytes(WORKBOOK), url=URL)
    preview = ImportPreview.objects.get()
    assert response.url == reverse("imports:preview", args=[preview.pk])
    assert preview.counts["neu"] == 8
    assert [(s["name"], s["counts"]["neu"]) for s in preview.sheets] == [
        ("2025", 6),
        ("2020-2022", 2),
    ]
    page = admin_client.get(response.url).content.decode()
    assert 'data-testid="sheet-counts"' in page
    assert 'data-testid="count-neu">8<' in page
    assert "Tabelle1" in page  # the ignored sheet is mentioned as a notice


def test_one_chosen_sheet_is_previewed_alone(admin_client, fixture_bytes):
    upload(admin_client, WORKBOOK, fixture_bytes(WORKBOOK), url=URL, sheet="2020-2022")
    preview = ImportPreview.objects.get()
    assert preview.sheet == "2020-2022"
    assert preview.counts["neu"] == 2
    assert [s["name"] for s in preview.sheets] == ["2020-2022"]


def test_an_unknown_sheet_gets_one_message_and_no_preview(admin_client, fixture_bytes):
    response = upload(admin_client, WORKBOOK, fixture_bytes(WORKBOOK), url=URL, sheet="1999")
    page = response.content.decode()
    assert "kein Blatt „1999“" in page
    assert page.count('data-testid="upload-error"') == 1
    assert not ImportPreview.objects.exists()


def test_a_csv_is_refused_by_extension(admin_client, fixture_bytes):
    response = upload(admin_client, "crm.csv", fixture_bytes("crm_edge_cases.csv"), url=URL)
    assert "hat eine andere Endung" in response.content.decode()
    assert not ImportPreview.objects.exists()


def test_random_bytes_named_xlsx_are_refused(admin_client):
    response = upload(admin_client, "kaputt.xlsx", b"\x00\x01not a zip" * 50, url=URL)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="upload-error"') == 1
    assert not ImportPreview.objects.exists()


def test_confirming_writes_one_log_per_sheet(admin_client, fixture_bytes):
    upload(admin_client, WORKBOOK, fixture_bytes(WORKBOOK), url=URL)
    preview = ImportPreview.objects.get()
    response = admin_client.post(reverse("imports:preview_confirm", args=[preview.pk]))
    logs = list(ImportLog.objects.order_by("pk"))
    assert [log.sheet for log in logs] == ["2025", "2020-2022"]
    assert response.url == reverse("imports:log_detail", args=[logs[0].pk])
    assert Case.objects.filter(quelle=Quelle.HISTORISCH).count() == 8
    assert Case.objects.get(nachname="Tonn").icd == "C50.1, C79.5"
    page = admin_client.get(response.url).content.decode()
    assert "2 Tabellenblätter" in page


def test_it_rejects_put(admin_client):
    assert admin_client.put(URL).status_code == 405


def test_it_is_forbidden_for_dak_staff(dak_client, fixture_bytes):
    assert upload(dak_client, WORKBOOK, fixture_bytes(WORKBOOK), url=URL).status_code == 403
    assert not ImportPreview.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
