"""Shared pieces of the file readers: result types, header matching and cell value parsers.

Readers are pure: bytes in, rows and problems out, no database. The domain rules themselves
(dates, ICD, KVNR, Fallgruppe) come from :mod:`cases.rules` and the text lengths from the Case
model's field definitions; this module only adapts them to spreadsheet cells and decides what
is an error and what a warning.

Every message a reader produces is bounded (a problem's column, value and message are cut, a
notice names at most ``LIST_LIMIT`` items, a file gives at most ``NOTICE_LIMIT`` notices): the
preview and the import log store them, and no file may make them store an unbounded value
(MariaDB refuses a statement over ``max_allowed_packet``, 16 MiB by default).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

from cases import rules
from cases.models import Case
from cases.rules import RuleError

MAX_BYTES = 20 * 1024 * 1024

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
LEVELS = (ERROR, WARNING, NOTICE)

# The model's limits (its field definitions, not the database); a longer text would make the
# database refuse the row.
TEXT_MAX_LENGTHS: dict[str, int] = {
    f.name: f.max_length
    for f in Case._meta.concrete_fields
    if isinstance(f, models.CharField) and f.max_length
}

# Bounds of what one stored message may hold (see the module docstring).
LIST_LIMIT = 10
ITEM_LIMIT = 60
VALUE_LIMIT = 200
COLUMN_LIMIT = 100
MESSAGE_LIMIT = 1000
NOTICE_LIMIT = 50

# decimal(10, 2)
BETRAG_MAX = Decimal("99999999.99")


class FileRejected(Exception):
    """The whole file cannot be read; ``message`` is one German sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Problem:
    """One finding; ``row`` is the row number the user sees (header = 1), None for the file."""

    row: int | None
    column: str | None
    value: str | None
    message: str
    level: str
    sheet: str | None = None

    def __post_init__(self) -> None:
        # Column headers and messages quote file content, which can be any length.
        if self.column is not None:
            self.column = cut(self.column, COLUMN_LIMIT)
        if self.value is not None:
            self.value = cut(self.value, VALUE_LIMIT)
        self.message = cut(self.message, MESSAGE_LIMIT)
        if self.sheet is not None:
            self.sheet = cut(self.sheet, COLUMN_LIMIT)


@dataclass
class ParsedRow:
    """One data record: ``values`` keyed by Case field names, plus its problems."""

    row_number: int
    sheet: str | None
    values: dict[str, object]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str | None, value: object, message: str) -> None:
        self.errors.append(
            Problem(self.row_number, column, shown(value), message, ERROR, self.sheet)
        )

    def warn(self, column: str | None, value: object, message: str) -> None:
        self.warnings.append(
            Problem(self.row_number, column, shown(value), message, WARNING, self.sheet)
        )


@dataclass
class ReadResult:
    """Rows in file order. ``rows_read`` counts the data records returned in ``rows`` (blank and
    skipped rows are not counted), so it always equals ``len(rows)``."""

    rows: list[ParsedRow]
    notices: list[Problem]
    rows_read: int

    def __post_init__(self) -> None:
        self.notices = capped_notices(self.notices)

    @property
    def ok_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if row.ok]

    @property
    def error_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if not row.ok]


def notice(message: str, *, sheet: str | None = None, column: str | None = None) -> Problem:
    return Problem(None, column, None, message, NOTICE, sheet)


def capped_notices(notices: list[Problem], limit: int = NOTICE_LIMIT) -> list[Problem]:
    """At most ``limit`` notices, the last saying how many more there were."""
    if len(notices) <= limit:
        return notices
    rest = len(notices) - (limit - 1)
    return [*notices[: limit - 1], notice(f"… und {german_number(rest)} weitere Hinweise.")]


def german_number(n: int) -> str:
    """184990 → "184.990"."""
    return f"{n:,}".replace(",", ".")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- headers ---------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-_.]+")


def normalize_header(s: object) -> str:
    """Header key per formats.md: trimmed, case-insensitive, separators and umlauts folded."""
    text = unicodedata.normalize("NFC", "" if s is None else str(s)).replace("\ufeff", "")
    text = text.casefold()  # also turns ß into ss
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return _SEPARATORS.sub(" ", text).strip()


def map_headers(
    headers: list[object], known: dict[str, str]
) -> tuple[dict[str, int], list[str], list[str]]:
    """(field -> column index, unknown header texts, duplicated header texts).

    ``known`` maps normalised header keys to field names. The first of two equal headers wins
    because that is the column a person reading left to right looks at first.
    """
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, header in enumerate(headers):
        text = cell_text(header)
        key = normalize_header(text)
        if not key:
            continue
        name = known.get(key)
        if name is None:
            unknown.append(text)
        elif name in positions:
            duplicates.append(text)
        else:
            positions[name] = index
    return positions, unknown, duplicates


def quoted_list(items: list[str], limit: int = LIST_LIMIT) -> str:
    """„a“, „b“ … for a message; beyond ``limit`` items: "… und 184.990 weitere"."""
    text = ", ".join(f"„{cut(str(item), ITEM_LIMIT)}“" for item in items[:limit])
    rest = len(items) - limit
    return f"{text} und {german_number(rest)} weitere" if rest > 0 else text


# --- files ------------------------------------------------------------------------------------


def format_size(n: int) -> str:
    if n >= 1024 * 1024:
        text = f"{n / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")
        return f"{text} MB"
    if n >= 1024:
        return f"{math.ceil(n / 1024)} KB"
    return f"{n} Bytes"


def check_size(data: bytes, limit_bytes: int) -> None:
    """FileRejected when the upload is empty or larger than the configured limit."""
    if not data:
        raise FileRejected("Die Datei ist leer.")
    if len(data) > limit_bytes:
        raise FileRejected(
            f"Die Datei ist zu groß ({format_size(len(data))}); "
            f"erlaubt sind höchstens {format_size(limit_bytes)}."
        )


# --- cell values ------------------------------------------------------------------------------


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """A cell as the text a person sees in it (calamine gives whole numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.hour or value.minute or value.second:
            return value.strftime("%d.%m.%Y %H:%M")
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    return rules.clean_text(value)


def shown(value: object, limit: int = VALUE_LIMIT) -> str | None:
    """The offending value as it goes into a Problem, cut so that one cell cannot flood a log."""
    if value is None:
        return None
    return cut(cell_text(value), limit)


def parse_bool(value: object) -> tuple[bool, str | None]:
    """(flag, warning): unknown text counts as false and says so."""
    if isinstance(value, str):
        value = value.strip()
    try:
        return rules.parse_bool(value), None
    except RuleError as exc:
        return False, f"{exc.message} Übernommen als Nein."


def parse_gutachten_typ(value: object) -> tuple[str | None, str | None]:
    """(choice or None, warning): an unknown type is left empty with a warning."""
    try:
        return rules.normalize_gutachten_typ(value), None
    except RuleError as exc:
        return None, f"{exc.message} Das Feld bleibt leer."


def parse_therapieaenderung(value: object) -> tuple[str | None, str | None]:
    """(Ja/Nein or None, warning); yes/no spellings such as x or 1 are accepted too."""
    try:
        return rules.normalize_therapieaenderung(value), None
    except RuleError as exc:
        try:
            return ("Ja" if rules.parse_bool(value) else "Nein"), None
        except RuleError:
            return None, f"{exc.message} Das Feld bleibt leer."


_MONEY_NOISE = re.compile(r"(?i)€|eur|euro|[\s\u00a0\u202f']")
_GERMAN_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")


def parse_betrag(value: object) -> Decimal | None:
    """Euros with two places from a number or text like ``1.234,56 €``; RuleError if unreadable."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise RuleError(f"Betrag „{cell_text(value)}“ ist keine Zahl.")
    if isinstance(value, int | float | Decimal):
        # repr() of a float is the shortest text that round-trips, so 0.1 stays 0.1.
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = _MONEY_NOISE.sub("", value)
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        elif "," in text:
            text = text.replace(",", ".")
        elif _GERMAN_THOUSANDS.fullmatch(text):
            text = text.replace(".", "")
    else:
        raise RuleError(f"Betrag „{cell_text(value)}“ ist keine Zahl.")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise RuleError(f"Betrag „{cell_text(value)}“ ist keine Zahl.")
    # Compared before quantize(), which raises for exponents like 1E+999999.
    if abs(amount) > BETRAG_MAX:
        raise RuleError(f"Betrag „{cell_text(value)}“ ist zu groß (höchstens 99.999.999,99 €).")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _whole_number(value: object, label: str) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise RuleError(f"{label} „{cell_text(value)}“ ist keine ganze Zahl.")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if math.isfinite(value) and value == int(value):
            return int(value)
        raise RuleError(f"{label} „{cell_text(value)}“ ist keine ganze Zahl.")
    text = cell_text(value)
    match = re.fullmatch(r"(?i)(?:kw\s*)?(\d{1,4})(?:[.,]0+)?", text)
    if match is None:
        raise RuleError(f"{label} „{cell_text(value)}“ ist keine ganze Zahl.")
    return int(match[1])


def parse_kw(value: object) -> int | None:
    """A calendar week 1–53 from 4, 4.0, "4", "04" or "KW 4"; None if empty; RuleError else."""
    kw = _whole_number(value, "KW")
    if kw is not None and not 1 <= kw <= 53:
        raise RuleError(f"KW „{cell_text(value)}“ liegt nicht zwischen 1 und 53.")
    return kw


def parse_jahr(value: object) -> int | None:
    """A year 2000–2100 (the range the database allows); None if empty; RuleError else."""
    jahr = _whole_number(value, "Jahr")
    if jahr is not None and not 2000 <= jahr <= 2100:
        raise RuleError(f"Jahr „{cell_text(value)}“ liegt nicht zwischen 2000 und 2100.")
    return jahr


def fit_text(row: ParsedRow, name: str, column: str, text: str) -> str:
    """Cut a text to its model field's length, with a warning, rather than lose the row."""
    limit = TEXT_MAX_LENGTHS.get(name)
    if limit is None or len(text) <= limit:
        return text
    row.warn(column, text, f"Text ist länger als {limit} Zeichen und wurde gekürzt.")
    return text[:limit].rstrip()


def kvnr_value(row: ParsedRow, column: str, raw: object) -> str | None:
    """Normalised KVNR; an invalid one is kept with a warning (domain.md §4)."""
    kvnr = rules.normalize_kvnr(cell_text(raw))
    if kvnr is None:
        return None
    limit = TEXT_MAX_LENGTHS["kvnr"]
    if len(kvnr) > limit:
        row.warn(column, raw, f"KVNR ist länger als {limit} Zeichen und wird nicht übernommen.")
        return None
    if not rules.kvnr_is_valid(kvnr):
        row.warn(
            column,
            raw,
            f"KVNR „{kvnr}“ ist ungültig (Format oder Prüfziffer); sie wird trotzdem übernommen.",
        )
    return kvnr


def ticket_id(row: ParsedRow, column: str, raw: object) -> str | None:
    """CRM ticket id in its stored form (rules.normalize_ticket) or None; one too long for the
    field is dropped, since a cut id could match another case's."""
    ticket = rules.normalize_ticket(cell_text(raw))
    limit = TEXT_MAX_LENGTHS["crm_ticket_id"]
    if ticket and len(ticket) > limit:
        row.warn(
            column, raw, f"CRM-Ticket ist länger als {limit} Zeichen und wird nicht übernommen."
        )
        return None
    return ticket
