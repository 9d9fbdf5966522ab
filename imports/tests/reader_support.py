"""Helpers for the reader tests: fixture paths and small workbooks built in memory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# formats.md §2, in the order the portal writes them.
HEADERS = [
    "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "KVNR", "Geschlecht",
    "Telefon", "E-Mail", "CRM-Ticket", "Thema", "Bearbeiter", "Kontaktkanal",
    "Kurzbeschreibung", "Fragestellung", "Behandelnde Klinik", "Unterlagen",
    "Unterlagen angefordert", "Unterlagen Eingang", "Ablehnung", "Ablehnungsgrund", "Abbruch",
    "Abbruchgrund", "Abbruch am", "Gutachten", "Gutachter", "Gutachten am", "Gutachten-Typ",
    "Therapieänderung", "Diagnosekorrektur", "Unterversorgung", "Übertherapie", "ICD",
    "Abgerechnet", "Abrechnungsdatum", "Rechnungsnummer", "Betrag", "Bemerkung",
]  # fmt: skip


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with the given sheets; a string starting with "=" becomes a formula."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(headers: list[str] = HEADERS, **cells) -> list:
    """One data row for ``headers``; keyword names are headers with "-"/" " as "_"."""
    keys = {h.replace("-", "_").replace(" ", "_"): i for i, h in enumerate(headers)}
    values: list = [None] * len(headers)
    for key, value in cells.items():
        values[keys[key]] = value
    return values


def year_sheet(*rows: list, headers: list[str] = HEADERS) -> list[list]:
    return [list(headers), *rows]


def rewrite_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same zip with some entries' content replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


def read_entry(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)
