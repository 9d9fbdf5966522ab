"""Reading a written Berichtswesen workbook back, cell by cell: sheet 1 as a table for the report
page, and every cell that differs between two versions of one week's workbook.

The diff compares the workbooks DAK receives, not the figures structure, so it names exactly the
cells DAK would find changed (sheet, row, column) and needs no knowledge of the figures' keys.
Rows are matched by their column-A label (KW number, "Gesamt", an ICD code …), so an ICD code
that appears late shifts no other row into a false change; a sheet whose column A repeats a
label falls back to matching by row number. Columns are fixed by the layout (formats.md §4).
"""

from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

# Column-A texts that mark a header row (besides an empty column A).
HEADER_LABELS = frozenset({"KW", "ICD"})


def _load(content):
    return load_workbook(BytesIO(content), data_only=False)


def _grid(sheet):
    """{(row, column): value} of a sheet, merged ranges filled with their top-left value."""
    grid = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                grid[(cell.row, cell.column)] = cell.value
    for merged in sheet.merged_cells.ranges:
        value = sheet.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[(r, c)] = value
    return grid


def _formats(sheet):
    return {
        (cell.row, cell.column): cell.number_format
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


def _is_header_row(grid, row):
    label = grid.get((row, 1))
    return label is None or (isinstance(label, str) and label.strip() in HEADER_LABELS)


def _row_label(value):
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"KW {int(value)}"
    return str(value)


def _column_label(grid, row, column):
    """The header text above a data cell: the nearest run of header rows, top to bottom
    ("Onkologie · Anzahl" under a merged group title, "2026" for sheet 1's totals)."""
    parts = []
    r = row - 1
    while r >= 1 and not _is_header_row(grid, r):
        r -= 1
    while r >= 1 and _is_header_row(grid, r):
        value = grid.get((r, column))
        if value is not None and str(value) not in parts:
            parts.append(str(value))
        r -= 1
    return " · ".join(reversed(parts)) or get_column_letter(column)


class _Sheet:
    def __init__(self, sheet):
        self.grid = _grid(sheet)
        self.formats = _formats(sheet)
        self.max_row = max((r for r, _ in self.grid), default=0)
        self.max_column = max((c for _, c in self.grid), default=0)
        labels = [
            self.grid.get((r, 1))
            for r in range(1, self.max_row + 1)
            if not _is_header_row(self.grid, r)
        ]
        self.by_label = len(labels) == len(set(labels))

    def row_keys(self):
        """{key: row number}; data rows by their column-A label, header rows by position."""
        keys = {}
        for r in range(1, self.max_row + 1):
            if self.by_label and not _is_header_row(self.grid, r):
                keys[("label", self.grid[(r, 1)])] = r
            else:
                keys[("row", r)] = r
        return keys


def workbook_changes(old_content, new_content):
    """Every cell from column B on whose value differs between two workbooks, in the new
    workbook's order: dicts with sheet, row, column (letter), zeile and spalte (labels), alt,
    neu (values; None for an empty cell) and the cell's number format."""
    old_book, new_book = _load(old_content), _load(new_content)
    old_names = set(old_book.sheetnames)
    changes = []
    names = [*new_book.sheetnames, *(n for n in old_book.sheetnames if n not in new_book)]
    for name in names:
        new = _Sheet(new_book[name]) if name in new_book.sheetnames else None
        old = _Sheet(old_book[name]) if name in old_names else None
        new_keys = new.row_keys() if new else {}
        old_keys = old.row_keys() if old else {}
        keys = [*new_keys, *(k for k in old_keys if k not in new_keys)]
        width = max(new.max_column if new else 0, old.max_column if old else 0)
        for key in keys:
            new_row, old_row = new_keys.get(key), old_keys.get(key)
            for column in range(2, width + 1):
                before = old.grid.get((old_row, column)) if old_row else None
                after = new.grid.get((new_row, column)) if new_row else None
                if _same(before, after):
                    continue
                where, sheet = (new_row, new) if new_row else (old_row, old)
                changes.append(
                    {
                        "sheet": name,
                        "row": where,
                        "column": get_column_letter(column),
                        "zeile": _row_label(sheet.grid.get((where, 1))),
                        "spalte": _column_label(sheet.grid, where, column),
                        "alt": before,
                        "neu": after,
                        "format": sheet.formats.get((where, column), "General"),
                    }
                )
    return changes


def _same(a, b):
    # 3 and 3.0 are the same figure (a reader may return either); True is not 1, "3" is not 3.
    def kind(value):
        if isinstance(value, bool):
            return bool
        return float if isinstance(value, int | float) else type(value)

    return kind(a) is kind(b) and a == b


def format_value(value, number_format="General"):
    """A cell value as German readers expect it: 12,5 %, 1.234 (with #,##0), – for empty."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        if "%" in (number_format or ""):
            decimals = 0
            if "." in number_format:
                decimals = len(number_format.split(".", 1)[1].split("%", 1)[0])
            return (
                f"{value * 100:,.{decimals}f} %".replace(",", "§")
                .replace(".", ",")
                .replace("§", ".")
            )
        # As the spreadsheet shows it: thousands grouped only where the format says so.
        grouping = "," if "," in (number_format or "") else ""
        if isinstance(value, int) or float(value).is_integer():
            return f"{int(value):{grouping}}".replace(",", ".")
        return f"{value:{grouping}}".replace(",", "§").replace(".", ",").replace("§", ".")
    return str(value)


def sheet_table(content, index=0):
    """One sheet of a workbook as rows for an HTML table: its name and, per row, cells with
    the shown text, bold (a header), numeric, colspan (merged) — merged-over cells left out."""
    book = _load(content)
    sheet = book.worksheets[index]
    spans = {}
    covered = set()
    for merged in sheet.merged_cells.ranges:
        spans[(merged.min_row, merged.min_col)] = merged.max_col - merged.min_col + 1
        for c in range(merged.min_col + 1, merged.max_col + 1):
            covered.add((merged.min_row, c))
    rows = []
    for r in range(1, sheet.max_row + 1):
        cells = []
        for c in range(1, sheet.max_column + 1):
            if (r, c) in covered:
                continue
            cell = sheet.cell(r, c)
            value = cell.value
            cells.append(
                {
                    "text": "" if value is None else format_value(value, cell.number_format),
                    "bold": bool(cell.font and cell.font.bold),
                    "numeric": isinstance(value, int | float) and not isinstance(value, bool),
                    "colspan": spans.get((r, c), 1),
                }
            )
        rows.append(cells)
    return {"name": sheet.title, "rows": rows}
