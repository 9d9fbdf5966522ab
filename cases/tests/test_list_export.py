"""Export of the filtered case list as XLSX: the list's rows and order, formula-safe cells, a file
name without names, an audited download, the cap."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditLog
from cases import exports
from cases.models import Case
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db

EXPORT = "/faelle/export/"


def workbook(response):
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content))


def test_the_export_holds_the_filtered_rows_in_the_list_order(dak_client):
    newer = make_case(
        nachname="Weiß",
        vorname="Jürgen",
        datum=dt.date(2026, 2, 4),
        icd="C50.1, C79.5",
        gutachten=True,
        gutachten_typ="Bestätigung",
    )
    older = make_case(nachname="Kühn", vorname="", datum=dt.date(2026, 2, 2), unterlagen=True)
    make_case(nachname="Andere Gruppe", fallgruppe="kardio", datum=dt.date(2026, 2, 3))
    response = dak_client.get(f"{EXPORT}?jahr=2026&fallgruppe=onko")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPE
    sheet = workbook(response)["Fälle"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.HEADER
    assert rows[1] == (
        newer.fall_id,
        2026,
        6,
        dt.datetime(2026, 2, 4),
        "Weiß",
        "Jürgen",
        "Onkologie",
        "Gutachten codiert",
        "C50.1, C79.5",
        "Ja",
        "Bestätigung",
    )
    assert rows[2][0] == older.fall_id
    assert rows[2][5] is None and rows[2][7] == "Unterlagen" and rows[2][9] == "Nein"
    assert len(rows) == 3
    assert sheet["D2"].number_format == "DD.MM.YYYY"


def test_the_export_follows_the_sort_and_the_search(dak_client):
    make_case(nachname="Becker")
    zimmer = make_case(nachname="Zimmer")
    adler = make_case(nachname="Adler")
    dak_client.post("/faelle/suche/", {"q": "Zim", "filter": ""})
    rows = list(workbook(dak_client.get(EXPORT))["Fälle"].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [zimmer.fall_id]
    dak_client.post("/faelle/suche/zuruecksetzen/", {"filter": ""})
    rows = list(workbook(dak_client.get(f"{EXPORT}?sort=nachname")).active.values)
    assert [row[4] for row in rows[1:]] == ["Adler", "Becker", "Zimmer"]
    assert rows[1][0] == adler.fall_id


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_looks_like_a_formula_is_written_as_text(dak_client, start):
    text = f'{start}HYPERLINK("http://x.example")'
    case = make_case(nachname="Formel")
    # Saving trims text; a value written past the rules (old data, the shell) is written as is.
    Case.objects.filter(pk=case.pk).update(vorname=text)
    sheet = workbook(dak_client.get(EXPORT))["Fälle"]
    cell = sheet["F2"]
    # XML reads a raw CR as a line feed; the cell stays text either way.
    assert cell.value == text.replace("\r", "\n")
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    # An ordinary name is an ordinary cell.
    assert sheet["E2"].quotePrefix is False


def test_the_download_is_named_by_the_server_audited_and_not_cached(dak_client, dak_user):
    case = make_case(nachname="Weiß")
    response = dak_client.get(f"{EXPORT}?fallgruppe=onko")
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="Faelle_{today}.xlsx"'
    assert "no-store" in response["Cache-Control"]
    entry = AuditLog.objects.get(action=audit.DOWNLOAD)
    assert entry.user == dak_user
    assert entry.entity_type == "cases.case"
    assert entry.new_values == {
        "datei": f"Faelle_{today}.xlsx",
        "zeilen": 1,
        "filter": "fallgruppe=onko",
        "suche": False,
    }
    assert case.fall_id not in str(entry.new_values)


def test_admins_export_too(admin_client):
    make_case()
    assert admin_client.get(EXPORT).status_code == 200


def test_invalid_filters_export_nothing_and_say_why(dak_client):
    make_case()
    response = dak_client.get(f"{EXPORT}?kw=99", follow=True)
    html = response.content.decode()
    assert "Der Export ist nicht möglich: die Filter enthalten Fehler." in html
    assert "KW: bitte eine Zahl von 1 bis 53 eingeben." in html
    assert not AuditLog.objects.filter(action=audit.DOWNLOAD).exists()


def test_more_rows_than_the_cap_are_refused_with_a_german_message(dak_client, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    for _ in range(3):
        make_case()
    response = dak_client.get(f"{EXPORT}?jahr=2026")
    assert response.status_code == 302
    assert response["Location"] == "/faelle/?jahr=2026"
    page = dak_client.get(response["Location"]).content.decode()
    assert "Die Liste umfasst mehr als 2 Fälle" in page
    assert not AuditLog.objects.filter(action=audit.DOWNLOAD).exists()
    monkeypatch.setattr(exports, "MAX_ROWS", 3)
    assert dak_client.get(f"{EXPORT}?jahr=2026").status_code == 200


def test_the_list_links_to_the_export_of_its_filters(dak_client):
    make_case()
    html = dak_client.get("/faelle/?jahr=2026&sort=nachname").content.decode()
    assert 'href="/faelle/export/?jahr=2026&amp;sort=nachname"' in html
