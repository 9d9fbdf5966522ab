"""Failed rows of an upload as a file to fix and import again: just those rows, in the upload's
format, formula-safe, audited, named by the server, never cached."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditLog
from imports.models import ImportLog, ImportPreview
from imports.tests.conftest import FIXTURES
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db

HISTORICAL = reverse("imports:historical")
CRM_HEADER = "Hauptkontakt,Erstellungsdatum,Modul,Name,Thema,Bearbeiter\n"


def preview_url(preview, **query):
    url = reverse("imports:preview", args=[preview.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def download_url(preview):
    return reverse("imports:preview_failed_rows", args=[preview.pk])


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # German Excel opens UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def crm_preview(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    return ImportPreview.objects.get()


def formula_workbook():
    """The edge workbook with the Formel row (Vorname =HYPERLINK(…), Bemerkung @SUM(A1:A2))
    made to fail: its Fallgruppe is emptied."""
    book = load_workbook(FIXTURES / "Abrechnung_DAK_edge_cases.xlsx")
    sheet = book["2025"]
    assert sheet["D6"].value == "Formel"
    sheet["C6"] = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- CRM export: a semicolon CSV of the failed rows ------------------------------------------


def test_the_failed_rows_of_a_crm_export_download_as_a_csv_of_just_those_rows(
    admin_client, crm_preview
):
    response = admin_client.get(download_url(crm_preview))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Fehlerzeilen_')
    assert disposition.endswith('.csv"')
    assert "crm_edge_cases" not in disposition  # the name is the server's, not the upload's
    assert "no-store" in response["Cache-Control"]
    header, *rows = csv_rows(response)
    assert header == [
        "Hauptkontakt",
        "Erstellungsdatum",
        "Modul",
        "Name",
        "Thema",
        "Bearbeiter",
        "Zeile in der Originaldatei",
        "Fehler",
    ]
    assert [row[3] for row in rows] == ["T-9005", "T-9006", "T-9007"]
    modul_row = rows[0]
    assert modul_row[2] == "Zweitmeinung Orthopädie"  # the cell as it was in the file
    assert "kann keiner Fallgruppe zugeordnet werden" in modul_row[7]
    assert "Nachname fehlt" in rows[1][7]
    assert "Erstellungsdatum" in rows[2][7]


def test_a_corrected_download_imports_again(admin_client, crm_preview):
    header, *rows = csv_rows(admin_client.get(download_url(crm_preview)))
    rows[0][2] = "Zweitmeinung Onkologie"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([header, *rows])
    upload(admin_client, "korrigiert.csv", out.getvalue().encode("utf-8"))
    again = ImportPreview.objects.exclude(pk=crm_preview.pk).get()
    assert again.counts["neu"] == 1
    assert again.counts["fehler"] == 2


def test_formula_like_text_in_a_csv_cell_gets_an_apostrophe(admin_client):
    data = (
        CRM_HEADER
        + '"|Ohne|01.01.1970|",02.02.26,Zweitmeinung Onkologie,T-1,"=HYPERLINK(""http://x"")",@SUM(A1)\n'
        + "Kühn | Jörg,,Zweitmeinung Onkologie,T-2,+49 30 1234,-Notiz\n"
    ).encode()
    upload(admin_client, "formeln.csv", data)
    preview = ImportPreview.objects.get()
    _header, first, second = csv_rows(admin_client.get(download_url(preview)))
    assert first[4] == '\'=HYPERLINK("http://x")'
    assert first[5] == "'@SUM(A1)"
    assert second[4] == "'+49 30 1234"
    assert second[5] == "'-Notiz"
    assert second[0] == "Kühn | Jörg"


# --- historical workbook: XLSX, one sheet per original sheet ---------------------------------


def test_the_edge_workbooks_hyperlink_formula_comes_back_as_text_never_a_formula(admin_client):
    upload(admin_client, "Abrechnung.xlsx", formula_workbook(), url=HISTORICAL)
    preview = ImportPreview.objects.get()
    assert preview.counts["fehler"] == 1
    response = admin_client.get(download_url(preview))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["2025"]
    sheet = book["2025"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    vorname = row["Vorname"]
    assert vorname.value == '=HYPERLINK("http://x")'
    assert vorname.data_type == "s"  # a text cell, not a formula
    assert vorname.quotePrefix  # Excel keeps it as text even when the cell is edited
    assert row["Bemerkung"].value == "@SUM(A1:A2)"
    assert row["Bemerkung"].quotePrefix
    assert row["Nachname"].value == "Formel"
    assert float(row["Betrag"].value) == 1234.56
    assert row["Zeile in der Originaldatei"].value == 6
    assert "Fallgruppe fehlt" in row["Fehler"].value
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_the_failed_rows_download_is_audited_without_patient_values(admin_client, admin_user):
    upload(admin_client, "Abrechnung.xlsx", formula_workbook(), url=HISTORICAL)
    preview = ImportPreview.objects.get()
    response = admin_client.get(download_url(preview))
    entry = AuditLog.objects.filter(action=audit.DOWNLOAD).get()
    assert (entry.user, entry.entity_type, entry.entity_id) == (
        admin_user,
        "imports.importpreview",
        str(preview.pk),
    )
    file_name = response["Content-Disposition"].split('"')[1]
    assert entry.new_values == {"datei": file_name, "zeilen": 1}
    assert "Formel" not in str(entry.new_values) and "HYPERLINK" not in str(entry.new_values)


def test_someone_elses_preview_has_no_download(crm_preview, client):
    from accounts.models import Role, User
    from conftest import login_verified

    other = User.objects.create_user(email="zweite.admin@anbieter.example", role=Role.ADMIN)
    response = login_verified(client, other).get(download_url(crm_preview))
    assert response.status_code == 404
    assert not AuditLog.objects.filter(action=audit.DOWNLOAD).exists()


def test_the_error_tab_offers_the_download(admin_client, crm_preview):
    page = admin_client.get(preview_url(crm_preview, art="fehler")).content.decode()
    assert f'href="{download_url(crm_preview)}"' in page
    assert "Fehlerzeilen herunterladen (CSV)" in page
    new_tab = admin_client.get(preview_url(crm_preview, art="neu")).content.decode()
    assert "Fehlerzeilen herunterladen" not in new_tab


# --- from the import log, while the preview is kept ------------------------------------------


def test_the_import_log_offers_the_failed_rows_while_the_preview_is_kept(admin_client, crm_preview):
    admin_client.post(reverse("imports:preview_confirm", args=[crm_preview.pk]))
    log = ImportLog.objects.get()
    url = reverse("imports:log_failed_rows", args=[log.pk])
    page = admin_client.get(reverse("imports:log_detail", args=[log.pk])).content.decode()
    assert f'href="{url}"' in page
    response = admin_client.get(url)
    assert response.status_code == 200
    assert f"_Importprotokoll_{log.pk}.csv" in response["Content-Disposition"]
    assert [row[3] for row in csv_rows(response)[1:]] == ["T-9005", "T-9006", "T-9007"]
    entry = AuditLog.objects.filter(action=audit.DOWNLOAD).get()
    assert (entry.entity_type, entry.entity_id) == ("imports.importlog", str(log.pk))


def test_once_the_preview_is_gone_the_log_says_so_instead_of_offering_a_dead_link(
    admin_client, crm_preview
):
    admin_client.post(reverse("imports:preview_confirm", args=[crm_preview.pk]))
    log = ImportLog.objects.get()
    ImportPreview.objects.all().delete()
    page = admin_client.get(reverse("imports:log_detail", args=[log.pk])).content.decode()
    assert "Fehlerzeilen herunterladen" not in page
    response = admin_client.get(reverse("imports:log_failed_rows", args=[log.pk]))
    assert response.status_code == 404
