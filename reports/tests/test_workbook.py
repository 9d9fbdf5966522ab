import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from cases.models import replace_icd_codes
from cases.tests.factories import make_case
from reports.figures import report_figures
from reports.tests.workbook_cells import figures_from_cells, open_book
from reports.workbook import SHEET_NAMES, report_file_name, write_berichtswesen

pytestmark = pytest.mark.django_db


def all_cells(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def some_cases():
    cases = [
        make_case(datum=dt.date(2027, 1, 5), nachname="Größer", unterlagen=True, icd="C50.1"),
        make_case(
            datum=dt.date(2027, 1, 6),
            nachname="Öztürk",
            fallgruppe="kardio",
            unterlagen=True,
            gutachten=True,
            gutachten_typ="Alternative",
            therapieaenderung="Ja",
            ta_unterversorgung=True,
        ),
        make_case(datum=dt.date(2027, 1, 27), nachname="Weiß", fallgruppe="sd", ablehnung=True),
    ]
    for case in cases:
        replace_icd_codes(case)


def test_file_name():
    assert report_file_name(jahr=2026, kw=5) == "Berichtswesen_DAK_2026_KW05.xlsx"
    assert report_file_name(jahr=2026, kw=53) == "Berichtswesen_DAK_2026_KW53.xlsx"


def test_sheets_headers_and_layout_as_formats_md_4():
    some_cases()
    book = open_book(write_berichtswesen(report_figures(jahr=2027, kw=4)))
    assert book.sheetnames == list(SHEET_NAMES)
    s1, s2, s3, s4, s5 = book.worksheets
    assert s1["A1"].value == "Gesamtübersicht"
    assert (s1["B2"].value, s1["C2"].value, s1["D2"].value, s1["E2"].value) == (
        2027,
        "Anteil",
        2026,
        "Anteil",
    )
    assert [s1.cell(r, 1).value for r in range(3, 8)] == [
        "Erstberatungen",
        "Unterlagen",
        "Ablehnungen",
        "Keine Rückmeldung",
        "Gutachten",
    ]
    assert [c.value for c in s1[10]] == [
        "KW",
        "Erstberatungen",
        "Unterlagen",
        "Ablehnungen",
        "Keine Rückmeldung",
        "Gutachten",
    ]
    assert [s1.cell(r, 1).value for r in range(11, 17)] == [1, 2, 3, 4, "Gesamt", "Anteil"]
    # shares: numeric fractions in 0.0%
    assert s1["C4"].value == pytest.approx(2 / 3) and s1["C4"].number_format == "0.0%"
    assert s1["B16"].value == 1 and s1["C16"].value == pytest.approx(2 / 3)
    assert s1["C16"].number_format == "0.0%"
    # no 2026 cases and no summary: the previous-year cells stay empty
    assert all(s1.cell(r, c).value is None for r in range(3, 8) for c in (4, 5))

    groups = ["Onkologie", "Kardiologie", "Intensivmedizin", "Gallenblase", "Schilddrüse"]
    assert [s2.cell(1, 2 + 3 * i).value for i in range(5)] == groups
    assert sorted(str(r) for r in s2.merged_cells.ranges) == sorted(
        ["B1:D1", "E1:G1", "H1:J1", "K1:M1", "N1:P1"]
    )
    assert [c.value for c in s2[2]][:4] == ["KW", "Anzahl", "Gutachten", "Keine RM/Ablehnung"]
    assert [s3.cell(1, 2 + 3 * i).value for i in range(6)] == ["Gesamt", *groups]
    assert len(s3.merged_cells.ranges) == 6
    assert [c.value for c in s3[2]][:4] == ["KW", "Gutachten", "Alternative", "Bestätigung"]
    assert [c.value for c in s4[1]] == [
        "KW",
        "Gutachten",
        "TA Ja",
        "TA Nein",
        "Diagnosekorrektur",
        "Unterversorgung",
        "Übertherapie",
    ]
    assert [c.value for c in s5[1]] == ["ICD", "Anzahl"]
    assert [c.value for c in s5[2]] == ["C50.1", 1]

    # KW 1 of sheet 3: Gesamt 1 Gutachten (1 Alternative); Kardiologie the same
    assert [c.value for c in s3[3]][:4] == [1, 1, 1, 0]
    assert [c.value for c in s3[3]][7:10] == [1, 1, 0]
    assert [c.value for c in s4[2]] == [1, 1, 1, 0, 0, 1, 0]

    # header rows bold, panes frozen below the headers, columns wide enough for the labels
    assert s1["A1"].font.b and s1["B10"].font.b and s2["B1"].font.b and s2["B2"].font.b
    assert s4["G1"].font.b and s5["A1"].font.b
    assert (s1.freeze_panes, s2.freeze_panes, s3.freeze_panes) == ("B11", "B3", "B3")
    assert (s4.freeze_panes, s5.freeze_panes) == ("B2", "A2")
    assert s1.column_dimensions["A"].width >= len("Keine Rückmeldung")
    assert s2.column_dimensions["D"].width >= len("Keine RM/Ablehnung")


def test_every_figure_is_a_numeric_cell_and_no_cell_is_a_formula():
    some_cases()
    book = open_book(write_berichtswesen(report_figures(jahr=2027, kw=4)))
    cells = [c for c in all_cells(book) if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    s1 = book.worksheets[0]
    for row in range(11, 17):
        for column in range(2, 7):
            assert s1.cell(row, column).data_type == "n"


def test_text_that_looks_like_a_formula_is_written_as_text():
    figures = report_figures(jahr=2031, kw=1)
    figures["icd_onko"] = {'=HYPERLINK("http://x")': 1, "@SUM(A1:A2)": 2}
    book = open_book(write_berichtswesen(figures))
    sheet = book["Auswertung ICD onko"]
    assert sheet["A2"].data_type == "s" and sheet["A3"].data_type == "s"
    assert {sheet["A2"].value, sheet["A3"].value} == set(figures["icd_onko"])


def test_empty_weeks_are_zero_rows():
    some_cases()
    cells = figures_from_cells(write_berichtswesen(report_figures(jahr=2027, kw=4)))
    assert list(cells["per_kw"]) == ["1", "2", "3", "4"]
    assert cells["per_kw"]["2"] == cells["per_kw"]["3"] == dict.fromkeys(cells["gesamt"], 0)
    assert cells["per_kw"]["1"]["erstberatungen"] == 2


def test_a_week_with_no_data_is_a_valid_report():
    data = write_berichtswesen(report_figures(jahr=2031, kw=1))
    cells = figures_from_cells(data)
    assert cells["gesamt"] == dict.fromkeys(cells["gesamt"], 0)
    assert cells["per_kw"] == {"1": dict.fromkeys(cells["gesamt"], 0)}
    assert cells["icd_onko"] == {}
    sheet = open_book(data).worksheets[0]
    assert sheet["C3"].value == 0 and sheet["C3"].number_format == "0.0%"


def test_a_kw_53_year_has_kw_53():
    make_case(datum=dt.date(2026, 12, 31), nachname="Kühn")
    cells = figures_from_cells(write_berichtswesen(report_figures(jahr=2026, kw=53)))
    assert list(cells["per_kw"])[-1] == "53" and len(cells["per_kw"]) == 53
    assert cells["per_kw"]["53"]["erstberatungen"] == 1
    book = open_book(write_berichtswesen(report_figures(jahr=2026, kw=53)))
    assert book["Auswertung Therapieänderungen"].cell(54, 1).value == 53
    assert book["Auswertung Therapieänderungen"].cell(55, 1).value == "Gesamt"


def test_the_previous_year_is_filled_when_known():
    make_case(datum=dt.date(2026, 3, 3), nachname="Jäger", unterlagen=True)
    make_case(datum=dt.date(2026, 3, 4), nachname="Jäger", vorname="Jörg")
    sheet = open_book(write_berichtswesen(report_figures(jahr=2027, kw=1))).worksheets[0]
    assert (sheet["D3"].value, sheet["D4"].value) == (2, 1)
    assert sheet["E4"].value == pytest.approx(0.5) and sheet["E4"].number_format == "0.0%"


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_opens_the_workbook_with_the_same_values_and_no_formula(tmp_path):
    soffice = _soffice()
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (libreoffice-calc-nogui) is missing in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    some_cases()
    data = write_berichtswesen(report_figures(jahr=2027, kw=4))
    source = tmp_path / "in" / "Berichtswesen.xlsx"
    source.parent.mkdir()
    source.write_bytes(data)
    out = tmp_path / "out"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    converted = (out / "Berichtswesen.xlsx").read_bytes()
    original, roundtrip = open_book(data), open_book(converted)
    assert roundtrip.sheetnames == original.sheetnames
    for name in original.sheetnames:
        mine, theirs = original[name], roundtrip[name]
        assert not [c.coordinate for row in theirs.iter_rows() for c in row if c.data_type == "f"]
        for row in mine.iter_rows():
            for cell in row:
                other = theirs[cell.coordinate]
                if isinstance(cell.value, float):
                    assert other.value == pytest.approx(cell.value), cell.coordinate
                else:
                    assert other.value == cell.value, (name, cell.coordinate)
                if cell.value is not None and cell.data_type == "n":
                    assert other.data_type == "n", (name, cell.coordinate)
    assert figures_from_cells(converted) == figures_from_cells(data)
