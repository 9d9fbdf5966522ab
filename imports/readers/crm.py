"""CRM export (CSV) reader, formats.md §1.

Values per row (Case field names): nachname, vorname (str), geburtsdatum (date | None),
kvnr (str | None), datum (date), jahr, kw (ISO week of datum), fallgruppe (code),
crm_ticket_id (str | None), thema, bearbeiter (str). A row with errors still carries the
values that could be read, so a preview can show it.
"""

from __future__ import annotations

import csv
import io
import re

from cases import rules
from cases.rules import RuleError

from .base import (
    MAX_BYTES,
    FileRejected,
    ParsedRow,
    Problem,
    ReadResult,
    check_size,
    fit_text,
    kvnr_value,
    map_headers,
    normalize_header,
    notice,
    quoted_list,
    ticket_id,
)

COLUMNS: dict[str, str] = {
    normalize_header("Hauptkontakt"): "hauptkontakt",
    normalize_header("Erstellungsdatum"): "erstellungsdatum",
    normalize_header("Modul"): "modul",
    normalize_header("Name"): "name",
    normalize_header("Thema"): "thema",
    normalize_header("Bearbeiter"): "bearbeiter",
}
REQUIRED = {
    "hauptkontakt": "Hauptkontakt",
    "erstellungsdatum": "Erstellungsdatum",
    "modul": "Modul",
}

# csv's default (128 KiB) would refuse a long free text; 1 MiB still stops an unclosed quote
# from swallowing the rest of the file unnoticed.
_FIELD_LIMIT = 1024 * 1024
# Set once: the limit is process-wide, and changing it per call would race between threads.
csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _mojibake_pattern() -> re.Pattern[str]:
    """UTF-8 read as Windows-1252 (or Latin-1): a lead byte followed by continuation bytes."""
    continuation = set()
    for byte in range(0x80, 0xC0):
        continuation.add(chr(byte))
        continuation.add(bytes([byte]).decode("cp1252", errors="ignore"))
    cont = "".join(sorted(c for c in continuation if c))
    cont = re.escape(cont)
    return re.compile(f"[\u00c2\u00c3\u00c5][{cont}]|\u00e2[{cont}]{{2}}")


_MOJIBAKE = _mojibake_pattern()
# Tab, line breaks and the DOS end-of-file mark occur in real exports; other C0 codes do not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f]")


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-1252; refuses binary and double-encoded text."""
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise FileRejected(
            "Die Datei ist eine Excel-Arbeitsmappe, keine CSV-Datei; bitte den CRM-Export "
            "als CSV hochladen."
        )
    if b"\x00" in data:
        raise FileRejected(
            "Die Datei enthält Binärdaten und ist keine CSV-Datei (erwartet: UTF-8 oder "
            "Windows-1252)."
        )
    try:
        text = data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRejected(
                "Die Zeichenkodierung der Datei ist weder UTF-8 noch Windows-1252."
            ) from None
    if len(_CONTROL.findall(text)) > max(3, len(text) // 1000):
        raise FileRejected(
            "Die Datei enthält Binärdaten und ist keine CSV-Datei (erwartet: UTF-8 oder "
            "Windows-1252)."
        )
    match = _MOJIBAKE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise FileRejected(
            f"Die Datei ist doppelt kodiert (Zeile {line} enthält „{match[0]}“ statt eines "
            "Umlauts); bitte die CSV-Datei neu aus dem CRM exportieren."
        )
    return text


def detect_delimiter(header_line: str) -> str:
    """``;`` or ``,``, whichever the header line uses more often outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    return ";" if outside.count(";") > outside.count(",") else ","


class _Lines:
    """The text's lines as the csv module reads them, counting how far it has read."""

    def __init__(self, text: str):
        self._stream = io.StringIO(text, newline="")
        self.offset = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._stream.readline()
        if not line:
            raise StopIteration
        self.offset += len(line)
        return line


def _records(text: str, delimiter: str):
    """(row number, fields) per CSV record, numbered as a spreadsheet numbers its rows: one row
    per record however many lines its quoted fields span, blank lines counted.

    A quote that opens a field and never closes makes the csv module read the rest of the file
    as that one field; that is refused as a whole (FileRejected), saying where the quote
    opened, so that no row after it can be lost unnoticed.
    """
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"')
    number = 0
    start = 0  # where the record being read begins
    try:
        for fields in reader:
            number += 1
            if lines.offset == len(text) and '"' in text[start:]:
                _refuse_unclosed_quote(text, start, number, delimiter)
            yield number, fields
            start = lines.offset
    except csv.Error:
        _refuse_unclosed_quote(text, start, number + 1, delimiter)
        raise FileRejected(
            f"Die CSV-Datei ist ab Datensatz {number + 1} fehlerhaft und kann nicht gelesen "
            "werden; es wurde nichts importiert."
        ) from None


def _refuse_unclosed_quote(text: str, start: int, number: int, delimiter: str) -> None:
    """FileRejected if a field of the record that begins at ``start`` opens a quote that the
    rest of the file never closes; the csv module's own (lenient) reading, step by step."""
    field_end = re.compile(f"[{re.escape(delimiter)}\r\n]")
    pos = start
    while pos < len(text):
        if text[pos] == '"':
            opened = pos
            while True:
                close = text.find('"', pos + 1)
                if close == -1:
                    line = text.count("\n", 0, opened) + 1
                    raise FileRejected(
                        f"Das Anführungszeichen in Datensatz {number} (Zeile {line} der Datei) "
                        "wird nie geschlossen; der Rest der Datei ab dort konnte nicht gelesen "
                        "werden. Es wurde nichts importiert. Bitte das Anführungszeichen in der "
                        "Datei schließen oder entfernen und die Datei erneut hochladen."
                    )
                if not text.startswith('"', close + 1):
                    pos = close + 1
                    break
                pos = close + 1  # "" inside quotes is a quote character
        # Unquoted (or the rest after a closing quote): up to the next delimiter or line end.
        match = field_end.search(text, pos)
        if match is None:
            return
        pos = match.end()


def _blank(fields: list[str]) -> bool:
    return all(not f.strip() for f in fields)


def read_crm_csv(data: bytes, *, max_bytes: int = MAX_BYTES, today=None) -> ReadResult:
    """Read a CRM export; FileRejected when the file as a whole is unusable."""
    check_size(data, max_bytes)
    text = decode(data)
    if not text.strip():
        raise FileRejected("Die Datei ist leer.")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = detect_delimiter(first_line)
    return _read(text, delimiter, today)


def _read(text: str, delimiter: str, today) -> ReadResult:
    records = _records(text, delimiter)
    headers: list[str] | None = None
    for _number, fields in records:
        if not _blank(fields):
            headers = fields
            break
    if headers is None:
        raise FileRejected("Die Datei ist leer.")
    positions, unknown, duplicates = map_headers(headers, COLUMNS)
    missing = [label for name, label in REQUIRED.items() if name not in positions]
    if missing:
        raise FileRejected(
            f"Pflichtspalte{'n' if len(missing) > 1 else ''} {quoted_list(missing)} "
            f"fehl{'en' if len(missing) > 1 else 't'}; die Kopfzeile muss "
            "Hauptkontakt, Erstellungsdatum und Modul enthalten."
        )
    notices: list[Problem] = []
    if unknown:
        notices.append(notice(f"Unbekannte Spalten werden ignoriert: {quoted_list(unknown)}."))
    if duplicates:
        notices.append(
            notice(
                f"Doppelte Spalten; verwendet wird jeweils die erste: {quoted_list(duplicates)}."
            )
        )
    header_text = {name: headers[index].strip() for name, index in positions.items()}
    rows: list[ParsedRow] = []
    for number, fields in records:
        if _blank(fields):
            continue
        cells = {name: fields[i] if i < len(fields) else "" for name, i in positions.items()}
        rows.append(_parse_row(number, cells, header_text, today))
    if not rows:
        notices.append(notice("Die Datei enthält keine Datensätze, nur die Kopfzeile."))
    return ReadResult(rows=rows, notices=notices, rows_read=len(rows))


def _parse_row(number: int, cells: dict[str, str], header: dict[str, str], today) -> ParsedRow:
    row = ParsedRow(row_number=number, sheet=None, values={})
    # A CRLF file may still break a quoted field with CRLF; store one kind of line break.
    cells = {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in cells.items()}
    values = row.values
    contact_col = header["hauptkontakt"]
    contact = cells["hauptkontakt"]
    parts = [part.strip() for part in contact.split("|")]
    parts += [""] * (4 - len(parts))
    if any(parts[4:]):
        row.warn(
            contact_col,
            contact,
            "Hauptkontakt hat mehr als vier Teile (Nachname | Vorname | Geburtsdatum | KVNR); "
            "der Rest wird ignoriert.",
        )
    nachname, vorname, geburtsdatum, kvnr = parts[:4]

    values["nachname"] = fit_text(row, "nachname", contact_col, rules.clean_text(nachname))
    if not values["nachname"]:
        row.error(contact_col, contact, "Nachname fehlt (erster Teil von Hauptkontakt).")
    values["vorname"] = fit_text(row, "vorname", contact_col, rules.clean_text(vorname))

    values["geburtsdatum"] = None
    if geburtsdatum:
        try:
            values["geburtsdatum"] = rules.parse_geburtsdatum(geburtsdatum, today=today)
        except RuleError as exc:
            row.warn(contact_col, geburtsdatum, f"{exc.message} Das Geburtsdatum bleibt leer.")

    values["kvnr"] = kvnr_value(row, contact_col, kvnr)

    date_col = header["erstellungsdatum"]
    values["datum"] = values["jahr"] = values["kw"] = None
    try:
        datum = rules.parse_datum(cells["erstellungsdatum"], label="Erstellungsdatum")
    except RuleError as exc:
        row.error(date_col, cells["erstellungsdatum"], exc.message)
    else:
        values["datum"] = datum
        values["jahr"], values["kw"] = rules.iso_week(datum)

    modul = cells["modul"].strip()
    values["fallgruppe"] = rules.fallgruppe_from_modul(modul)
    if not modul:
        row.error(header["modul"], modul, "Modul fehlt.")
    elif values["fallgruppe"] is None:
        row.error(
            header["modul"],
            modul,
            f"Modul „{modul}“ kann keiner Fallgruppe zugeordnet werden.",
        )

    values["crm_ticket_id"] = ticket_id(row, header.get("name", "Name"), cells.get("name"))
    for name in ("thema", "bearbeiter"):
        text = rules.clean_text(cells.get(name))
        values[name] = fit_text(row, name, header.get(name, name), text)
    return row
