import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imports.readers.base import FileRejected
from imports.readers.icd_workbook import read_icd_workbook
from imports.tests.reader_support import xlsx

TEMPLATE = ["Fall-ID", "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "ICD"]


def template_row(fall_id, icd, nachname="A"):
    return [fall_id, 4, dt.date(2025, 1, 20), "onko", nachname, "B", None, icd]


def test_filled_rows_only_with_row_numbers():
    data = xlsx(
        {
            "ICD-Codierung": [
                TEMPLATE,
                template_row("2025-04-onko-A", "c50.1; C79.5"),
                template_row("2025-04-onko-B", None),
                template_row("2025-04-onko-C", "   "),
                template_row("2025-04-onko-D", "E11.90"),
            ]
        }
    )
    result = read_icd_workbook(data)
    assert result.rows_read == 2
    assert [(r.row_number, r.values) for r in result.rows] == [
        (2, {"fall_id": "2025-04-onko-A", "icd_raw": "c50.1; C79.5"}),
        (5, {"fall_id": "2025-04-onko-D", "icd_raw": "E11.90"}),
    ]
    assert all(r.ok and r.sheet == "ICD-Codierung" for r in result.rows)
    assert result.notices == []


def test_named_sheet_is_preferred_over_the_first():
    data = xlsx(
        {
            "Hinweise": [["Bitte nur Spalte ICD ausfüllen"]],
            "icd codierung": [["ICD", "fall id"], ["C50", "X-1"]],
        }
    )
    [r] = read_icd_workbook(data).rows
    assert r.values == {"fall_id": "X-1", "icd_raw": "C50"}


def test_first_sheet_when_not_named():
    data = xlsx({"Tabelle1": [["Fall-ID", "ICD"], ["X-1", "C50"]], "Tabelle2": [["a"]]})
    assert read_icd_workbook(data).rows_read == 1


def test_missing_fall_id_is_a_row_error():
    data = xlsx({"ICD-Codierung": [["Fall-ID", "ICD"], [None, "C50"]]})
    [r] = read_icd_workbook(data).rows
    assert not r.ok
    assert (r.errors[0].row, r.errors[0].column) == (2, "Fall-ID")


def test_invalid_codes_are_left_to_the_service():
    data = xlsx({"ICD-Codierung": [["Fall-ID", "ICD"], ["X-1", "XYZ"]]})
    [r] = read_icd_workbook(data).rows
    assert r.ok and r.values["icd_raw"] == "XYZ"


def test_formula_in_icd_cell_is_text_with_warning():
    data = xlsx({"ICD-Codierung": [["Fall-ID", "ICD"], ["X-1", '="C"&"50"']]})
    [r] = read_icd_workbook(data).rows
    assert r.values["icd_raw"] == '="C"&"50"'
    assert r.warnings[0].column == "ICD"


@pytest.mark.parametrize(
    "headers", [["Fall-ID", "Diagnose"], ["ID", "ICD"], []], ids=["no-icd", "no-id", "empty"]
)
def test_missing_columns_reject(headers):
    with pytest.raises(FileRejected):
        read_icd_workbook(xlsx({"ICD-Codierung": [headers, ["X-1", "C50"]]}))


def test_no_filled_cells_gives_notice():
    result = read_icd_workbook(xlsx({"ICD-Codierung": [TEMPLATE, template_row("X-1", None)]}))
    assert result.rows == []
    assert "keine ausgefüllten" in result.notices[0].message


def test_csv_is_refused():
    with pytest.raises(FileRejected, match="keine Excel-Arbeitsmappe"):
        read_icd_workbook(b"Fall-ID;ICD\nX-1;C50\n")


def test_oversize():
    data = xlsx({"ICD-Codierung": [["Fall-ID", "ICD"]]})
    with pytest.raises(FileRejected, match="zu groß"):
        read_icd_workbook(data, max_bytes=100)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_only_raise_file_rejected(data):
    with contextlib.suppress(FileRejected):
        read_icd_workbook(data)
