"""Helpers for the Excel-sync tests: import a fixture, export, edit the export like Excel does."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from accounts.actor import Actor
from imports.models import ImportType
from imports.services import import_commit, import_prepare
from imports.sync_export import FALL_ID_HEADER, export_cases
from imports.tests.reader_support import fixture


def import_fixture(name: str) -> None:
    plan = import_prepare(import_type=ImportType.HISTORISCH, data=fixture(name), file_name=name)
    import_commit(plan=plan, actor=Actor.command_line())


def exported(jahr: int | None = None) -> bytes:
    export = export_cases(jahr=jahr)
    try:
        return export.file.read()
    finally:
        export.file.close()


def edit(data: bytes, changes: dict[str, dict[str, object]]) -> bytes:
    """The workbook with cells changed: {fall_id: {header: value}} (the row found by Fall-ID),
    loaded and saved by openpyxl as a user's spreadsheet program would."""
    book = load_workbook(io.BytesIO(data))
    left = dict(changes)
    for sheet in book.worksheets:
        if sheet.title == "Sync":
            continue
        headers = [cell.value for cell in sheet[1]]
        id_column = headers.index(FALL_ID_HEADER)
        for row in sheet.iter_rows(min_row=2):
            fall_id = row[id_column].value
            if fall_id in left:
                for header, value in left.pop(fall_id).items():
                    row[headers.index(header)].value = value
    assert not left, f"rows not found: {len(left)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edit_sheet(data: bytes, sheet_name: str, cell: str, value) -> bytes:
    book = load_workbook(io.BytesIO(data))
    book[sheet_name][cell].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
