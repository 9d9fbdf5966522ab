"""Historical workbook reader (``Abrechnung_DAK.xlsx``), formats.md §2.

Sheets named by a year (``2025``) or a range of years (``2020-2022``, which needs its
``Jahr`` column only for a KW without Datum) are read in workbook order; other sheets are
ignored with a notice. Columns are found by header. Required per sheet: Nachname,
Fallgruppe and KW or Datum; a missing one rejects the file.

Values per row use Case field names and hold only the columns the sheet has (a missing
column says nothing, which matters for filling and for the Excel sync), plus ``datum``,
``jahr`` and ``kw``, which are always set (None when the row is in error): dates are
``datetime.date``, flags ``bool``, ``betrag`` a ``Decimal``, ``icd`` the normalised list or
None, ``kvnr``/``crm_ticket_id``/``fall_id``/``gutachten_typ``/``therapieaenderung`` None
when empty, every other text a trimmed ``str``. The optional ``Fall-ID`` column (written by
the portal's export) gives ``fall_id``.

Engine: see :mod:`.xlsx` for what was measured (python-calamine, formulas from the XML).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cases import rules
from cases.rules import RuleError

from .base import (
    MAX_BYTES,
    TEXT_MAX_LENGTHS,
    FileRejected,
    ParsedRow,
    Problem,
    capped_notices,
    cell_text,
    fit_text,
    is_blank,
    kvnr_value,
    map_headers,
    normalize_header,
    notice,
    parse_betrag,
    parse_bool,
    parse_gutachten_typ,
    parse_jahr,
    parse_kw,
    parse_therapieaenderung,
    quoted_list,
    ticket_id,
)
from .xlsx import Workbook

# (header, field, kind) in the order the portal writes them.
COLUMNS: list[tuple[str, str, str]] = [
    ("KW", "kw", "kw"),
    ("Datum", "datum", "datum"),
    ("Fallgruppe", "fallgruppe", "fallgruppe"),
    ("Nachname", "nachname", "text"),
    ("Vorname", "vorname", "text"),
    ("Geburtsdatum", "geburtsdatum", "birth"),
    ("KVNR", "kvnr", "kvnr"),
    ("Geschlecht", "geschlecht", "geschlecht"),
    ("Telefon", "telefon", "text"),
    ("E-Mail", "email", "text"),
    ("CRM-Ticket", "crm_ticket_id", "ticket"),
    ("Thema", "thema", "text"),
    ("Bearbeiter", "bearbeiter", "text"),
    ("Kontaktkanal", "kontaktkanal", "kontaktkanal"),
    ("Kurzbeschreibung", "kurzbeschreibung", "text"),
    ("Fragestellung", "fragestellung", "text"),
    ("Behandelnde Klinik", "behandelnde_klinik", "text"),
    ("Unterlagen", "unterlagen", "bool"),
    ("Unterlagen angefordert", "unterlagen_angefordert_am", "date"),
    ("Unterlagen Eingang", "unterlagen_eingang_am", "date"),
    ("Ablehnung", "ablehnung", "bool"),
    ("Ablehnungsgrund", "ablehnungsgrund", "text"),
    ("Abbruch", "abbruch", "bool"),
    ("Abbruchgrund", "abbruchgrund", "text"),
    ("Abbruch am", "abbruch_am", "date"),
    ("Gutachten", "gutachten", "bool"),
    ("Gutachter", "gutachter", "text"),
    ("Gutachten am", "gutachten_am", "date"),
    ("Gutachten-Typ", "gutachten_typ", "gutachten_typ"),
    ("Therapieänderung", "therapieaenderung", "therapieaenderung"),
    ("Diagnosekorrektur", "ta_diagnosekorrektur", "bool"),
    ("Unterversorgung", "ta_unterversorgung", "bool"),
    ("Übertherapie", "ta_uebertherapie", "bool"),
    ("ICD", "icd", "icd"),
    ("Abgerechnet", "abgerechnet", "bool"),
    ("Abrechnungsdatum", "abrechnungsdatum", "date"),
    ("Rechnungsnummer", "rechnungsnummer", "text"),
    ("Betrag", "betrag", "betrag"),
    ("Bemerkung", "bemerkung", "text"),
]
EXTRA_COLUMNS: list[tuple[str, str, str]] = [
    ("Jahr", "_jahr", "jahr"),
    ("Fall-ID", "fall_id", "fall_id"),
]
HEADERS: dict[str, str] = {normalize_header(h): f for h, f, _ in COLUMNS + EXTRA_COLUMNS}
KINDS: dict[str, str] = {f: k for _, f, k in COLUMNS + EXTRA_COLUMNS}
LABELS: dict[str, str] = {f: h for h, f, _ in COLUMNS + EXTRA_COLUMNS}
TA_FLAGS = ("ta_diagnosekorrektur", "ta_unterversorgung", "ta_uebertherapie")

_YEAR_SHEET = re.compile(r"\d{4}")
_RANGE_SHEET = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})")
_TOTAL_WORDS = {"summe", "gesamt"}

_GESCHLECHT = {
    "w": "w", "weiblich": "w", "f": "w", "frau": "w",
    "m": "m", "maennlich": "m", "mann": "m",
    "d": "d", "divers": "d",
}  # fmt: skip
_KONTAKTKANAL = {
    "telefon": "telefon", "tel": "telefon", "telefonisch": "telefon", "anruf": "telefon",
    "email": "email", "e mail": "email", "mail": "email",
    "post": "post", "brief": "post",
    "portal": "portal", "online": "portal",
}  # fmt: skip


@dataclass
class SheetResult:
    """One year sheet; ``rows_read`` counts the data rows returned (skipped rows are not)."""

    name: str
    rows: list[ParsedRow]
    rows_read: int


@dataclass
class HistoricalReadResult:
    sheets: list[SheetResult]
    notices: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One notice per ignored sheet: a workbook may have thousands of them.
        self.notices = capped_notices(self.notices)

    @property
    def rows(self) -> list[ParsedRow]:
        return [row for sheet in self.sheets for row in sheet.rows]

    @property
    def rows_read(self) -> int:
        return sum(sheet.rows_read for sheet in self.sheets)


def sheet_kind(name: str) -> tuple[int | None, bool] | None:
    """(year of the sheet or None, has a year range) for a data sheet, None for others."""
    name = name.strip()
    if _YEAR_SHEET.fullmatch(name):
        return int(name), False
    if _RANGE_SHEET.fullmatch(name):
        return None, True
    return None


def read_historical_workbook(
    data: bytes, *, sheet: str | None = None, max_bytes: int = MAX_BYTES, today=None
) -> HistoricalReadResult:
    """Read the year sheets (or only ``sheet``); FileRejected when the file is unusable."""
    if today is None:
        today = rules.berlin_today()
    workbook = Workbook(data, max_bytes=max_bytes)
    notices: list[Problem] = []
    if sheet is not None:
        wanted = sheet.strip()
        names = [n for n in workbook.sheet_names if n.strip() == wanted]
        if not names:
            raise FileRejected(
                f"Die Arbeitsmappe hat kein Blatt „{wanted}“ (vorhanden: "
                f"{quoted_list(workbook.sheet_names)})."
            )
        if sheet_kind(names[0]) is None:
            raise FileRejected(
                f"Das Blatt „{wanted}“ ist kein Jahresblatt (erwartet z. B. „2025“ oder "
                "„2020-2022“)."
            )
    else:
        names = []
        for name in workbook.sheet_names:
            if sheet_kind(name) is None:
                notices.append(
                    notice(f"Blatt „{name}“ wird ignoriert (kein Jahresblatt).", sheet=name)
                )
            else:
                names.append(name)
        if not names:
            raise FileRejected(
                "Die Arbeitsmappe enthält kein Jahresblatt (erwartet Blätter wie „2025“ "
                "oder „2020-2022“)."
            )
    sheets = []
    for name in names:
        rows = workbook.rows(name)
        result = _read_sheet(name, rows, workbook.formula_cells(name), notices, today)
        sheets.append(result)
    return HistoricalReadResult(sheets=sheets, notices=notices)


def _read_sheet(name, rows, formulas, notices, today) -> SheetResult:
    year, is_range = sheet_kind(name)
    if not rows or all(is_blank(c) for c in rows[0]):
        notices.append(
            notice(f"Blatt „{name}“ hat keine Kopfzeile und wird übersprungen.", sheet=name)
        )
        return SheetResult(name=name, rows=[], rows_read=0)
    positions, unknown, duplicates = map_headers(rows[0], HEADERS)
    missing = [LABELS[f] for f in ("nachname", "fallgruppe") if f not in positions]
    if "kw" not in positions and "datum" not in positions:
        missing.append("KW oder Datum")
    if missing:
        raise FileRejected(
            f"Im Blatt „{name}“ fehl{'en die Spalten' if len(missing) > 1 else 't die Spalte'} "
            f"{quoted_list(missing)}."
        )
    if unknown:
        notices.append(
            notice(
                f"Blatt „{name}“: unbekannte Spalten werden ignoriert: {quoted_list(unknown)}.",
                sheet=name,
            )
        )
    if duplicates:
        notices.append(
            notice(
                f"Blatt „{name}“: doppelte Spalten, verwendet wird jeweils die erste: "
                f"{quoted_list(duplicates)}.",
                sheet=name,
            )
        )
    headers = {f: cell_text(rows[0][i]) for f, i in positions.items()}
    columns = sorted(positions.items(), key=lambda item: item[1])
    parser = _RowParser(name, year, is_range, headers, today)
    result: list[ParsedRow] = []
    kw_pos = positions.get("kw")
    name_pos = positions["nachname"]
    width = max(positions.values()) + 1
    for index in range(1, len(rows)):
        cells = rows[index]
        if not any(c != "" and not is_blank(c) for c in cells):
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        first = cells[0]
        if isinstance(first, str) and first.strip().rstrip(":").casefold() in _TOTAL_WORDS:
            continue
        if is_blank(cells[name_pos]) and (kw_pos is None or is_blank(cells[kw_pos])):
            continue
        raw = {f: cells[i] for f, i in columns}
        formula_fields = [f for f, i in columns if (index, i) in formulas] if formulas else []
        result.append(parser.parse(index + 1, raw, formula_fields))
    return SheetResult(name=name, rows=result, rows_read=len(result))


def _de(day: dt.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


class _RowParser:
    """Turns one row's raw cells into Case values and problems."""

    def __init__(self, sheet, year, is_range, headers, today):
        self.sheet = sheet
        self.year = year
        self.is_range = is_range
        self.headers = headers
        self.today = today
        self._bool_cache: dict[object, tuple[bool, str | None]] = {}
        self.simple: dict[str, Callable] = {
            "text": self._text,
            "birth": self._birth,
            "kvnr": self._kvnr,
            "geschlecht": self._geschlecht,
            "kontaktkanal": self._kontaktkanal,
            "ticket": self._ticket,
            "fall_id": self._fall_id,
            "bool": self._bool,
            "date": self._date,
            "gutachten_typ": self._gutachten_typ,
            "therapieaenderung": self._therapieaenderung,
            "icd": self._icd,
            "betrag": self._betrag,
        }

    def parse(self, number: int, raw: dict[str, object], formula_fields: list[str]) -> ParsedRow:
        row = ParsedRow(row_number=number, sheet=self.sheet, values={})
        for name in formula_fields:
            row.warn(
                self.headers[name],
                raw[name],
                "Die Zelle enthält eine Formel; übernommen wird der Formeltext, nicht ihr "
                "Ergebnis.",
            )
        values = row.values
        self._datum(row, raw)
        self._fallgruppe(row, raw["fallgruppe"])
        for name, value in raw.items():
            convert = self.simple.get(KINDS[name])
            if convert is not None:
                values[name] = convert(row, name, value)
        if not values["nachname"]:
            row.error(self.headers["nachname"], raw["nachname"], "Nachname fehlt.")
        self._coding(row)
        return row

    # --- KW, Datum, Jahr ---------------------------------------------------------------

    def _datum(self, row: ParsedRow, raw: dict[str, object]) -> None:
        values = row.values
        values["datum"] = values["jahr"] = values["kw"] = None
        kw_raw = raw.get("kw", "")
        kw, kw_problem = None, None
        try:
            kw = parse_kw(kw_raw)
        except RuleError as exc:
            kw_problem = exc.message
        row_year, year_problem = None, None
        if "_jahr" in raw:
            try:
                row_year = parse_jahr(raw["_jahr"])
            except RuleError as exc:
                year_problem = exc.message
        datum_raw = raw.get("datum", "")
        datum_col = self.headers.get("datum", "Datum")
        kw_col = self.headers.get("kw", "KW")
        if not is_blank(datum_raw):
            try:
                datum = rules.parse_datum(datum_raw, label=datum_col)
            except RuleError as exc:
                row.error(datum_col, datum_raw, exc.message)
                return
            jahr, iso_kw = rules.iso_week(datum)
            values.update(datum=datum, jahr=jahr, kw=iso_kw)
            if kw_problem:
                row.warn(kw_col, kw_raw, f"{kw_problem} Übernommen wird KW {iso_kw} aus dem Datum.")
            elif kw is not None and kw != iso_kw:
                row.warn(
                    kw_col,
                    kw_raw,
                    f"KW {kw} passt nicht zum Datum {_de(datum)} (KW {iso_kw}/{jahr}); "
                    f"übernommen wird KW {iso_kw} aus dem Datum.",
                )
            if year_problem:
                row.warn(self.headers["_jahr"], raw["_jahr"], year_problem)
            elif row_year is not None and row_year != jahr:
                row.warn(
                    self.headers["_jahr"],
                    raw["_jahr"],
                    f"Jahr {row_year} passt nicht zum Datum {_de(datum)} (KW {iso_kw}/{jahr}); "
                    f"übernommen wird {jahr} aus dem Datum.",
                )
            return
        if kw_problem:
            row.error(kw_col, kw_raw, f"{kw_problem} Ohne Datum ist die Woche damit unbekannt.")
            return
        if kw is None:
            row.error(None, None, "Weder Datum noch KW angegeben.")
            return
        year = self.year
        if self.is_range or "_jahr" in raw:
            year = row_year if row_year is not None else (None if self.is_range else year)
        if year is None:
            year_col = self.headers.get("_jahr", "Jahr")
            message = year_problem or "Jahr fehlt."
            row.error(
                year_col,
                raw.get("_jahr"),
                f"{message} Eine KW ohne Datum lässt sich so keinem Jahr zuordnen.",
            )
            return
        if not 2000 <= year <= 2100:
            row.error(kw_col, kw_raw, f"KW ohne Datum im Jahr {year}: erlaubt sind 2000–2100.")
            return
        try:
            datum = rules.monday_of_iso_week(year, kw)
        except RuleError as exc:
            row.error(kw_col, kw_raw, exc.message)
            return
        values.update(datum=datum, jahr=year, kw=kw)
        row.warn(
            datum_col,
            None,
            f"Datum fehlt; gesetzt auf den Montag der KW {kw}/{year} ({_de(datum)}).",
        )

    def _fallgruppe(self, row: ParsedRow, raw: object) -> None:
        text = cell_text(raw)
        code = rules.fallgruppe_from_any(text)
        row.values["fallgruppe"] = code
        if code is None:
            column = self.headers["fallgruppe"]
            if not text:
                row.error(column, raw, "Fallgruppe fehlt.")
            else:
                row.error(
                    column,
                    raw,
                    f"Fallgruppe „{text}“ ist unbekannt (erwartet z. B. onko, Onkologie oder "
                    "Zweitmeinung Onkologie).",
                )

    # --- constraints between fields ----------------------------------------------------

    def _coding(self, row: ParsedRow) -> None:
        values = row.values
        if not values.get("gutachten"):
            for name in ("gutachten_typ", "therapieaenderung"):
                if values.get(name):
                    row.warn(
                        self.headers[name],
                        values[name],
                        f"{LABELS[name]} ohne Gutachten ist nicht zulässig; das Feld bleibt leer.",
                    )
                    values[name] = None
        if values.get("therapieaenderung") != "Ja":
            set_flags = [name for name in TA_FLAGS if values.get(name)]
            if set_flags:
                row.warn(
                    ", ".join(self.headers[name] for name in set_flags),
                    None,
                    "Diagnosekorrektur, Unterversorgung und Übertherapie gelten nur bei "
                    "Therapieänderung = Ja; übernommen als Nein.",
                )
                for name in set_flags:
                    values[name] = False
        if "therapieaenderung" in values:
            _errors, warnings = rules.coding_problems(
                gutachten=bool(values.get("gutachten")),
                gutachten_typ=values.get("gutachten_typ"),
                therapieaenderung=values.get("therapieaenderung"),
                ta_diagnosekorrektur=bool(values.get("ta_diagnosekorrektur")),
                ta_unterversorgung=bool(values.get("ta_unterversorgung")),
                ta_uebertherapie=bool(values.get("ta_uebertherapie")),
            )
            # The errors are what the lines above have already repaired.
            for message in warnings:
                row.warn(self.headers["therapieaenderung"], values["therapieaenderung"], message)

    # --- single cells --------------------------------------------------------------------

    def _text(self, row, name, value):
        if value == "" or value is None:
            return ""
        return fit_text(row, name, self.headers[name], cell_text(value))

    def _birth(self, row, name, value):
        if is_blank(value):
            return None
        try:
            return rules.parse_geburtsdatum(value, today=self.today)
        except RuleError as exc:
            row.warn(self.headers[name], value, f"{exc.message} Das Geburtsdatum bleibt leer.")
            return None

    def _date(self, row, name, value):
        if is_blank(value):
            return None
        try:
            return rules.parse_datum(value, label=self.headers[name])
        except RuleError as exc:
            row.warn(self.headers[name], value, f"{exc.message} Das Feld bleibt leer.")
            return None

    def _kvnr(self, row, name, value):
        return None if is_blank(value) else kvnr_value(row, self.headers[name], value)

    def _ticket(self, row, name, value):
        return None if is_blank(value) else ticket_id(row, self.headers[name], value)

    def _fall_id(self, row, name, value):
        text = cell_text(value)
        if len(text) > TEXT_MAX_LENGTHS["fall_id"]:
            row.warn(self.headers[name], value, "Fall-ID ist zu lang und wird ignoriert.")
            return None
        return text or None

    def _choice(self, row, name, value, mapping, allowed):
        text = normalize_header(cell_text(value))
        if not text:
            return ""
        choice = mapping.get(text)
        if choice is None:
            row.warn(
                self.headers[name],
                value,
                f"{LABELS[name]} „{cell_text(value)}“ ist unbekannt (erlaubt: {allowed}); "
                "das Feld bleibt leer.",
            )
            return ""
        return choice

    def _geschlecht(self, row, name, value):
        return self._choice(row, name, value, _GESCHLECHT, "w, m, d")

    def _kontaktkanal(self, row, name, value):
        return self._choice(row, name, value, _KONTAKTKANAL, "Telefon, E-Mail, Post, Portal")

    def _bool(self, row, name, value):
        if value == "" or value is None:
            return False
        # The same few spellings (Ja, Nein, x) fill whole columns.
        try:
            flag, warning = self._bool_cache[value]
        except KeyError:
            flag, warning = self._bool_cache.setdefault(value, parse_bool(value))
        except TypeError:
            flag, warning = parse_bool(value)
        if warning:
            row.warn(self.headers[name], value, warning)
        return flag

    def _gutachten_typ(self, row, name, value):
        if is_blank(value):
            return None
        choice, warning = parse_gutachten_typ(value)
        if warning:
            row.warn(self.headers[name], value, warning)
        return choice

    def _therapieaenderung(self, row, name, value):
        if is_blank(value):
            return None
        choice, warning = parse_therapieaenderung(value)
        if warning:
            row.warn(self.headers[name], value, warning)
        return choice

    def _icd(self, row, name, value):
        if is_blank(value):
            return None
        try:
            return rules.normalize_icd_text(cell_text(value))
        except RuleError as exc:
            row.warn(self.headers[name], value, f"{exc.message} Das ICD-Feld bleibt leer.")
            return None

    def _betrag(self, row, name, value):
        try:
            return parse_betrag(value)
        except RuleError as exc:
            row.warn(self.headers[name], value, f"{exc.message} Das Feld bleibt leer.")
            return None
