"""The ICD coding template (formats.md §3): content and layout, protection except the ICD
column, formula safety, the list's filters and search, roles, audit, and the round trip
download → fill ICD → upload."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditLog
from cases import icd_template
from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db

URL = reverse("cases:icd_template")


def workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(response):
    return list(workbook(response)["ICD-Codierung"].iter_rows(values_only=True))


@pytest.fixture
def cases():
    late = make_case(
        nachname="Weiß",
        vorname="Jürgen",
        datum=dt.date(2026, 2, 4),
        geburtsdatum=dt.date(1961, 7, 14),
    )
    early = make_case(nachname="Kühn", vorname="", datum=dt.date(2026, 2, 2))
    coded = make_case(nachname="Schröder", datum=dt.date(2026, 2, 3), icd="C50.1")
    other_group = make_case(nachname="Öztürk", fallgruppe="kardio", datum=dt.date(2026, 2, 3))
    other_week = make_case(nachname="Groß", datum=dt.date(2026, 3, 10))
    return {
        "late": late,
        "early": early,
        "coded": coded,
        "other_group": other_group,
        "other_week": other_week,
    }


def test_the_template_holds_the_pending_icd_cases_by_datum_then_fall_id(dak_client, cases):
    twin = make_case(nachname="Kühn", vorname="Anna", datum=dt.date(2026, 2, 2))
    response = dak_client.get(f"{URL}?jahr=2026&kw=6&fallgruppe=onko")
    assert response.status_code == 200
    assert response["Content-Type"] == icd_template.CONTENT_TYPE
    book = workbook(response)
    assert book.sheetnames == ["ICD-Codierung"]
    sheet = book["ICD-Codierung"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Fall-ID",
        "KW",
        "Datum",
        "Fallgruppe",
        "Nachname",
        "Vorname",
        "Geburtsdatum",
        "ICD",
    )
    early_first = sorted([cases["early"].fall_id, twin.fall_id])
    assert [row[0] for row in rows[1:]] == [*early_first, cases["late"].fall_id]
    assert rows[3] == (
        cases["late"].fall_id,
        6,
        dt.datetime(2026, 2, 4),
        "Onkologie",
        "Weiß",
        "Jürgen",
        dt.datetime(1961, 7, 14),
        None,
    )
    # Excel dates, not text; an empty first name and birth date stay empty cells.
    assert sheet["C2"].is_date and sheet["C2"].number_format == "DD.MM.YYYY"
    assert sheet["G4"].is_date and sheet["G4"].number_format == "DD.MM.YYYY"
    assert rows[1][5] is None or rows[2][5] is None
    assert rows[1][6] is None


def test_layout_frozen_header_bold_and_column_widths(dak_client, cases):
    sheet = workbook(dak_client.get(URL))["ICD-Codierung"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    for index, (_header, width) in enumerate(icd_template.COLUMNS):
        assert sheet.column_dimensions[chr(ord("A") + index)].width == width


def test_the_sheet_is_protected_except_the_icd_column(dak_client, cases):
    sheet = workbook(dak_client.get(URL))["ICD-Codierung"]
    assert sheet.protection.sheet is True
    assert not sheet.protection.password  # documented: protection without a password
    # Cells of the case rows: locked except ICD; the ICD column itself is unlocked too, so an
    # ICD cell below the rows can be typed into as well.
    for row in sheet.iter_rows(min_row=2):
        assert [cell.protection.locked for cell in row] == [True] * 7 + [False]
    assert all(cell.protection.locked for cell in sheet[1])
    assert sheet.column_dimensions["H"].protection.locked is False
    assert sheet.column_dimensions["A"].protection.locked is True


def test_formula_like_names_are_written_as_text(dak_client):
    case = make_case(nachname="Formel")
    text = '=HYPERLINK("http://x.example","Klick")'
    # Saving trims and checks text; a value written past the rules is written as is.
    Case.objects.filter(pk=case.pk).update(nachname=text, vorname="+49 Test")
    sheet = workbook(dak_client.get(URL))["ICD-Codierung"]
    cell = sheet["E2"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    assert sheet["F2"].value == "+49 Test" and sheet["F2"].quotePrefix is True
    # An ordinary Fall-ID is an ordinary cell.
    assert sheet["A2"].quotePrefix is False


def test_the_list_filters_are_respected(dak_client, cases):
    def ids(query):
        return {row[0] for row in rows_of(dak_client.get(f"{URL}?{query}"))[1:]}

    pending = {c.fall_id for key, c in cases.items() if key != "coded"}
    assert ids("") == pending
    assert ids("fallgruppe=kardio") == {cases["other_group"].fall_id}
    assert ids("jahr=2026&kw=11") == {cases["other_week"].fall_id}
    assert ids("jahr=2026&kw_von=6&kw_bis=6&fallgruppe=onko") == {
        cases["late"].fall_id,
        cases["early"].fall_id,
    }
    # Cases with ICD never appear, even when the list's filter would show them.
    assert cases["coded"].fall_id not in ids("jahr=2026&kw=6")


def test_the_search_of_the_list_applies_unless_the_upload_page_asks_without(dak_client, cases):
    dak_client.post(reverse("cases:search"), {"q": "Weiß", "filter": ""})
    assert [row[0] for row in rows_of(dak_client.get(URL))[1:]] == [cases["late"].fall_id]
    rows = rows_of(dak_client.get(f"{URL}?ohne_suche=1&fallgruppe=onko"))
    assert len(rows) == 1 + 3  # early, late, other_week


def test_invalid_filters_give_no_file_but_a_german_message(dak_client, cases):
    response = dak_client.get(f"{URL}?kw=99", follow=True)
    html = response.content.decode()
    assert "Die Codiervorlage ist nicht möglich: die Filter enthalten Fehler." in html
    assert not AuditLog.objects.filter(action=audit.DOWNLOAD).exists()


def test_more_rows_than_the_cap_are_refused(dak_client, cases, monkeypatch):
    monkeypatch.setattr(icd_template, "MAX_ROWS", 3)
    response = dak_client.get(f"{URL}?jahr=2026")
    assert response.status_code == 302
    assert "Mehr als 3 Fälle ohne ICD" in dak_client.get(response["Location"]).content.decode()
    monkeypatch.setattr(icd_template, "MAX_ROWS", 4)
    assert dak_client.get(f"{URL}?jahr=2026").status_code == 200


def test_the_download_is_named_by_the_server_audited_and_not_cached(dak_client, dak_user, cases):
    response = dak_client.get(f"{URL}?fallgruppe=kardio")
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="Codiervorlage_{today}.xlsx"'
    assert "no-store" in response["Cache-Control"]
    entry = AuditLog.objects.get(action=audit.DOWNLOAD)
    assert entry.user == dak_user
    assert entry.entity_type == "cases.case"
    assert entry.new_values == {
        "datei": f"Codiervorlage_{today}.xlsx",
        "zeilen": 1,
        "filter": "fallgruppe=kardio",
        "suche": False,
    }
    assert "Öztürk" not in str(entry.new_values)


def test_dak_staff_may_download_anonymous_users_are_sent_to_the_login(dak_client, cases):
    assert dak_client.get(URL).status_code == 200
    assert dak_client.post(URL).status_code == 405
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_admins_may_download(admin_client, cases):
    assert admin_client.get(URL).status_code == 200


def test_the_list_and_the_upload_page_link_to_the_template(dak_client, cases):
    html = dak_client.get("/faelle/?jahr=2026&fallgruppe=onko").content.decode()
    assert f'href="{URL}?jahr=2026&amp;fallgruppe=onko"' in html
    page = dak_client.get(reverse("imports:icd")).content.decode()
    form = page.split('data-testid="icd-template-form"')[1].split("</form>")[0]
    assert f'action="{URL}"' in page
    for name in ("jahr", "kw", "fallgruppe", "ohne_suche"):
        assert f'name="{name}"' in form
    assert "noch nicht selbst" not in page


def test_round_trip_download_fill_upload_saves_the_codes(dak_client, dak_user, cases):
    book = workbook(dak_client.get(f"{URL}?jahr=2026&kw=6&fallgruppe=onko"))
    sheet = book["ICD-Codierung"]
    by_id = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(row=by_id[cases["late"].fall_id], column=8).value = "c50.1, C79.5"
    sheet.cell(row=by_id[cases["early"].fall_id], column=8).value = "I21.0"
    out = io.BytesIO()
    book.save(out)
    response = dak_client.post(
        reverse("imports:icd"),
        {"file": SimpleUploadedFile("Codiervorlage.xlsx", out.getvalue())},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="icd-updated">2<' in page
    assert 'data-testid="icd-errors">0<' in page
    late = Case.objects.get(pk=cases["late"].pk)
    assert late.icd == "C50.1, C79.5"
    assert late.icd_entered_by == dak_user
    assert set(CaseICDCode.objects.filter(case=late).values_list("icd_code", flat=True)) == {
        "C50.1",
        "C79.5",
    }
    assert Case.objects.get(pk=cases["early"].pk).icd == "I21.0"
    # Coded cases leave the next template.
    ids = {row[0] for row in rows_of(dak_client.get(f"{URL}?jahr=2026&kw=6"))[1:]}
    assert cases["late"].fall_id not in ids and cases["early"].fall_id not in ids
