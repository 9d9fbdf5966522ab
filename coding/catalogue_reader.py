"""Reader of the BfArM ICD-10-GM systematic code file (``icd10gm{Jahr}syst_kodes.txt``).

The file is part of the BfArM "Metadaten" download (folder ``Klassifikationsdateien``): one
code per line, fields separated by ``;``, no header, no quoting. The fields used here:

1. Klassifikationsebene: 3, 4 or 5 (three-, four- or five-character code)
2. Ort im Baum: ``T`` terminal (codable), ``N`` not terminal
7. the code with its dot and without marks (``A00``, ``A00.0``, ``E11.90``)
9. the class title (German)

The number of fields differs between versions (30 in 2015, 28 in 2025/2026), so the reader asks
for at least nine and the same number on every line rather than one fixed count.

Pure: bytes in, entries out, no database. A file that is not this format raises FileRejected
with a German message naming the lines, so the caller changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases import rules
from imports.readers.base import FileRejected, check_size
from imports.readers.crm import decode

# The 2026 file is about 5 MB; anything far beyond that is not this file.
MAX_BYTES = 50 * 1024 * 1024
MIN_FIELDS = 9
LEVELS = (3, 4, 5)
# Enough lines to see a pattern (a wrong file fails on every line), short enough to read.
MAX_REPORTED_LINES = 10
FILE_KIND = "ICD-10-GM-Kodedatei (icd10gm{Jahr}syst_kodes.txt)"

_FILE_NAME_YEAR = re.compile(r"icd10gm(\d{4})syst_kodes\.txt", re.IGNORECASE)
_ZIP_MAGIC = b"PK\x03\x04"
# Characters of the code after the three-character group: none, ".9" or ".99".
_DECIMALS_BY_LEVEL = {3: 0, 4: 1, 5: 2}
YEAR_MIN, YEAR_MAX = 2000, 2100


@dataclass(frozen=True)
class CatalogueRow:
    code: str
    level: int
    terminal: bool
    title: str


@dataclass(frozen=True)
class Catalogue:
    year: int
    rows: list[CatalogueRow]

    @property
    def terminal_count(self) -> int:
        return sum(1 for row in self.rows if row.terminal)


def year_from_file_name(file_name: str) -> int | None:
    match = _FILE_NAME_YEAR.search(file_name or "")
    return int(match[1]) if match else None


def catalogue_year(file_name: str, year: int | None) -> int:
    """The catalogue's year: the one given, else the one in the official file name.

    A given year that contradicts the file name is refused: loading the 2025 file as 2026 would
    make every warning name the wrong catalogue.
    """
    named = year_from_file_name(file_name)
    if year is not None:
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise FileRejected(
                f"Das Jahr {year} liegt nicht zwischen {YEAR_MIN} und {YEAR_MAX}; "
                "es wurde nichts geändert."
            )
        if named is not None and named != year:
            raise FileRejected(
                f"Das angegebene Jahr {year} passt nicht zum Dateinamen ({named}); "
                "es wurde nichts geändert."
            )
        return year
    if named is None:
        raise FileRejected(
            "Das Jahr des Katalogs steht nicht im Dateinamen (erwartet "
            "icd10gm{Jahr}syst_kodes.txt); bitte mit --year angeben. Es wurde nichts geändert."
        )
    return named


def _row_problem(fields: list[str]) -> tuple[str | None, CatalogueRow | None]:
    """(German problem, None) or (None, the row) for one line's fields."""
    level_text = fields[0].strip()
    if level_text not in {str(level) for level in LEVELS}:
        return f"Feld 1 (Ebene) ist „{_cut(level_text)}“ statt 3, 4 oder 5.", None
    level = int(level_text)
    terminal_text = fields[1].strip()
    if terminal_text not in {"T", "N"}:
        return f"Feld 2 (endständig) ist „{_cut(terminal_text)}“ statt T oder N.", None
    code = fields[6].strip()
    # The file's code must already be in the stored form: parse_icd would accept "c50.1" or
    # "C50.1!" and change them, which here means the column is not the code.
    try:
        valid = rules.parse_icd(code) == [code]
    except rules.ICDError:
        valid = False
    if not valid:
        return (
            f"Feld 7 (Code) „{_cut(code)}“ ist kein ICD-Code der Form C50, C50.1 oder E11.90.",
            None,
        )
    decimals = len(code.partition(".")[2])
    if decimals != _DECIMALS_BY_LEVEL[level]:
        return (
            f"Feld 7 (Code) „{code}“ passt nicht zur Ebene {level} in Feld 1.",
            None,
        )
    title = " ".join(fields[8].split())
    if not title:
        return f"Feld 9 (Titel) ist leer für Code „{code}“.", None
    return None, CatalogueRow(code=code, level=level, terminal=terminal_text == "T", title=title)


def _cut(value: str, limit: int = 30) -> str:
    # A whole line pasted into one field must not flood the message.
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the non-blank lines. Split on line feeds only: str.splitlines()
    would also split at characters such as U+2028 inside a title and shift every field."""
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        # \x1a: the DOS end-of-file mark some Windows tools still append.
        if line.strip().strip("\x1a"):
            lines.append((number, line))
    return lines


def _rejected(problems: list[str], more: int) -> FileRejected:
    text = "\n".join(problems)
    if more:
        text += f"\n… und {more} weitere fehlerhafte Zeilen."
    return FileRejected(
        f"Die Datei ist keine gültige {FILE_KIND}; es wurde nichts geändert.\n{text}"
    )


def read_catalogue(data: bytes, *, file_name: str, year: int | None = None) -> Catalogue:
    """All codes of the file in file order; FileRejected (German) for anything else."""
    check_size(data, MAX_BYTES)
    if data.startswith(_ZIP_MAGIC):
        raise FileRejected(
            "Die Datei ist ein ZIP-Archiv; bitte die Datei icd10gm{Jahr}syst_kodes.txt aus dem "
            "Ordner „Klassifikationsdateien“ des BfArM-Downloads entpacken und diese laden."
        )
    catalogue_year_value = catalogue_year(file_name, year)
    text = decode(data)
    lines = _lines(text)
    if not lines:
        raise FileRejected("Die Datei enthält keine Zeilen.")

    first_number, first_line = lines[0]
    field_count = len(first_line.split(";"))
    if field_count < MIN_FIELDS:
        raise _rejected(
            [
                f"Zeile {first_number}: {field_count} Felder; erwartet werden mindestens "
                f"{MIN_FIELDS} durch Semikolon getrennte Felder je Zeile."
            ],
            0,
        )

    rows: list[CatalogueRow] = []
    first_line_of: dict[str, int] = {}
    problems: list[str] = []
    bad_lines = 0
    for number, line in lines:
        fields = line.split(";")
        if len(fields) != field_count:
            problem = (
                f"{len(fields)} Felder statt {field_count} wie in Zeile {first_number} "
                "(ein Semikolon zu viel oder zu wenig?)."
            )
            row = None
        else:
            problem, row = _row_problem(fields)
        if row is not None and row.code in first_line_of:
            problem = f"Code „{row.code}“ steht schon in Zeile {first_line_of[row.code]}."
        if problem is not None:
            bad_lines += 1
            if len(problems) < MAX_REPORTED_LINES:
                problems.append(f"Zeile {number}: {problem}")
            continue
        first_line_of[row.code] = number
        rows.append(row)
    if problems:
        raise _rejected(problems, bad_lines - len(problems))
    return Catalogue(year=catalogue_year_value, rows=rows)
