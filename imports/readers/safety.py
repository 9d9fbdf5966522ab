"""Checks an uploaded .xlsx before any spreadsheet library parses it.

An .xlsx is a zip of XML parts, so a hostile or broken upload can hurt in three ways, each
caught here from the zip's central directory or a cheap byte scan:

* decompression bombs: the declared sizes, the compression ratio and the entry count are
  checked before anything is inflated, and inflating stops at the declared size (zipfile
  checks the CRC), so a lying directory is caught too;
* XML entity tricks (billion laughs, external entities): no part may contain a DOCTYPE or
  ENTITY declaration, and only UTF-8 parts are accepted so that the scan cannot be dodged;
* macros: a workbook with a VBA project (``xl/vbaProject.bin``, in any spelling), Excel 4
  macro or dialog sheets, or a macro-enabled content type is refused, and so is a file named
  like a macro format (.xlsm, .xlsb, .xltm, .xlam) whatever it contains: nobody should be asked
  to trust the portal with a file that runs code when someone opens it again;
* sparse sheets: one cell in A1 and one in XFD1048576 are a few bytes of XML but make
  calamine build a dense grid of 17 billion cells. Regular sheets (every ``<c>``/``<row>`` with
  an ``r`` reference first, all of them within A–CZ × 49,999 rows or A–AX × 199,999 rows, both
  under the cell cap) are vetted by a byte scan; anything else gets an exact streaming count of
  the grid calamine would build.

The exact scan also collects formula text (``<f>``), which calamine cannot return, so every
sheet holding a formula goes through it.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.parsers import expat

from defusedxml import ElementTree as SafeET

from .base import FileRejected, check_size, format_size

MAX_ENTRIES = 10_000
# A 20 MB upload of inline-string XML (what openpyxl's write-only mode writes) inflates about
# 14-fold, so 200 MB would refuse real files; the per-entry ratio cap is what stops bombs.
MAX_TOTAL_UNCOMPRESSED = 300 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_SIZE = 1024 * 1024
MAX_META_PART = 10 * 1024 * 1024
# 100,000 rows x 100 columns; the grid of the real workbook is 20,000 x 41.
MAX_SHEET_CELLS = 10_000_000

WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"

_CHUNK = 1024 * 1024
_CARRY_LIMIT = 1024 * 1024
_FORBIDDEN = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_PREFIXED_TAG = re.compile(rb"<[A-Za-z_][\w.\-]*:(?:c|row|f)(?=[\s/>])")
_FORMULA_TAG = re.compile(rb"<f(?=[\s/>])")
_CELL_WITHOUT_REF = re.compile(rb'<c(?=[\s/>])(?! r=")')
_ROW_WITHOUT_REF = re.compile(rb'<row(?=[\s/>])(?! r=")')
# Small = columns A-CZ, rows 1-49,999; together at most 5.2 million cells, under the cap.
_SMALL_ROW = rb'(?:[1-4][0-9]{4}|[1-9][0-9]{0,3})"'
_BIG_CELL_REF = re.compile(rb'<c r="(?![A-C]?[A-Z]' + _SMALL_ROW + rb")")
_BIG_ROW_REF = re.compile(rb'<row r="(?!' + _SMALL_ROW + rb")")
# Tall = columns A-AX, rows 1-199,999: at most 9,999,950 cells, under the cap too (the Excel
# sync's export of one year holds about 150,000 rows of 40 columns).
_TALL_ROW = rb'(?:1[0-9]{5}|[1-9][0-9]{0,4})"'
_TALL_BIG_CELL_REF = re.compile(rb'<c r="(?!(?:A[A-X]|[A-Z])' + _TALL_ROW + rb")")
_TALL_BIG_ROW_REF = re.compile(rb'<row r="(?!' + _TALL_ROW + rb")")
_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

NOT_XLSX = "Die Datei ist keine Excel-Arbeitsmappe (.xlsx)."
MACRO_EXTENSIONS = (".xlsm", ".xlsb", ".xltm", ".xlam")
MACRO_FILE = (
    "Arbeitsmappen mit Makros (.xlsm, .xlsb, .xltm, .xlam) werden aus Sicherheitsgründen nicht "
    "gelesen. Bitte in Excel „Speichern unter“ → „Excel-Arbeitsmappe (*.xlsx)“ wählen und diese "
    "Datei hochladen."
)
MACROS_INSIDE = (
    "Die Arbeitsmappe enthält Makros (VBA) und wird aus Sicherheitsgründen nicht gelesen. Bitte "
    "in Excel „Speichern unter“ → „Excel-Arbeitsmappe (*.xlsx)“ wählen (ohne Makros) und diese "
    "Datei hochladen."
)
CONTENT_TYPES = "[Content_Types].xml"
_MACRO_CONTENT_TYPE = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)
DAMAGED = "Die Excel-Datei ist beschädigt und kann nicht gelesen werden."


@dataclass
class SheetScan:
    """Exact grid size (0-based maxima, -1 when empty) and formula text by (row, column)."""

    max_row: int = -1
    max_col: int = -1
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class XlsxPackage:
    """A vetted .xlsx: its zip, sheet name -> XML part, and the exact scans done."""

    zip: zipfile.ZipFile
    sheet_parts: dict[str, str]
    scans: dict[str, SheetScan]

    def formulas(self, sheet_name: str) -> dict[tuple[int, int], str]:
        part = self.sheet_parts.get(sheet_name)
        scan = self.scans.get(part) if part else None
        return scan.formulas if scan else {}


def refuse_macro_file_name(file_name: str) -> None:
    """FileRejected for a file named like a macro workbook, before anything reads it."""
    if PurePath(file_name or "").suffix.lower() in MACRO_EXTENSIONS:
        raise FileRejected(MACRO_FILE)


def _refuse_macros(archive: zipfile.ZipFile, names: set[str]) -> None:
    for name in names:
        lower = name.lower()
        if "vbaproject" in posixpath.basename(lower) or lower.startswith(
            ("xl/macrosheets/", "xl/dialogsheets/")
        ):
            raise FileRejected(MACROS_INSIDE)
    if CONTENT_TYPES in names and _MACRO_CONTENT_TYPE.search(_read_small(archive, CONTENT_TYPES)):
        raise FileRejected(MACROS_INSIDE)


def check_xlsx(data: bytes, *, max_bytes: int) -> XlsxPackage:
    """Vet an upload as described in the module docstring; FileRejected with a German reason."""
    check_size(data, max_bytes)
    if data.startswith(_OLE_MAGIC):
        raise FileRejected(
            "Die Datei ist eine alte Excel-Datei (.xls) oder mit Kennwort geschützt; "
            "bitte ohne Kennwort als .xlsx speichern."
        )
    if not data.startswith(b"PK"):
        raise FileRejected(NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:
        raise FileRejected(NOT_XLSX) from None
    _check_directory(infos)
    names = {info.filename for info in infos}
    _refuse_macros(archive, names)
    if WORKBOOK_PART not in names:
        raise FileRejected(NOT_XLSX)
    sheet_parts = _sheet_parts(archive, names)
    sheet_set = set(sheet_parts.values())
    scans: dict[str, SheetScan] = {}
    for info in infos:
        if info.is_dir():
            continue
        is_sheet = info.filename in sheet_set
        is_xml = is_sheet or info.filename.lower().endswith((".xml", ".rels", ".vml"))
        needs_exact = _scan_part(archive, info, is_xml=is_xml, is_sheet=is_sheet)
        if needs_exact:
            scans[info.filename] = scan_sheet(archive, info.filename)
    for name, part in sheet_parts.items():
        scan = scans.get(part)
        if scan is not None and (scan.max_row + 1) * (scan.max_col + 1) > MAX_SHEET_CELLS:
            raise FileRejected(
                f"Das Tabellenblatt „{name}“ ist zu groß ({scan.max_row + 1} Zeilen × "
                f"{scan.max_col + 1} Spalten); die Datei wird nicht gelesen."
            )
    return XlsxPackage(archive, sheet_parts, scans)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise FileRejected(
            f"Die Excel-Datei enthält {len(infos)} Teile (erlaubt: {MAX_ENTRIES}) und wird "
            "aus Sicherheitsgründen nicht gelesen."
        )
    total = 0
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            # zipfile and calamine might pick different copies; the checks would be moot.
            raise FileRejected(DAMAGED)
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise FileRejected("Die Excel-Datei ist verschlüsselt; bitte ohne Kennwort speichern.")
        total += info.file_size
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise FileRejected(
                "Die Excel-Datei ist ungewöhnlich stark komprimiert (möglicherweise eine "
                "Zip-Bombe) und wird aus Sicherheitsgründen nicht gelesen."
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise FileRejected(
            f"Die Excel-Datei ist entpackt {format_size(total)} groß (erlaubt: "
            f"{format_size(MAX_TOTAL_UNCOMPRESSED)}) und wird nicht gelesen."
        )


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_META_PART:
        raise FileRejected(DAMAGED)
    try:
        raw = archive.read(name)
    except Exception:
        raise FileRejected(DAMAGED) from None
    _check_xml_head(raw)
    if _FORBIDDEN.search(raw):
        raise _entity_rejection()
    return raw


def _parse_small(raw: bytes):
    try:
        return SafeET.fromstring(raw)
    except Exception:
        raise FileRejected(DAMAGED) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet name -> part name, through workbook.xml and its relationships."""
    if WORKBOOK_RELS not in names:
        raise FileRejected(DAMAGED)
    workbook = _parse_small(_read_small(archive, WORKBOOK_PART))
    rels = _parse_small(_read_small(archive, WORKBOOK_RELS))
    targets: dict[str, str] = {}
    for rel in rels.iter():
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        if not (rel.get("Type") or "").endswith("/worksheet"):
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join(posixpath.dirname(WORKBOOK_PART), target))
        targets[rel.get("Id") or ""] = part
    parts: dict[str, str] = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        part = targets.get(rel_id or "")
        if part is not None and part in names:
            parts[sheet.get("name") or ""] = part
    return parts


def _check_xml_head(head: bytes) -> None:
    # A UTF-16 or otherwise encoded part would hide "<!DOCTYPE" from a byte scan.
    if head.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in head[:4]:
        raise FileRejected(
            "Die Excel-Datei enthält Teile in einer nicht unterstützten Zeichenkodierung."
        )
    match = _ENCODING_DECL.match(head.removeprefix(b"\xef\xbb\xbf")[:300])
    if match and match[1].lower() not in (b"utf-8", b"utf8"):
        raise FileRejected(
            "Die Excel-Datei enthält Teile in einer nicht unterstützten Zeichenkodierung."
        )


def _entity_rejection() -> FileRejected:
    return FileRejected(
        "Die Excel-Datei enthält XML-Deklarationen (DOCTYPE/ENTITY), wie sie Excel nie "
        "schreibt, und wird aus Sicherheitsgründen nicht gelesen."
    )


def _scan_part(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, is_xml: bool, is_sheet: bool
) -> bool:
    """Byte scan of one part; True when a sheet needs the exact scan (formulas, odd layout)."""
    needs_exact = False
    # A regular sheet passes when all of it fits one of the two shapes (small or tall).
    shapes = {"small", "tall"}
    carry = b""
    first = True
    try:
        with archive.open(info) as stream:
            while True:
                block = stream.read(_CHUNK)
                if first and is_xml:
                    _check_xml_head(block)
                first = False
                buffer = carry + block
                forced = False
                if block:
                    # Cut before the last "<" so that no tag is split between two pieces.
                    cut = buffer.rfind(b"<")
                    if cut <= 0:
                        forced = len(buffer) > _CARRY_LIMIT
                        # The short tail keeps a split "<!DOCTYPE" findable.
                        cut = len(buffer) - 16 if forced else 0
                    piece, carry = buffer[:cut], buffer[cut:]
                else:
                    piece, carry = buffer, b""
                if _FORBIDDEN.search(piece):
                    raise _entity_rejection()
                if is_sheet and not needs_exact:
                    shapes -= _irregular_sheet_shapes(piece)
                    needs_exact = forced or not shapes
                if not block:
                    return needs_exact
    except FileRejected:
        raise
    except Exception:
        # Bad CRC (a directory that lies about sizes), unknown compression, truncated data.
        raise FileRejected(DAMAGED) from None


def _irregular_sheet_shapes(piece: bytes) -> set[str]:
    """The regular shapes ("small", "tall") this piece of sheet XML does not fit."""
    if (
        _FORMULA_TAG.search(piece)
        or _PREFIXED_TAG.search(piece)
        or _CELL_WITHOUT_REF.search(piece)
        or _ROW_WITHOUT_REF.search(piece)
    ):
        return {"small", "tall"}
    misfits = set()
    if _BIG_CELL_REF.search(piece) or _BIG_ROW_REF.search(piece):
        misfits.add("small")
    if _TALL_BIG_CELL_REF.search(piece) or _TALL_BIG_ROW_REF.search(piece):
        misfits.add("tall")
    return misfits


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - 64)
    return index - 1


class _SheetScanner:
    """Follows the sheet XML as calamine places cells: by ``r`` or right after the previous."""

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.row = -1
        self.col = -1
        self.cell: tuple[int, int] | None = None
        self.formula_parts: list[str] | None = None
        self.formula_attrs: dict[str, str] = {}
        self.shared: dict[str, tuple[str, int, int]] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            ref = attrs.get("r", "")
            self.row = int(ref) - 1 if ref.isdigit() and int(ref) > 0 else self.row + 1
            self.col = -1
        elif local == "c":
            match = _REF.fullmatch(attrs.get("r", ""))
            if match and int(match[2]) > 0:
                row, self.col = int(match[2]) - 1, _column_index(match[1])
            else:
                row, self.col = max(self.row, 0), self.col + 1
            self.cell = (row, self.col)
            self.scan.max_row = max(self.scan.max_row, row)
            self.scan.max_col = max(self.scan.max_col, self.col)
        elif local == "f" and self.cell is not None:
            self.formula_parts = []
            self.formula_attrs = attrs

    def end(self, name: str) -> None:
        if _local(name) != "f" or self.formula_parts is None or self.cell is None:
            return
        text = "".join(self.formula_parts).strip()
        attrs, self.formula_parts = self.formula_attrs, None
        row, col = self.cell
        if attrs.get("t") == "shared":
            index = attrs.get("si", "")
            if text:
                self.shared[index] = (text, row, col)
            elif index in self.shared:
                text = _translate(*self.shared[index], row, col)
        if text:
            self.scan.formulas[self.cell] = "=" + text

    def chars(self, data: str) -> None:
        if self.formula_parts is not None:
            self.formula_parts.append(data)


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _translate(text: str, row: int, col: int, to_row: int, to_col: int) -> str:
    """A shared formula as Excel shows it in a dependent cell (references moved along)."""
    from openpyxl.formula.translate import Translator

    try:
        moved = Translator("=" + text, origin=_cell_name(row, col)).translate_formula(
            _cell_name(to_row, to_col)
        )
    except Exception:
        return text
    return moved.removeprefix("=")


def _refuse_dtd(*_args) -> None:
    raise _entity_rejection()


def scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """Exact streaming scan of one sheet part: grid size and formula text."""
    scanner = _SheetScanner()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = scanner.start
    parser.EndElementHandler = scanner.end
    parser.CharacterDataHandler = scanner.chars
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    try:
        with archive.open(part) as stream:
            while block := stream.read(_CHUNK):
                parser.Parse(block, False)
                if (scanner.scan.max_row + 1) * (scanner.scan.max_col + 1) > MAX_SHEET_CELLS:
                    break
            else:
                parser.Parse(b"", True)
    except FileRejected:
        raise
    except Exception:
        raise FileRejected(DAMAGED) from None
    return scanner.scan
