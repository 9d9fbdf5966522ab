"""Formula-safe spreadsheet files (domain.md §6): text that starts with ``=``, ``+``, ``-``,
``@``, tab or CR reaches the cell so that Excel treats it as text, never as a formula.

- XLSX: such text is written as a string cell with Excel's "quote prefix" (what typing a
  leading apostrophe does): the cell keeps its exact text, Excel shows and re-saves it as text,
  and the portal's reader reads the text back unchanged.
- CSV (semicolon, UTF-8 with BOM, as German Excel reads it): a CSV cell has no type, so such
  text gets a leading apostrophe (the usual CSV-injection guard); whoever fixes the row
  removes it along with the error.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD.MM.YYYY"


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """One CSV cell: dates German, decimals with a comma, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """A workbook of (sheet name, header, rows); dates as Excel dates, numbers as numbers."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for name, header, rows in sheets:
        sheet = book.create_sheet(title=name[:31] or "Tabelle")
        for column, text in enumerate(header, start=1):
            _write(sheet.cell(row=1, column=column), text).font = bold
        for number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                _write(sheet.cell(row=number, column=column), value)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(cell, value):
    if value is None or value == "":
        return cell
    if isinstance(value, bool):
        cell.value = "Ja" if value else "Nein"
    elif isinstance(value, int | float | Decimal):
        cell.value = value
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        text = str(value)
        cell.value = text
        if is_formula_like(text):
            # openpyxl would take "=…" for a formula: store it as plain text, quote-prefixed.
            cell.data_type = TYPE_STRING
            cell.quotePrefix = True
    return cell
