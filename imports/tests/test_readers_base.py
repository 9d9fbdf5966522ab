import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.rules import RuleError
from imports.readers.base import (
    FileRejected,
    ParsedRow,
    Problem,
    ReadResult,
    check_size,
    normalize_header,
    parse_betrag,
    parse_bool,
    parse_gutachten_typ,
    parse_kw,
    parse_therapieaenderung,
)


@pytest.mark.parametrize(
    "text",
    ["Gutachten-Typ", "gutachten typ", "GUTACHTEN_TYP", "  Gutachten . typ ", "gutachten--typ"],
)
def test_header_variants_match(text):
    assert normalize_header(text) == normalize_header("Gutachten-Typ") == "gutachten typ"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Therapieänderung", "Therapieaenderung"),
        ("Übertherapie", "UEBERTHERAPIE"),
        ("Straße", "STRASSE"),
        ("Fall-ID", "fall_id"),
        ("E-Mail", "e.mail"),
        ("\ufeffName", "name"),
    ],
)
def test_header_folds_umlauts_and_separators(a, b):
    assert normalize_header(a) == normalize_header(b)


def test_header_keeps_words_apart():
    assert normalize_header("Unterlagen") != normalize_header("Unterlagen angefordert")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ja", True), ("J", True), ("x", True), ("X", True), ("1", True), ("TRUE", True),
        (True, True), (1, True), (1.0, True), (" ja ", True), ("Nein", False), ("N", False),
        ("0", False), ("FALSE", False), (False, False), (0.0, False), ("", False), (None, False),
    ],
)  # fmt: skip
def test_parse_bool_known_spellings(value, expected):
    assert parse_bool(value) == (expected, None)


@pytest.mark.parametrize("value", ["vielleicht", "2", 2.0, "ja nein"])
def test_parse_bool_unknown_is_false_with_warning(value):
    flag, warning = parse_bool(value)
    assert flag is False
    assert "Nein" in warning


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bestätigung", "Bestätigung"),
        ("Bestaetigung", "Bestätigung"),
        ("B", "Bestätigung"),
        ("alternative", "Alternative"),
        ("A", "Alternative"),
        ("", None),
    ],
)
def test_parse_gutachten_typ(value, expected):
    assert parse_gutachten_typ(value) == (expected, None)


def test_parse_gutachten_typ_unknown():
    value, warning = parse_gutachten_typ("Zweitmeinung")
    assert value is None
    assert "Gutachten-Typ" in warning


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Ja", "Ja"), ("nein", "Nein"), ("", None), ("x", "Ja"), (True, "Ja"), (0, "Nein")],
)
def test_parse_therapieaenderung(value, expected):
    assert parse_therapieaenderung(value) == (expected, None)


def test_parse_therapieaenderung_unknown():
    assert parse_therapieaenderung("teilweise")[0] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.234,56 €", Decimal("1234.56")),
        ("1234,5", Decimal("1234.50")),
        ("1.234", Decimal("1234.00")),
        ("12.50", Decimal("12.50")),
        ("1,234.56", Decimal("1234.56")),
        ("EUR 99", Decimal("99.00")),
        ("-12,345", Decimal("-12.35")),
        (1234.56, Decimal("1234.56")),
        (0.1, Decimal("0.10")),
        (500, Decimal("500.00")),
        ("", None),
        (None, None),
    ],
)
def test_parse_betrag(value, expected):
    result = parse_betrag(value)
    assert result == expected
    if result is not None:
        assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value", ["abc", "1,2,3x", "NaN", "Infinity", "1E+999999", 1e12, True, "1.2.3,4,5"]
)
def test_parse_betrag_unreadable(value):
    with pytest.raises(RuleError):
        parse_betrag(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4, 4), (2.0, 2), ("4", 4), (" 04 ", 4), ("KW 7", 7), ("53", 53), ("", None), (None, None)],
)
def test_parse_kw(value, expected):
    assert parse_kw(value) == expected


@pytest.mark.parametrize("value", [0, 54, 2.5, "vier", "4a", True, float("nan")])
def test_parse_kw_invalid(value):
    with pytest.raises(RuleError):
        parse_kw(value)


def test_check_size():
    check_size(b"x" * 10, 10)
    with pytest.raises(FileRejected, match="zu groß"):
        check_size(b"x" * 11, 10)
    with pytest.raises(FileRejected, match="leer"):
        check_size(b"", 10)


def test_oversize_message_names_the_limit():
    with pytest.raises(FileRejected) as info:
        check_size(b"x" * (21 * 1024 * 1024), 20 * 1024 * 1024)
    assert "20 MB" in info.value.message


def test_result_types():
    row = ParsedRow(row_number=2, sheet=None, values={})
    assert row.ok
    row.warn("Spalte", "v", "Hinweis")
    assert row.ok
    row.error("Spalte", "v", "Fehler")
    assert not row.ok
    assert row.errors == [Problem(2, "Spalte", "v", "Fehler", "error")]
    result = ReadResult(rows=[row], notices=[], rows_read=1)
    assert result.error_rows == [row]
    assert result.ok_rows == []


@given(st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none()))
def test_value_parsers_never_crash(value):
    parse_bool(value)
    parse_gutachten_typ(value)
    parse_therapieaenderung(value)
    for parser in (parse_betrag, parse_kw):
        with contextlib.suppress(RuleError):
            parser(value)
    normalize_header(value)
