"""Domain rules of the DAK second-opinion portal as plain, pure functions.

Importers, forms, models and reports all share these rules, so they live here without any
Django import and can be tested without a database (spec: domain.md §1, §3, §4).
Every rule violation raises :class:`RuleError` with a German message meant for staff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class RuleError(ValueError):
    """A broken domain rule; ``message`` is German and may be shown to users as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ICDError(RuleError):
    """An ICD input with invalid codes; ``invalid_codes`` holds them as entered."""

    def __init__(self, message: str, invalid_codes: list[str]):
        super().__init__(message)
        self.invalid_codes = invalid_codes


def _cut(value: object, limit: int = 60) -> str:
    """The value as text, cut so that a pasted novel cannot flood a message."""
    text = str(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: object, limit: int = 60) -> str:
    return f"„{_cut(value, limit)}“"


# --- Fallgruppen (domain.md §1) -------------------------------------------------------------

FALLGRUPPEN: dict[str, str] = {
    "onko": "Onkologie",
    "kardio": "Kardiologie",
    "intensiv": "Intensivmedizin",
    "galle": "Gallenblase",
    "sd": "Schilddrüse",
}
FALLGRUPPE_CHOICES: list[tuple[str, str]] = list(FALLGRUPPEN.items())
MODUL_TEXTS: dict[str, str] = {
    "onko": "Zweitmeinung Onkologie",
    "kardio": "Zweitmeinung Kardiologie",
    "intensiv": "Zweitmeinung Intensiv",
    "galle": "Zweitmeinung Gallenblase",
    "sd": "Zweitmeinung Schilddrüse",
}

# "galle" also covers "gallenblase"; both spellings of Schilddrüse are listed because the
# CRM rule does not fold umlauts.
_BEGUTACHTUNG_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("onko", "onko"),
    ("kardio", "kardio"),
    ("intensiv", "intensiv"),
    ("galle", "galle"),
    ("schilddrüse", "sd"),
    ("schilddruese", "sd"),
)


def _fold(text: str) -> str:
    """Trimmed, inner whitespace collapsed, case-folded, in one Unicode normal form."""
    text = unicodedata.normalize("NFC", text)
    return unicodedata.normalize("NFC", " ".join(text.split()).casefold())


def _fold_umlauts(text: str) -> str:
    # casefold() has already turned ß into ss.
    return text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")


_MODUL_LOOKUP = {_fold(modul): code for code, modul in MODUL_TEXTS.items()}


def _any_lookup() -> dict[str, str]:
    lookup = {}
    for code, label in FALLGRUPPEN.items():
        for variant in (code, label, MODUL_TEXTS[code], f"Zweitmeinung {label}"):
            lookup[_fold(variant)] = code
            lookup[_fold_umlauts(_fold(variant))] = code
    return lookup


_ANY_LOOKUP = _any_lookup()


def _begutachtung_rule(folded: str) -> str | None:
    if "begutachtung" not in folded:
        return None
    codes = {code for keyword, code in _BEGUTACHTUNG_KEYWORDS if keyword in folded}
    # Two different specialities in one Modul text cannot be decided, so it stays unmapped.
    return codes.pop() if len(codes) == 1 else None


def fallgruppe_from_modul(text: str | None) -> str | None:
    """Fallgruppe code for a CRM "Modul" text, or None when it cannot be mapped."""
    if text is None:
        return None
    folded = _fold(str(text))
    if not folded:
        return None
    return _MODUL_LOOKUP.get(folded) or _begutachtung_rule(folded)


def fallgruppe_from_any(text: str | None) -> str | None:
    """Fallgruppe code for a workbook cell: code, label or Modul text; None if unmappable."""
    if text is None:
        return None
    folded = _fold_umlauts(_fold(str(text)))
    if not folded:
        return None
    return _ANY_LOOKUP.get(folded) or _begutachtung_rule(folded)


# --- Dates and ISO weeks (domain.md §4) ---------------------------------------------------------

_TIME = r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
_GERMAN_DATE = re.compile(
    r"(?P<day>[0-9]{1,2})\.(?P<month>[0-9]{1,2})\.(?P<year>[0-9]{4}|[0-9]{2})"
    rf"(?:(?:\s*,\s*|\s+){_TIME}(?:\s*uhr)?)?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    rf"(?:(?:T|\s+){_TIME}(?:Z|\s*[+-][0-9]{{2}}:?[0-9]{{2}})?)?",
    re.IGNORECASE,
)
# Excel's day 60 is the 29.02.1900 that never existed; later serials count from 30.12.1899.
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def berlin_today() -> dt.date:
    """Today's date in Europe/Berlin, whatever the server's time zone."""
    return dt.datetime.now(BERLIN).date()


def _format_de(day: dt.date) -> str:
    # strftime does not zero-pad years below 1000.
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def _text_parts(text: str, label: str) -> tuple[int, int, int, bool]:
    """(year, month, day, two_digit_year) of a date string; the time part is ignored."""
    match = _GERMAN_DATE.fullmatch(text) or _ISO_DATE.fullmatch(text)
    if match is None:
        raise RuleError(
            f"{label} {_shown(text)} ist nicht lesbar (erwartet TT.MM.JJJJ, TT.MM.JJ "
            "oder JJJJ-MM-TT)."
        )
    year = match["year"]
    return int(year), int(match["month"]), int(match["day"]), len(year) == 2


def _make_date(year: int, month: int, day: int, shown: str, label: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise RuleError(f"{label} {_shown(shown)} ist kein gültiges Datum.") from None


def _from_excel_serial(value: float, label: str) -> dt.date:
    if not math.isfinite(value) or value < 1:
        raise RuleError(f"{label} {_shown(value)} ist kein gültiges Datum.")
    serial = math.floor(value)
    if serial == 60:
        raise RuleError(f"{label} {_shown(value)} ist kein gültiges Datum (29.02.1900).")
    offset = serial + 1 if serial < 60 else serial
    try:
        return _EXCEL_EPOCH + dt.timedelta(days=offset)
    except OverflowError:
        raise RuleError(f"{label} {_shown(value)} ist kein gültiges Datum.") from None


def _from_object(value: object, label: str) -> dt.date:
    """A date from a date, datetime or Excel serial number (as workbook cells give them)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BERLIN)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_excel_serial(value, label)
    raise RuleError(f"{label} {_shown(value)} ist nicht lesbar.")


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_datum(value: object, *, label: str = "Datum") -> dt.date:
    """The case date (Erstberatung): two-digit years are 20YY, ISO year within 2000–2100."""
    if _is_missing(value):
        raise RuleError(f"{label} fehlt.")
    if isinstance(value, str):
        shown = value.strip()
        year, month, day, two_digit = _text_parts(shown, label)
        result = _make_date(year + 2000 if two_digit else year, month, day, shown, label)
    else:
        result = _from_object(value, label)
        shown = _format_de(result)
    # jahr/kw are the ISO week of datum and the database allows jahr 2000–2100 only.
    if not 2000 <= result.isocalendar()[0] <= 2100:
        raise RuleError(
            f"{label} {_shown(shown)} liegt außerhalb des erlaubten Zeitraums "
            "(Kalenderwochen der Jahre 2000–2100)."
        )
    return result


def parse_geburtsdatum(value: object, *, today: dt.date | None = None) -> dt.date:
    """A birth date: two-digit years are 20YY unless that lies after today, then 19YY."""
    label = "Geburtsdatum"
    if today is None:
        today = berlin_today()
    if _is_missing(value):
        raise RuleError(f"{label} fehlt.")
    if isinstance(value, str):
        shown = value.strip()
        year, month, day, two_digit = _text_parts(shown, label)
        if two_digit:
            result = _make_date(2000 + year, month, day, shown, label)
            if result > today:
                result = _make_date(1900 + year, month, day, shown, label)
        else:
            result = _make_date(year, month, day, shown, label)
    else:
        result = _from_object(value, label)
        shown = _format_de(result)
    if result.year < 1900:
        raise RuleError(f"{label} {_shown(shown)} ist unmöglich (Jahr vor 1900).")
    if result > today:
        raise RuleError(f"{label} {_shown(shown)} liegt in der Zukunft.")
    return result


def iso_week(d: dt.date) -> tuple[int, int]:
    """(ISO year, ISO week) of a date; the ISO year differs from d.year around New Year."""
    calendar = d.isocalendar()
    return calendar[0], calendar[1]


def weeks_in_iso_year(jahr: int) -> int:
    """52 or 53: the week holding 28 December is always the last ISO week of its year."""
    try:
        return dt.date(jahr, 12, 28).isocalendar()[1]
    except (TypeError, ValueError, OverflowError):
        raise RuleError(f"Ungültiges Jahr: {_shown(jahr)}.") from None


def monday_of_iso_week(jahr: int, kw: int) -> dt.date:
    """The Monday of ISO week ``kw`` of ``jahr``; RuleError if that year has no such week."""
    weeks = weeks_in_iso_year(jahr)
    if not isinstance(kw, int) or isinstance(kw, bool) or not 1 <= kw <= weeks:
        raise RuleError(f"Das Jahr {jahr} hat keine KW {kw} (nur KW 1–{weeks}).")
    return dt.date.fromisocalendar(jahr, kw, 1)


# --- ICD-10-GM (domain.md §4) ----------------------------------------------------------------

ICD_MAX_LENGTH = 255
_ICD_CODE = re.compile(r"[A-Z][0-9]{2}(?:\.[0-9]{1,2})?")
_ICD_MARKS = "-+*!†"
_ICD_MARK_LETTERS = frozenset("RLBGVZA")
# Whitespace separates codes but lets a side/certainty letter attach to the code before it;
# these separators never do, so a letter after them is read as a code of its own.
_ICD_HARD_SEPARATORS = re.compile(r"[,;\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def parse_icd(raw: str | None) -> list[str]:
    """Normalised, de-duplicated ICD codes in input order; ICDError names every invalid one."""
    if raw is None:
        return []
    codes: list[str] = []
    invalid: list[str] = []
    seen_invalid: set[str] = set()
    for group in _ICD_HARD_SEPARATORS.split(str(raw)):
        after_code = False
        for token in group.split():
            core = token.upper().rstrip(_ICD_MARKS)
            if after_code and (core == "" or core in _ICD_MARK_LETTERS):
                continue
            after_code = True
            if core.endswith("."):
                core = core[:-1]  # "C50.-" means the whole three-digit group C50
            if _ICD_CODE.fullmatch(core):
                if core not in codes:
                    codes.append(core)
            elif token.upper() not in seen_invalid:
                seen_invalid.add(token.upper())
                invalid.append(token)
    if invalid:
        names = ", ".join(_cut(code, 20) for code in invalid)
        if len(invalid) == 1:
            message = f"Ungültiger ICD-Code: {names}"
        else:
            message = f"Ungültige ICD-Codes: {names}"
        raise ICDError(
            # What happens to the value is the caller's to say: a workbook row is still
            # imported with the ICD left empty, a form saves nothing.
            message + " (erwartet z. B. C50, C50.1 oder E11.90).",
            invalid,
        )
    return codes


def icd_join(codes: list[str]) -> str:
    """The stored form ("C50.1, C79.5"); refused when longer than the 255-character field."""
    joined = ", ".join(codes)
    if len(joined) > ICD_MAX_LENGTH:
        raise RuleError(
            f"Die ICD-Liste ist mit {len(joined)} Zeichen zu lang (höchstens {ICD_MAX_LENGTH}). "
            "Bitte weniger Codes angeben."
        )
    return joined


def normalize_icd_text(raw: str | None) -> str | None:
    """The stored form of an ICD input, or None when it holds no code."""
    codes = parse_icd(raw)
    return icd_join(codes) if codes else None


def icd_hauptgruppe(code: str) -> str:
    """Letter plus two digits: "C50.1" -> "C50"."""
    normalized = str(code).strip().upper()
    if not _ICD_CODE.fullmatch(normalized):
        raise ICDError(f"Ungültiger ICD-Code: {_cut(code, 20)}", [str(code)])
    return normalized[:3]


def icd_same_codes(a: str | None, b: str | None) -> bool:
    """True when both inputs hold the same set of codes, whatever order, case or marks."""
    return set(parse_icd(a)) == set(parse_icd(b))


# --- KVNR (domain.md §4) -----------------------------------------------------------------------

_KVNR = re.compile(r"[A-Z][0-9]{9}")
_KVNR_STEM = re.compile(r"[A-Z][0-9]{8}")


def normalize_kvnr(value: str | None) -> str | None:
    """KVNR as stored: no spaces, upper-case; None when empty. Invalid ones are kept."""
    if value is None:
        return None
    text = "".join(str(value).split()).upper()
    return text or None


def kvnr_check_digit(stem: str) -> int:
    """Check digit for the first nine characters (letter + eight digits) of a KVNR."""
    if not _KVNR_STEM.fullmatch(stem):
        raise RuleError(f"Ungültiger KVNR-Anfang: {_shown(stem)}.")
    digits = f"{ord(stem[0]) - ord('A') + 1:02d}{stem[1:]}"
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (1 if index % 2 == 0 else 2)
        total += product // 10 + product % 10
    return total % 10


def kvnr_is_valid(value: str | None) -> bool:
    """One letter, nine digits, the last of them the check digit (D410126355 is valid)."""
    kvnr = normalize_kvnr(value)
    if kvnr is None or not _KVNR.fullmatch(kvnr):
        return False
    return kvnr_check_digit(kvnr[:9]) == int(kvnr[9])


# --- CRM ticket (domain.md §3) ------------------------------------------------------------------


def normalize_ticket(value: object) -> str | None:
    """CRM ticket id as stored and compared: trimmed and upper-cased like the KVNR (``t-9001`` is
    ``T-9001``), in one Unicode normal form (NFC, so a decomposed ``á`` is the same text as a
    composed one); None when empty. Nothing else is folded: ``TK-1Á`` is not ``TK-1A``."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip().upper()
    return unicodedata.normalize("NFC", text) or None


# --- Texts, duplicate key, fall_id (domain.md §3, §4) ------------------------------------------


def clean_text(value: object) -> str:
    """Trimmed text; None becomes ""."""
    return "" if value is None else str(value).strip()


def normalize_key_part(value: object) -> str:
    """One part of the duplicate key: trimmed, whitespace collapsed, case-folded (ß = ss)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _fold(str(value))


def duplicate_key(*, nachname, vorname, geburtsdatum, fallgruppe, datum) -> str:
    """Normalised (nachname, vorname, geburtsdatum, fallgruppe, datum), joined by "|"."""
    parts = (nachname, vorname, geburtsdatum, fallgruppe, datum)
    return "|".join(normalize_key_part(part) for part in parts)


def duplicate_key_digest(*, nachname, vorname, geburtsdatum, fallgruppe, datum) -> str:
    """SHA-256 (hex) of :func:`duplicate_key`: what the case table stores and indexes.

    64 ASCII characters index far cheaper than up to 320 characters of names, compare the same
    on every database, and keep names and birth dates out of one more column.
    """
    key = duplicate_key(
        nachname=nachname,
        vorname=vorname,
        geburtsdatum=geburtsdatum,
        fallgruppe=fallgruppe,
        datum=datum,
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def build_fall_id(
    jahr: int,
    kw: int,
    fallgruppe: str,
    nachname: str,
    suffix: int = 1,
    max_length: int = 100,
) -> str:
    """``{jahr}-{kw:02d}-{fallgruppe}-{nachname}[-{suffix}]``, the surname cut to fit."""
    name = " ".join(str(nachname or "").split())
    if not name:
        raise RuleError("Ohne Nachname kann keine Fall-ID gebildet werden.")
    if suffix < 1:
        raise RuleError(f"Ungültiger Fall-ID-Zusatz: {suffix}.")
    prefix = f"{jahr}-{kw:02d}-{fallgruppe}-"
    tail = f"-{suffix}" if suffix > 1 else ""
    room = max_length - len(prefix) - len(tail)
    if room < 1:
        raise RuleError(f"Eine Fall-ID passt nicht in {max_length} Zeichen.")
    # A cut may end on a space; the id should not.
    return f"{prefix}{name[:room].rstrip()}{tail}"


# --- Derived status (domain.md §3) ----------------------------------------------------------------

STATUS_CHOICES: list[tuple[str, str]] = [
    ("offen", "Offen"),
    ("unterlagen", "Unterlagen"),
    ("gutachten", "Gutachten"),
    ("gutachten_codiert", "Gutachten codiert"),
    ("abgelehnt", "Abgelehnt"),
    ("abgebrochen", "Abgebrochen"),
]


STATUS_LABELS: dict[str, str] = dict(STATUS_CHOICES)
# The stored fields the status follows from.
STATUS_FIELDS = ("abbruch", "ablehnung", "gutachten", "gutachten_typ", "unterlagen")


def status_of(values) -> str:
    """The status of a case given as its stored values (a ``values()`` row or any mapping that
    holds STATUS_FIELDS)."""
    return derive_status(**{name: values[name] for name in STATUS_FIELDS})


def derive_status(
    *,
    abbruch: bool,
    ablehnung: bool,
    gutachten: bool,
    gutachten_typ: str | None,
    unterlagen: bool,
) -> str:
    """The case's status code; the first matching rule wins."""
    if abbruch:
        return "abgebrochen"
    if ablehnung:
        return "abgelehnt"
    if gutachten and gutachten_typ:
        return "gutachten_codiert"
    if gutachten:
        return "gutachten"
    if unterlagen:
        return "unterlagen"
    return "offen"


# --- Gutachten coding (domain.md §3, §4) ---------------------------------------------------------

GUTACHTEN_TYP_CHOICES: list[tuple[str, str]] = [
    ("Bestätigung", "Bestätigung"),
    ("Alternative", "Alternative"),
]
THERAPIEAENDERUNG_CHOICES: list[tuple[str, str]] = [("Ja", "Ja"), ("Nein", "Nein")]

_GUTACHTEN_TYP_ALIASES = {
    "bestätigung": "Bestätigung",
    "bestaetigung": "Bestätigung",
    "b": "Bestätigung",
    "alternative": "Alternative",
    "a": "Alternative",
}
_TRUE_WORDS = frozenset({"ja", "j", "x", "1", "true", "wahr"})
_FALSE_WORDS = frozenset({"nein", "n", "0", "false", "falsch", ""})


def normalize_gutachten_typ(value: object) -> str | None:
    """Workbook spelling (Bestaetigung, B, A, any case) to the stored choice; None if empty."""
    text = _fold(clean_text(value))
    if not text:
        return None
    try:
        return _GUTACHTEN_TYP_ALIASES[text]
    except KeyError:
        raise RuleError(
            f"Unbekannter Gutachten-Typ {_shown(value)} (erlaubt: Bestätigung, Alternative)."
        ) from None


def normalize_therapieaenderung(value: object) -> str | None:
    """ "Ja"/"Nein" in any case to the stored choice; None if empty."""
    text = _fold(clean_text(value))
    if not text:
        return None
    if text in {"ja", "nein"}:
        return text.capitalize()
    raise RuleError(f"Unbekannte Therapieänderung {_shown(value)} (erlaubt: Ja, Nein).")


def parse_bool(value: object) -> bool:
    """A workbook yes/no cell; RuleError for other text so the caller can warn and use False."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise RuleError(f"Unbekannter Ja/Nein-Wert {_shown(value)}.")
    text = _fold(str(value))
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise RuleError(f"Unbekannter Ja/Nein-Wert {_shown(value)}.")


def coding_problems(
    *,
    gutachten: bool,
    gutachten_typ: str | None,
    therapieaenderung: str | None,
    ta_diagnosekorrektur: bool,
    ta_unterversorgung: bool,
    ta_uebertherapie: bool,
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a Gutachten coding, German, for forms and imports alike."""
    errors: list[str] = []
    warnings: list[str] = []
    typ = gutachten_typ or None
    ta = therapieaenderung or None
    if typ is not None:
        if not gutachten:
            errors.append("Ein Gutachten-Typ ist nur zulässig, wenn ein Gutachten vorliegt.")
        if typ not in dict(GUTACHTEN_TYP_CHOICES):
            errors.append(
                f"Unbekannter Gutachten-Typ {_shown(typ)} (erlaubt: Bestätigung, Alternative)."
            )
    if ta is not None:
        if not gutachten:
            errors.append("Eine Therapieänderung ist nur zulässig, wenn ein Gutachten vorliegt.")
        if ta not in dict(THERAPIEAENDERUNG_CHOICES):
            errors.append(f"Unbekannte Therapieänderung {_shown(ta)} (erlaubt: Ja, Nein).")
    any_flag = ta_diagnosekorrektur or ta_unterversorgung or ta_uebertherapie
    if any_flag and ta != "Ja":
        errors.append(
            "Diagnosekorrektur, Unterversorgung und Übertherapie sind nur bei "
            "Therapieänderung = Ja zulässig."
        )
    if ta == "Ja" and not any_flag:
        warnings.append(
            "Therapieänderung = Ja, aber keine Art angegeben "
            "(Diagnosekorrektur, Unterversorgung oder Übertherapie)."
        )
    return errors, warnings
