"""The hand-streamed Excel-Sync workbook opens in real readers: LibreOffice Calc (headless
round trip xlsx → xlsx), openpyxl and python-calamine, with the same values and no formula; a
workbook saved by LibreOffice still syncs back without changes."""

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from imports.sync import sync_prepare
from imports.tests.sync_support import edit, exported, import_fixture

pytestmark = pytest.mark.django_db


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


def _libreoffice_round_trip(data: bytes, tmp_path: Path) -> bytes:
    soffice = _soffice()
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (libreoffice-calc-nogui) is missing in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "in" / "Abrechnung_DAK_alle.xlsx"
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
            timeout=180,
        )
    return (out / source.name).read_bytes()


def _values(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return {
        name: [[cell.value for cell in row] for row in book[name].iter_rows()]
        for name in book.sheetnames
    }


def test_libreoffice_opens_the_export_with_the_same_values_and_no_formula(tmp_path):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    data = exported()
    converted = _libreoffice_round_trip(data, tmp_path)
    book = load_workbook(io.BytesIO(converted))
    assert book.sheetnames == load_workbook(io.BytesIO(data)).sheetnames
    formulas = [
        (sheet.title, cell.coordinate)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    mine, theirs = _values(data), _values(converted)
    for name, rows in mine.items():
        for number, row in enumerate(rows):
            other = theirs[name][number] + [None] * (len(row) - len(theirs[name][number]))
            assert other[: len(row)] == row, (name, number + 1)
    texts = {v for row in theirs["2025"] for v in row if isinstance(v, str)}
    assert {'=HYPERLINK("http://x")', "@SUM(A1:A2)"} <= texts
    # Saved by LibreOffice, the workbook still syncs back: nothing changed.
    plan = sync_prepare(data=converted, file_name="Abrechnung_DAK_alle.xlsx")
    assert plan.rows == []


def test_libreoffice_saved_edits_come_back_as_exactly_those_changes(tmp_path):
    from cases.models import Case

    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    daum = Case.objects.get(nachname="Daum")
    data = edit(exported(), {daum.fall_id: {"Bemerkung": "über LibreOffice"}})
    [changed] = sync_prepare(data=_libreoffice_round_trip(data, tmp_path), file_name="x.xlsx").rows
    assert changed.new == {"bemerkung": "über LibreOffice"}


def test_python_calamine_reads_every_sheet_with_the_same_values():
    import_fixture("Abrechnung_DAK_sample.xlsx")
    data = exported()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["2026", "2025", "2024", "2023", "2020-2022", "Sync"]
    mine = _values(data)
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert len(rows) == len(mine[name]), name
        for number, (theirs, ours) in enumerate(zip(rows, mine[name], strict=True)):
            ours = [("" if v is None else v) for v in ours]
            theirs = list(theirs) + [""] * (len(ours) - len(theirs))
            for column, (a, b) in enumerate(zip(theirs, ours, strict=False)):
                if isinstance(b, float | int) and not isinstance(b, bool):
                    assert float(a) == pytest.approx(float(b)), (name, number + 1, column)
                elif hasattr(b, "date"):
                    day = a.date() if hasattr(a, "date") else a
                    assert day == b.date(), (name, number + 1, column)
                else:
                    assert a == b, (name, number + 1, column)
