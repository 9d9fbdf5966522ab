"""The case list as an XLSX file: the list's columns, formula-safe cells (domain.md §6), written
row by row (openpyxl write-only) so memory stays flat up to the cap."""

import tempfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from cases import rules
from imports.writers import DATE_FORMAT, is_formula_like

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000
# Rows past this size go from memory to a temporary file.
SPOOL_BYTES = 8 * 2**20

HEADER = (
    "Fall-ID",
    "Jahr",
    "KW",
    "Datum",
    "Nachname",
    "Vorname",
    "Fallgruppe",
    "Status",
    "ICD",
    "Gutachten",
    "Gutachten-Typ",
)
FIELDS = (
    "fall_id",
    "jahr",
    "kw",
    "datum",
    "nachname",
    "vorname",
    "fallgruppe",
    "icd",
    "unterlagen",
    "ablehnung",
    "abbruch",
    "gutachten",
    "gutachten_typ",
)


def case_list_xlsx(cases):
    """(file positioned at its start, number of rows) for an ordered queryset of cases."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Fälle")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADER:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    for values in cases.values_list(*FIELDS).iterator(chunk_size=2000):
        row = dict(zip(FIELDS, values, strict=True))
        sheet.append(
            [
                _text(sheet, row["fall_id"]),
                row["jahr"],
                row["kw"],
                _date(sheet, row["datum"]),
                _text(sheet, row["nachname"]),
                _text(sheet, row["vorname"]),
                rules.FALLGRUPPEN.get(row["fallgruppe"], row["fallgruppe"]),
                rules.STATUS_LABELS[rules.status_of(row)],
                _text(sheet, row["icd"]),
                "Ja" if row["gutachten"] else "Nein",
                row["gutachten_typ"] or "",
            ]
        )
        rows += 1
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out, rows


def _text(sheet, value):
    """Text that Excel must never read as a formula gets a text cell with a quote prefix."""
    if value is None or value == "":
        return None
    text = str(value)
    if not is_formula_like(text):
        return text  # plain values share one cell object in write-only mode
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = TYPE_STRING
    cell.quotePrefix = True
    return cell


def _date(sheet, value):
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell
