"""The ICD coding template (formats.md §3, "Codiervorlage"): the pending-ICD cases of a list
filter as a workbook whose only editable column is `ICD`.

- Sheet `ICD-Codierung`, row 1 the headers of formats.md §3 in that order, bold and frozen;
  dates as Excel dates (`DD.MM.YYYY`), KW as a number, Fallgruppe by its label.
- Sheet protection on, without a password: every cell is locked (Excel's default) except the
  `ICD` cells of the case rows and the `ICD` column itself. The protection prevents accidental
  edits of the Fall-ID and the orientation columns; it is no security boundary (anyone can lift
  an unprotected-by-password sheet protection in Excel), and needs none: the upload reads only
  `Fall-ID` and `ICD` and checks every Fall-ID against the cases.
- Formula-safe: text that looks like a formula is a quote-prefixed string cell
  (`imports.writers.is_formula_like`, the one rule for all spreadsheet output).
- Written row by row (openpyxl write-only) into a spooled temporary file.
"""

import tempfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font, Protection

from cases import rules
from imports.readers.icd_workbook import SHEET_NAME
from imports.writers import DATE_FORMAT, is_formula_like

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000
SPOOL_BYTES = 8 * 2**20

# (header, column width in characters)
COLUMNS = (
    ("Fall-ID", 30),
    ("KW", 6),
    ("Datum", 12),
    ("Fallgruppe", 16),
    ("Nachname", 24),
    ("Vorname", 20),
    ("Geburtsdatum", 14),
    ("ICD", 30),
)
HEADER = tuple(header for header, _width in COLUMNS)
ICD_COLUMN = "H"
FIELDS = ("fall_id", "kw", "datum", "fallgruppe", "nachname", "vorname", "geburtsdatum")
ORDER = ("datum", "fall_id")

_UNLOCKED = Protection(locked=False)


def template_cases(cases):
    """The cases a template lists: those of `cases` still without ICD, by datum then fall_id."""
    return cases.pending_icd().order_by(*ORDER)


def icd_template_xlsx(cases):
    """(file positioned at its start, number of rows) for a queryset from `template_cases`."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    # Column settings and the frozen header must be set before the first row is written.
    for index, (_header, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.column_dimensions[ICD_COLUMN].protection = _UNLOCKED
    sheet.freeze_panes = "A2"
    protection = sheet.protection
    protection.sheet = True
    # Allowed on the protected sheet: selecting cells, widening columns and rows.
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False
    protection.formatColumns = False
    protection.formatRows = False

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
        icd = WriteOnlyCell(sheet, value=None)
        icd.protection = _UNLOCKED
        sheet.append(
            [
                _text(sheet, row["fall_id"]),
                row["kw"],
                _date(sheet, row["datum"]),
                rules.FALLGRUPPEN.get(row["fallgruppe"], row["fallgruppe"]),
                _text(sheet, row["nachname"]),
                _text(sheet, row["vorname"]),
                _date(sheet, row["geburtsdatum"]),
                icd,
            ]
        )
        rows += 1
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out, rows


def _text(sheet, value):
    if value is None or value == "":
        return None
    text = str(value)
    if not is_formula_like(text):
        return text
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
