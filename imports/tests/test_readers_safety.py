import io
import struct
import warnings
import zipfile

import pytest

from imports.readers import safety
from imports.readers.base import FileRejected
from imports.readers.historical import read_historical_workbook
from imports.readers.icd_workbook import read_icd_workbook
from imports.tests.reader_support import HEADERS, fixture, read_entry, rewrite_zip, row, xlsx

READERS = [read_historical_workbook, read_icd_workbook]
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def edge():
    return fixture("Abrechnung_DAK_edge_cases.xlsx")


def rejected(data: bytes, reader=read_historical_workbook) -> str:
    with pytest.raises(FileRejected) as info:
        reader(data)
    return info.value.message


def plain_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def central_entry(data: bytes, name: str) -> int:
    """Offset of the central directory record of ``name``."""
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == name.encode():
            return position
        position += 4
    raise LookupError(name)


@pytest.mark.parametrize("reader", READERS)
def test_zip_that_is_not_an_xlsx(reader):
    data = plain_zip({"hello.txt": b"hallo", "word/document.xml": b"<w/>"})
    assert "keine Excel-Arbeitsmappe" in rejected(data, reader)


@pytest.mark.parametrize("reader", READERS)
def test_old_excel_format(reader):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert ".xls" in rejected(data, reader)


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaa">]>',
        '<!DOCTYPE worksheet SYSTEM "file:///etc/passwd">',
        '<?xml version="1.0"?>\n<!doctype worksheet>',
    ],
)
@pytest.mark.parametrize("reader", READERS)
def test_doctype_in_sheet_xml(edge, prolog, reader):
    sheet = read_entry(edge, SHEET).decode()
    data = rewrite_zip(edge, {SHEET: (prolog + sheet).encode()})
    assert "DOCTYPE" in rejected(data, reader)


def test_entity_in_shared_strings(edge):
    data = rewrite_zip(
        edge,
        {
            "xl/sharedStrings.xml": b'<?xml version="1.0"?><!ENTITY x "y"><sst '
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        },
    )
    assert "ENTITY" in rejected(data)


def test_billion_laughs_in_workbook_xml(edge):
    workbook = read_entry(edge, "xl/workbook.xml").decode()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    data = rewrite_zip(edge, {"xl/workbook.xml": (bomb + workbook).encode()})
    assert "DOCTYPE" in rejected(data)


def test_utf16_part_is_refused(edge):
    sheet = read_entry(edge, SHEET).decode()
    prolog = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
    data = rewrite_zip(edge, {SHEET: (prolog + sheet).encode("utf-16")})
    assert "Zeichenkodierung" in rejected(data)


def test_other_declared_encoding_is_refused(edge):
    sheet = read_entry(edge, SHEET).decode()
    data = rewrite_zip(edge, {SHEET: ('<?xml version="1.0" encoding="UTF-7"?>' + sheet).encode()})
    assert "Zeichenkodierung" in rejected(data)


@pytest.mark.parametrize("reader", READERS)
def test_zip_bomb_is_refused_from_the_directory(edge, reader):
    zeros = b"\x00" * (30 * 1024 * 1024)
    data = rewrite_zip(edge, {"xl/media/image1.png": zeros})
    assert len(data) < 100_000
    assert "Zip-Bombe" in rejected(data, reader)


def test_total_uncompressed_size_cap(edge, monkeypatch):
    monkeypatch.setattr(safety, "MAX_TOTAL_UNCOMPRESSED", 10_000)
    assert "entpackt" in rejected(edge)


def test_entry_count_cap(edge, monkeypatch):
    monkeypatch.setattr(safety, "MAX_ENTRIES", 5)
    assert "Teile" in rejected(edge)


def test_many_small_entries():
    entries = {f"xl/media/{i}.bin": b"" for i in range(safety.MAX_ENTRIES + 1)}
    entries["xl/workbook.xml"] = b"<workbook/>"
    assert "Teile" in rejected(plain_zip(entries))


def test_directory_that_lies_about_the_size(edge):
    """Declared small, inflates big: zipfile stops at the declared size, the CRC fails."""
    data = bytearray(rewrite_zip(edge, {"xl/media/big.bin": b"\x00" * 2_000_000}))
    central = central_entry(bytes(data), "xl/media/big.bin")
    struct.pack_into("<I", data, central + 24, 1000)
    local = struct.unpack_from("<I", data, central + 42)[0]
    struct.pack_into("<I", data, local + 22, 1000)
    assert "beschädigt" in rejected(bytes(data))


def test_encrypted_entry(edge):
    data = bytearray(edge)
    central = central_entry(edge, SHEET)
    flags = struct.unpack_from("<H", data, central + 8)[0]
    struct.pack_into("<H", data, central + 8, flags | 0x1)
    assert "verschlüsselt" in rejected(bytes(data))


def test_duplicate_entries(edge):
    out = io.BytesIO(edge)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(out, "a") as archive:
            archive.writestr(SHEET, b"<worksheet/>")
    assert "beschädigt" in rejected(out.getvalue())


def test_sparse_sheet_is_refused_before_calamine_builds_the_grid():
    data = xlsx({"2025": [HEADERS]})
    sheet = read_entry(data, SHEET).decode()
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    data = rewrite_zip(data, {SHEET: sheet.replace("</sheetData>", far + "</sheetData>")})
    assert "zu groß" in rejected(data)


def test_sparse_sheet_without_cell_references():
    data = xlsx({"2025": [HEADERS]})
    sheet = read_entry(data, SHEET).decode()
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * 30
    far = f'<row r="900000">{cells}</row>'
    data = rewrite_zip(data, {SHEET: sheet.replace("</sheetData>", far + "</sheetData>")})
    assert "zu groß" in rejected(data)


def test_cells_without_references_are_placed_like_calamine_does():
    headers = ["KW", "Datum", "Fallgruppe", "Nachname", "Vorname"]

    def cell(text):
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    header = "<row>" + "".join(cell(h) for h in headers) + "</row>"
    data_row = (
        "<row>" + cell("4") + "<c/>" + cell("onko") + cell("Ohne") + '<c><f>"V"&amp;1</f></c></row>'
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{header}{data_row}</sheetData></worksheet>"
    )
    data = rewrite_zip(xlsx({"2025": [["x"]]}), {SHEET: sheet.encode()})
    [r] = read_historical_workbook(data).rows
    assert r.values["nachname"] == "Ohne"
    assert r.values["vorname"] == '="V"&1'
    assert r.values["kw"] == 4


def test_formula_scan_finds_formula_text():
    data = xlsx({"2025": [HEADERS, row(KW=4, Nachname="=A1", Fallgruppe="onko")]})
    package = safety.check_xlsx(data, max_bytes=10**6)
    assert package.formulas("2025") == {(1, 3): "=A1"}


def test_regular_sheets_skip_the_exact_scan():
    data = xlsx({"2025": [HEADERS, row(KW=4, Nachname="A", Fallgruppe="onko")]})
    assert safety.check_xlsx(data, max_bytes=10**6).scans == {}


def with_far_row(ref_row: int, column: str) -> bytes:
    data = xlsx({"2025": [HEADERS]})
    sheet = read_entry(data, SHEET).decode()
    far = f'<row r="{ref_row}"><c r="{column}{ref_row}" t="inlineStr"><is><t>x</t></is></c></row>'
    return rewrite_zip(data, {SHEET: sheet.replace("</sheetData>", far + "</sheetData>")})


@pytest.mark.parametrize(("ref_row", "column"), [(49_999, "CZ"), (199_999, "AX"), (150_000, "A")])
def test_tall_or_wide_regular_sheets_skip_the_exact_scan(ref_row, column):
    # Both shapes stay under the cell cap (49,999 x 104 and 199,999 x 50), so the byte scan
    # suffices: the Excel sync's one-year export of ~150,000 rows is not parsed twice.
    assert safety.check_xlsx(with_far_row(ref_row, column), max_bytes=10**6).scans == {}


@pytest.mark.parametrize(
    ("ref_row", "column", "too_big"),
    [
        (150_000, "AY", False),
        (50_000, "CZ", False),
        (200_000, "A", False),
        (250_000, "AX", True),
        (100_000, "DA", True),
    ],
)
def test_sheets_outside_both_shapes_get_the_exact_count(ref_row, column, too_big):
    data = with_far_row(ref_row, column)
    if too_big:
        assert "zu groß" in rejected(data)
    else:
        scans = safety.check_xlsx(data, max_bytes=10**6).scans
        assert scans[SHEET].max_row == ref_row - 1


def test_truncated_zip(edge):
    assert rejected(edge[: len(edge) // 2])


def test_deflate_stream_damage(edge):
    archive = zipfile.ZipFile(io.BytesIO(edge))
    info = archive.getinfo(SHEET)
    data = bytearray(edge)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 40):
        data[i] ^= 0x5A
    assert rejected(bytes(data))
