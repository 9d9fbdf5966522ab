"""Yearly summaries (domain.md §7): computed from a year's cases, or imported from the Gesamt
rows of a finished year's Berichtswesen workbook (formats.md §4).

- `yearly_summary_build(*, jahr, actor)` stores the year's full-year figures from its cases
  (`manage.py build_yearly_summary --jahr J`).
- `berichtswesen_import(*, data, file_name, actor)` reads a Berichtswesen of an earlier year
  (its last KW) and stores that year's summary (`manage.py import_berichtswesen FILE`).
  A bad workbook raises `SummaryError` with ONE German sentence and changes nothing.
- `read_berichtswesen(data, file_name=…)` is the reader alone: {jahr, bis_kw, gesamt,
  per_fallgruppe, gutachten_typen, therapieaenderungen}, keyed as in `reports.figures`.

Both writers replace an earlier summary of the same year and write one audit entry (old → new).
"""

from django.db import transaction

from accounts import audit
from cases import rules
from imports.readers.base import MAX_BYTES, FileRejected
from imports.readers.safety import refuse_macro_file_name
from imports.readers.xlsx import Workbook
from reports import figures as f
from reports import workbook as wb
from reports.models import SummarySource, YearlySummary

SUMMARY_BUILT = "yearly_summary_built"
SUMMARY_IMPORTED = "yearly_summary_imported"
AUDIT_LABELS = {
    SUMMARY_BUILT: "Jahreszusammenfassung berechnet",
    SUMMARY_IMPORTED: "Jahreszusammenfassung importiert",
}


class SummaryError(Exception):
    """Nothing was stored; ``message`` is one German sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- storing ---------------------------------------------------------------------------------


def _snapshot(summary: YearlySummary | None) -> dict:
    if summary is None:
        return {}
    return {
        "jahr": summary.jahr,
        "bis_kw": summary.bis_kw,
        **summary.totals(),
        "per_fallgruppe": summary.per_fallgruppe,
        "gutachten_typen": summary.gutachten_typen,
        "therapieaenderungen": summary.therapieaenderungen,
        "source": summary.source,
        "source_file": summary.source_file,
    }


def _store(*, values: dict, source: str, source_file: str, action: str, actor) -> YearlySummary:
    jahr = values["jahr"]
    with transaction.atomic():
        summary = YearlySummary.objects.select_for_update().filter(jahr=jahr).first()
        old = _snapshot(summary)
        if summary is None:
            summary = YearlySummary(jahr=jahr, created_by=actor.user)
        summary.bis_kw = values["bis_kw"]
        for key in f.TOTAL_KEYS:
            setattr(summary, key, values["gesamt"][key])
        summary.per_fallgruppe = values["per_fallgruppe"]
        summary.gutachten_typen = values["gutachten_typen"]
        summary.therapieaenderungen = values["therapieaenderungen"]
        summary.source = source
        summary.source_file = source_file[:255]
        summary.updated_by = actor.user
        summary.save()
        audit.record(action=action, entity=summary, old=old, new=_snapshot(summary), actor=actor)
    return summary


def yearly_summary_build(*, jahr: int, actor) -> YearlySummary:
    """Store `jahr`'s full-year figures computed from its cases (replacing an earlier one)."""
    if isinstance(jahr, bool) or not isinstance(jahr, int) or not 2000 <= jahr <= 2100:
        raise SummaryError(f"Ungültiges Jahr: {jahr!r} (2000–2100).")
    year = f.year_figures(jahr)
    if year["gesamt"]["erstberatungen"] == 0:
        raise SummaryError(f"Für {jahr} gibt es keine Fälle; es wurde nichts gespeichert.")
    values = {"jahr": jahr, "bis_kw": rules.weeks_in_iso_year(jahr), **year}
    return _store(
        values=values,
        source=SummarySource.COMPUTED,
        source_file="",
        action=SUMMARY_BUILT,
        actor=actor,
    )


def berichtswesen_import(*, data: bytes, file_name: str, actor) -> YearlySummary:
    """Store the yearly summary read from a finished year's Berichtswesen workbook."""
    values = read_berichtswesen(data, file_name=file_name)
    current_year = rules.iso_week(rules.berlin_today())[0]
    if values["jahr"] >= current_year:
        raise SummaryError(
            f"Die Arbeitsmappe ist das Berichtswesen {values['jahr']}; eingelesen werden nur "
            f"abgeschlossene Jahre (vor {current_year})."
        )
    last = rules.weeks_in_iso_year(values["jahr"])
    if values["bis_kw"] != last:
        raise SummaryError(
            f"Die Arbeitsmappe endet mit KW {values['bis_kw']}; für die Jahreszusammenfassung "
            f"wird das Berichtswesen der letzten KW des Jahres {values['jahr']} (KW {last}) "
            "benötigt."
        )
    return _store(
        values=values,
        source=SummarySource.IMPORTED,
        source_file=file_name or "",
        action=SUMMARY_IMPORTED,
        actor=actor,
    )


# --- reading ---------------------------------------------------------------------------------


def _ref(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column + 1)}{row + 1}"


class _Rows:
    """One sheet's cells by 0-based (row, column), with German errors naming the cell."""

    def __init__(self, name: str, rows: list[list[object]]):
        self.name, self.rows = name, rows

    def value(self, row: int, column: int):
        if row < len(self.rows) and column < len(self.rows[row]):
            return self.rows[row][column]
        return None

    def text(self, row: int, column: int) -> str:
        value = self.value(row, column)
        return value.strip() if isinstance(value, str) else ""

    def expect(self, row: int, column: int, label: str) -> None:
        if self.text(row, column) != label:
            raise SummaryError(
                f"Im Blatt „{self.name}“ steht in Zelle {_ref(row, column)} nicht „{label}“: "
                "die Arbeitsmappe ist kein Berichtswesen im Format des Portals."
            )

    def count(self, row: int, column: int) -> int:
        value = self.value(row, column)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            shown = "leer" if value in (None, "") else f"„{str(value)[:40]}“"
            raise SummaryError(
                f"Im Blatt „{self.name}“ steht in Zelle {_ref(row, column)} keine ganze Zahl "
                f"({shown})."
            )
        if value < 0:
            raise SummaryError(
                f"Im Blatt „{self.name}“ steht in Zelle {_ref(row, column)} eine negative Zahl."
            )
        return int(value)

    def gesamt_row(self, first_row: int) -> tuple[int, int]:
        """(row of Gesamt, last KW) below `first_row`; the KW rows must be 1, 2, … in order."""
        row, kw = first_row, 0
        while self.text(row, 0) != wb.GESAMT:
            if row >= len(self.rows) or kw >= 53:
                raise SummaryError(f"Im Blatt „{self.name}“ fehlt die Zeile „{wb.GESAMT}“.")
            if self.count(row, 0) != kw + 1:
                raise SummaryError(
                    f"Im Blatt „{self.name}“ folgen die KW-Zeilen nicht aufeinander "
                    f"(Zelle {_ref(row, 0)})."
                )
            row, kw = row + 1, kw + 1
        if kw == 0:
            raise SummaryError(f"Im Blatt „{self.name}“ stehen keine KW-Zeilen.")
        return row, kw


def _open(data: bytes, file_name: str) -> dict[str, _Rows]:
    try:
        refuse_macro_file_name(file_name or "")
        book = Workbook(data, max_bytes=MAX_BYTES)
        names = book.sheet_names
        if names[: len(wb.SHEET_NAMES)] != list(wb.SHEET_NAMES):
            raise SummaryError(
                "Die Arbeitsmappe ist kein Berichtswesen: erwartet werden die Blätter "
                + ", ".join(f"„{n}“" for n in wb.SHEET_NAMES)
                + " in dieser Reihenfolge."
            )
        return {name: _Rows(name, book.rows(name)) for name in wb.SHEET_NAMES}
    except FileRejected as exc:
        raise SummaryError(exc.message) from None


def _grouped_totals(sheet: _Rows, titles: list[str], columns) -> list[dict[str, int]]:
    """The Gesamt row of sheet 2 or 3, one dict per group, after checking the headers."""
    sheet.expect(1, 0, wb.KW)
    for index, title in enumerate(titles):
        first = 1 + index * len(columns)
        sheet.expect(0, first, title)
        for offset, (_key, label) in enumerate(columns):
            sheet.expect(1, first + offset, label)
    row, kw = sheet.gesamt_row(2)
    groups = []
    for index in range(len(titles)):
        first = 1 + index * len(columns)
        groups.append(
            {key: sheet.count(row, first + offset) for offset, (key, _l) in enumerate(columns)}
        )
    return groups, kw


def read_berichtswesen(data: bytes, *, file_name: str = "") -> dict:
    """The yearly figures of a Berichtswesen workbook's Gesamt rows (formats.md §4)."""
    sheets = _open(data, file_name)
    s1 = sheets[wb.SHEET_GESAMT]
    s1.expect(0, 0, "Gesamtübersicht")
    jahr = s1.count(1, 1)
    if not 2000 <= jahr <= 2100:
        raise SummaryError(f"Im Blatt „{s1.name}“ steht in Zelle B2 kein Berichtsjahr ({jahr}).")
    header = wb.KW_TABLE_HEADER_ROW - 1
    s1.expect(header, 0, wb.KW)
    for column, key in enumerate(f.TOTAL_KEYS, start=1):
        s1.expect(header, column, wb.TOTAL_LABELS[key])
    row, bis_kw = s1.gesamt_row(header + 1)
    gesamt = {key: s1.count(row, column) for column, key in enumerate(f.TOTAL_KEYS, start=1)}

    labels = [label for _code, label in rules.FALLGRUPPE_CHOICES]
    fach, kw2 = _grouped_totals(sheets[wb.SHEET_FACHGEBIETE], labels, wb.FACHGEBIET_COLUMNS)
    gut, kw3 = _grouped_totals(
        sheets[wb.SHEET_GUTACHTEN], [wb.GESAMT, *labels], wb.GUTACHTEN_COLUMNS
    )
    s4 = sheets[wb.SHEET_TA]
    s4.expect(0, 0, wb.KW)
    for column, (_key, label) in enumerate(wb.TA_COLUMNS, start=1):
        s4.expect(0, column, label)
    row4, kw4 = s4.gesamt_row(1)
    ta = {key: s4.count(row4, column) for column, (key, _l) in enumerate(wb.TA_COLUMNS, start=1)}
    if len({bis_kw, kw2, kw3, kw4}) != 1:
        raise SummaryError("Die Blätter der Arbeitsmappe enden nicht mit derselben KW.")

    per_fallgruppe = {}
    for index, code in enumerate(f.FALLGRUPPEN):
        per_fallgruppe[code] = {
            **fach[index],
            "alternative": gut[index + 1]["alternative"],
            "bestaetigung": gut[index + 1]["bestaetigung"],
        }
    return {
        "jahr": jahr,
        "bis_kw": bis_kw,
        "gesamt": gesamt,
        "per_fallgruppe": per_fallgruppe,
        "gutachten_typen": gut[0],
        "therapieaenderungen": ta,
    }
