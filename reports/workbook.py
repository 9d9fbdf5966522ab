"""The Berichtswesen workbook (formats.md §4), written from `reports.figures.report_figures`.

`write_berichtswesen(figures) -> bytes` writes five sheets in the order and with the names of
formats.md §4. Every number is a numeric cell, shares are fractions formatted `0.0%`, every
text cell is forced to the string type (openpyxl would otherwise turn a text starting with `=`
into a formula), header rows are bold, panes are frozen below the headers (and right of the KW
column), columns are sized to their text. The writer only reads the figures; it never asks the
database.
"""

import io

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_NUMERIC, TYPE_STRING
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from reports.figures import FALLGRUPPEN, TOTAL_KEYS, VORJAHR_KEINE

SHEET_GESAMT = "Auswertung KW gesamt"
SHEET_FACHGEBIETE = "Auswertung nach Fachgebieten"
SHEET_GUTACHTEN = "Auswertung Gutachten"
SHEET_TA = "Auswertung Therapieänderungen"
SHEET_ICD = "Auswertung ICD onko"
SHEET_NAMES = (SHEET_GESAMT, SHEET_FACHGEBIETE, SHEET_GUTACHTEN, SHEET_TA, SHEET_ICD)

TOTAL_LABELS = {
    "erstberatungen": "Erstberatungen",
    "unterlagen": "Unterlagen",
    "ablehnungen": "Ablehnungen",
    "keine_rueckmeldung": "Keine Rückmeldung",
    "gutachten": "Gutachten",
}
FACHGEBIET_COLUMNS = (
    ("anzahl", "Anzahl"),
    ("gutachten", "Gutachten"),
    ("keine_rm_ablehnung", "Keine RM/Ablehnung"),
)
GUTACHTEN_COLUMNS = (
    ("gutachten", "Gutachten"),
    ("alternative", "Alternative"),
    ("bestaetigung", "Bestätigung"),
)
TA_COLUMNS = (
    ("gutachten", "Gutachten"),
    ("ta_ja", "TA Ja"),
    ("ta_nein", "TA Nein"),
    ("diagnosekorrektur", "Diagnosekorrektur"),
    ("unterversorgung", "Unterversorgung"),
    ("uebertherapie", "Übertherapie"),
)
GESAMT = "Gesamt"
ANTEIL = "Anteil"
KW = "KW"
PERCENT = "0.0%"
KW_TABLE_HEADER_ROW = 10  # sheet 1

BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center")


def report_file_name(*, jahr: int, kw: int) -> str:
    return f"Berichtswesen_DAK_{jahr}_KW{kw:02d}.xlsx"


class _Sheet:
    """A worksheet with typed writes and a record of each column's widest text."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.widths: dict[int, int] = {}

    def text(self, row, column, value, *, bold=False):
        cell = self.sheet.cell(row=row, column=column)
        cell.value = str(value)
        cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
        if bold:
            cell.font = BOLD
        self._measure(column, len(cell.value))
        return cell

    def number(self, row, column, value, *, percent=False, bold=False):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"not a number: {value!r}")
        cell = self.sheet.cell(row=row, column=column)
        cell.value = value
        cell.data_type = TYPE_NUMERIC
        if percent:
            cell.number_format = PERCENT
        if bold:
            cell.font = BOLD
        self._measure(column, 7 if percent else len(str(value)))
        return cell

    def group_title(self, row, first_column, title, span=3):
        self.text(row, first_column, title, bold=True).alignment = CENTER
        self.sheet.merge_cells(
            start_row=row,
            start_column=first_column,
            end_row=row,
            end_column=first_column + span - 1,
        )

    def _measure(self, column, length):
        self.widths[column] = max(self.widths.get(column, 0), length)

    def finish(self, freeze):
        for column, length in self.widths.items():
            self.sheet.column_dimensions[get_column_letter(column)].width = max(8, length + 2)
        self.sheet.freeze_panes = freeze


def _kw_rows(sheet: _Sheet, first_row: int, figures: dict, values_of) -> int:
    """KW rows from `first_row` (one per KW 1…kw), then Gesamt; `values_of(key)` gives a row's
    numbers for a KW key ("1" …) or for None (the Gesamt row). Returns the Gesamt row."""
    row = first_row
    for kw in figures["kws"]:
        sheet.number(row, 1, kw)
        for column, value in enumerate(values_of(str(kw)), start=2):
            sheet.number(row, column, value)
        row += 1
    sheet.text(row, 1, GESAMT, bold=True)
    for column, value in enumerate(values_of(None), start=2):
        sheet.number(row, column, value, bold=True)
    return row


def _sheet_gesamt(sheet: _Sheet, figures: dict) -> None:
    sheet.text(1, 1, "Gesamtübersicht", bold=True)
    sheet.number(2, 2, figures["jahr"], bold=True)
    sheet.text(2, 3, ANTEIL, bold=True)
    sheet.number(2, 4, figures["vorjahr_jahr"], bold=True)
    sheet.text(2, 5, ANTEIL, bold=True)
    vorjahr_known = figures["vorjahr_quelle"] != VORJAHR_KEINE
    for offset, key in enumerate(TOTAL_KEYS):
        row = 3 + offset
        sheet.text(row, 1, TOTAL_LABELS[key], bold=True)
        sheet.number(row, 2, figures["gesamt"][key])
        sheet.number(row, 3, figures["anteile"][key], percent=True)
        if vorjahr_known:
            sheet.number(row, 4, figures["vorjahr"][key])
            sheet.number(row, 5, figures["vorjahr_anteile"][key], percent=True)

    header = KW_TABLE_HEADER_ROW
    sheet.text(header, 1, KW, bold=True)
    for column, key in enumerate(TOTAL_KEYS, start=2):
        sheet.text(header, column, TOTAL_LABELS[key], bold=True)

    def values(kw_key):
        source = figures["gesamt"] if kw_key is None else figures["per_kw"][kw_key]
        return [source[key] for key in TOTAL_KEYS]

    gesamt_row = _kw_rows(sheet, header + 1, figures, values)
    anteil_row = gesamt_row + 1
    sheet.text(anteil_row, 1, ANTEIL, bold=True)
    for column, key in enumerate(TOTAL_KEYS, start=2):
        sheet.number(anteil_row, column, figures["anteile"][key], percent=True)
    sheet.finish(f"B{header + 1}")


def _grouped_sheet(sheet: _Sheet, figures: dict, groups, columns) -> None:
    """Sheets 2 and 3: row 1 merged group titles from column B, row 2 the column headers."""
    sheet.text(2, 1, KW, bold=True)
    for index, (title, _source) in enumerate(groups):
        first = 2 + index * len(columns)
        sheet.group_title(1, first, title, span=len(columns))
        for offset, (_key, label) in enumerate(columns):
            sheet.text(2, first + offset, label, bold=True)

    def values(kw_key):
        out = []
        for _title, source in groups:
            numbers = source(kw_key)
            out.extend(numbers[key] for key, _label in columns)
        return out

    _kw_rows(sheet, 3, figures, values)
    sheet.finish("B3")


def _fallgruppe_source(figures, code):
    def source(kw_key):
        if kw_key is None:
            return figures["per_fallgruppe"][code]
        return figures["per_kw_fallgruppe"][kw_key][code]

    return source


def _labels(figures) -> dict[str, str]:
    return dict(figures["fallgruppen"])


def _sheet_fachgebiete(sheet: _Sheet, figures: dict) -> None:
    labels = _labels(figures)
    groups = [(labels[code], _fallgruppe_source(figures, code)) for code in FALLGRUPPEN]
    _grouped_sheet(sheet, figures, groups, FACHGEBIET_COLUMNS)


def _sheet_gutachten(sheet: _Sheet, figures: dict) -> None:
    labels = _labels(figures)

    def overall(kw_key):
        if kw_key is None:
            return figures["gutachten_typen"]
        return figures["per_kw_gutachten_typen"][kw_key]

    groups = [(GESAMT, overall)]
    groups += [(labels[code], _fallgruppe_source(figures, code)) for code in FALLGRUPPEN]
    _grouped_sheet(sheet, figures, groups, GUTACHTEN_COLUMNS)


def _sheet_ta(sheet: _Sheet, figures: dict) -> None:
    sheet.text(1, 1, KW, bold=True)
    for column, (_key, label) in enumerate(TA_COLUMNS, start=2):
        sheet.text(1, column, label, bold=True)

    def values(kw_key):
        if kw_key is None:
            source = figures["therapieaenderungen"]
        else:
            source = figures["per_kw_therapieaenderungen"][kw_key]
        return [source[key] for key, _label in TA_COLUMNS]

    _kw_rows(sheet, 2, figures, values)
    sheet.finish("B2")


def _sheet_icd(sheet: _Sheet, figures: dict) -> None:
    sheet.text(1, 1, "ICD", bold=True)
    sheet.text(1, 2, "Anzahl", bold=True)
    for row, code in enumerate(sorted(figures["icd_onko"]), start=2):
        sheet.text(row, 1, code)
        sheet.number(row, 2, figures["icd_onko"][code])
    sheet.finish("A2")


def write_berichtswesen(figures: dict) -> bytes:
    """The Berichtswesen workbook for `figures` (the dict of `report_figures`) as xlsx bytes."""
    book = Workbook()
    book.remove(book.active)
    writers = (_sheet_gesamt, _sheet_fachgebiete, _sheet_gutachten, _sheet_ta, _sheet_icd)
    for name, write in zip(SHEET_NAMES, writers, strict=True):
        write(_Sheet(book.create_sheet(title=name)), figures)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
