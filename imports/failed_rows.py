"""The rows of an upload that failed, as a file to fix and import again (issue 11 §6).

The preview keeps what the reader understood of each row (``values``) and, for every problem,
the cell as it stood in the file. The file is rebuilt from both in the upload's own format: a
CRM export (semicolon CSV with the CRM's columns) or the historical workbook (one sheet per
original sheet, the columns in formats.md §2 order), each row followed by its row number in the
original file and the German error messages. The readers map columns by header, so the two
extra columns are ignored (with a notice) when the corrected file is uploaded again.
A cell the reader could not read is written as it was in the file; every other cell as the
portal read it (dates as dates, Fallgruppe as its label, flags as Ja/Nein).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from cases import rules
from cases.models import Case
from imports.models import ImportPreview, ImportType, PreviewState
from imports.outcomes import RowOutcome
from imports.readers import historical
from imports.readers.base import normalize_header
from imports.values import decode_values
from imports.writers import csv_bytes, xlsx_bytes

ROW_HEADER = "Zeile in der Originaldatei"
ERROR_HEADER = "Fehler"
CRM_HEADERS = ["Hauptkontakt", "Erstellungsdatum", "Modul", "Name", "Thema", "Bearbeiter"]
_CASE_FIELDS = {f.name: f for f in Case._meta.concrete_fields}


@dataclass
class FailedRowsFile:
    file_name: str
    content_type: str
    content: bytes
    rows: int


def failed_rows(preview, *, sheet=None):
    """The preview's rows in error (of one sheet, when given), in file order."""
    rows = preview.rows.filter(kind=RowOutcome.FEHLER).order_by("position")
    return rows.filter(sheet=sheet) if sheet is not None else rows


def preview_for_log(log):
    """The stored preview a web import log was confirmed from, while it is still kept."""
    candidates = ImportPreview.objects.filter(
        sha256=log.sha256, import_type=log.import_type, state=PreviewState.BESTAETIGT
    )
    # import_log_ids is a JSON list; "contains" on JSON does not exist on SQLite.
    return next((p for p in candidates if log.pk in p.import_log_ids), None)


def failed_rows_file(preview, *, sheet=None, name_suffix=""):
    rows = list(failed_rows(preview, sheet=sheet))
    stamp = timezone.localtime(preview.created_at)
    base = f"Fehlerzeilen_{stamp:%Y-%m-%d_%H%M}{name_suffix}"
    if preview.import_type == ImportType.CRM_CSV:
        header = [*CRM_HEADERS, ROW_HEADER, ERROR_HEADER]
        body = [[*_crm_cells(row), row.row_number, _errors(row)] for row in rows]
        return FailedRowsFile(
            f"{base}.csv", "text/csv; charset=utf-8", csv_bytes(header, body), len(rows)
        )
    by_sheet = {}
    for row in rows:
        by_sheet.setdefault(row.sheet, []).append(row)
    sheets = [_historical_sheet(name, sheet_rows) for name, sheet_rows in by_sheet.items()]
    if not sheets:
        sheets = [(sheet or "Fehlerzeilen", [ROW_HEADER, ERROR_HEADER], [])]
    return FailedRowsFile(
        f"{base}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx_bytes(sheets),
        len(rows),
    )


def _errors(row):
    return "; ".join(
        f"{p['column']}: {p['message']}" if p.get("column") else p["message"] for p in row.errors
    )


def _raw(row, header, *, mentioning=None):
    """The file's text of a cell the reader complained about, or None."""
    key = normalize_header(header)
    for problem in [*row.errors, *row.warnings]:
        if problem.get("value") is None or normalize_header(problem.get("column")) != key:
            continue
        if mentioning is None or mentioning in problem["message"]:
            return problem["value"]
    return None


def _date_text(value):
    return f"{value:%d.%m.%Y}" if isinstance(value, dt.date) else ""


def _crm_cells(row):
    values = decode_values(row.values)
    contact = _raw(row, "Hauptkontakt", mentioning="Nachname") or _raw(
        row, "Hauptkontakt", mentioning="mehr als vier Teile"
    )
    if contact is None:
        birth = _date_text(values.get("geburtsdatum")) or (
            _raw(row, "Hauptkontakt", mentioning="Geburtsdatum") or ""
        )
        parts = [
            values.get("nachname") or "",
            values.get("vorname") or "",
            birth,
            values.get("kvnr") or "",
        ]
        while parts and not parts[-1]:
            parts.pop()
        contact = " | ".join(parts)
    created = _raw(row, "Erstellungsdatum")
    if created is None:
        created = _date_text(values.get("datum"))
    modul = _raw(row, "Modul")
    if modul is None:
        modul = rules.MODUL_TEXTS.get(values.get("fallgruppe") or "", "")
    ticket = _raw(row, "Name")
    if ticket is None:
        ticket = values.get("crm_ticket_id") or ""
    return [contact, created, modul, ticket, values.get("thema"), values.get("bearbeiter")]


def _historical_sheet(name, rows):
    kind = historical.sheet_kind(name)
    with_year = bool(kind and kind[1])
    present = set()
    for row in rows:
        present.update(row.values)
        present.update(
            field for header, field, _kind in historical.COLUMNS if _raw(row, header) is not None
        )
    columns = [
        (header, field)
        for header, field, _kind in historical.COLUMNS
        if field in present or field in ("kw", "datum", "fallgruppe", "nachname")
    ]
    if with_year:
        columns.insert(1, ("Jahr", "jahr"))
    if "fall_id" in present:
        columns.append(("Fall-ID", "fall_id"))
    header = [h for h, _f in columns] + [ROW_HEADER, ERROR_HEADER]
    body = []
    for row in rows:
        values = decode_values(row.values)
        cells = []
        for column_header, field in columns:
            raw = _raw(row, column_header)
            cells.append(raw if raw is not None else _cell(field, values.get(field)))
        body.append([*cells, row.row_number, _errors(row)])
    return name, header, body


def _cell(field, value):
    """A read value as the workbook writes it: choices as labels, flags as Ja/Nein."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | Decimal | dt.date):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    model_field = _CASE_FIELDS.get(field)
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)
