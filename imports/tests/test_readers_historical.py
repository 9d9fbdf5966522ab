import contextlib
import datetime as dt
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.readers.base import FileRejected
from imports.readers.historical import read_historical_workbook
from imports.tests.reader_support import (
    FIXTURES,
    HEADERS,
    fixture,
    read_entry,
    rewrite_zip,
    row,
    xlsx,
    year_sheet,
)

TODAY = dt.date(2026, 2, 10)
RANGE_HEADERS = [HEADERS[0], "Jahr", *HEADERS[1:]]


def read(data: bytes, **kwargs):
    return read_historical_workbook(data, today=TODAY, **kwargs)


def one_row(*cells_rows, sheet="2025", headers=HEADERS):
    result = read(xlsx({sheet: year_sheet(*cells_rows, headers=headers)}))
    [sheet_result] = result.sheets
    return sheet_result.rows


def base(**cells):
    defaults = {"KW": 4, "Datum": dt.date(2025, 1, 20), "Fallgruppe": "onko", "Nachname": "A"}
    defaults.update(cells)
    return row(**defaults)


# --- Abrechnung_DAK_edge_cases.xlsx (data/README.md) ----------------------------------------


@pytest.fixture(scope="module")
def edge():
    return read(fixture("Abrechnung_DAK_edge_cases.xlsx"))


def rows_by_name(result):
    return {r.values["nachname"]: r for r in result.rows}


def test_edge_sheets_and_counts(edge):
    assert [(s.name, s.rows_read) for s in edge.sheets] == [("2025", 6), ("2020-2022", 2)]
    assert edge.rows_read == 8
    assert all(r.ok for r in edge.rows)
    assert [r.row_number for r in edge.sheets[0].rows] == [2, 3, 4, 5, 6, 7]
    assert [n.message for n in edge.notices] == [
        "Blatt „Tabelle1“ wird ignoriert (kein Jahresblatt)."
    ]


def test_edge_exactly_the_listed_warnings(edge):
    warnings = {(w.sheet, w.row, w.column) for r in edge.rows for w in r.warnings}
    assert warnings == {
        ("2025", 3, "Geburtsdatum"),  # Daum 29.08.0196
        ("2025", 4, "Datum"),  # OhneDatum: Monday of KW 4
        ("2025", 5, "KW"),  # Widerspruch: KW 9 vs. Datum in KW 4
        ("2025", 5, "Unterlagen"),  # vielleicht
        ("2025", 5, "ICD"),  # XYZ
        ("2025", 6, "Vorname"),  # formula
    }
    assert sum(len(r.warnings) for r in edge.rows) == 6


def test_edge_tonn(edge):
    v = rows_by_name(edge)["Tonn"].values
    assert v["icd"] == "C50.1, C79.5"
    assert v["gutachten"] is True and v["gutachten_typ"] == "Bestätigung"
    assert v["therapieaenderung"] == "Nein"
    assert v["geburtsdatum"] == dt.date(1960, 4, 28)
    assert v["kvnr"] == "D410126355"
    assert (v["datum"], v["jahr"], v["kw"]) == (dt.date(2025, 1, 7), 2025, 2)


def test_edge_daum(edge):
    r = rows_by_name(edge)["Daum"]
    assert r.values["geburtsdatum"] is None
    assert r.values["gutachten_typ"] == "Alternative"
    assert r.values["therapieaenderung"] == "Ja"
    assert r.values["ta_unterversorgung"] is True
    assert r.values["ta_diagnosekorrektur"] is False
    assert r.values["fallgruppe"] == "kardio"
    assert r.values["datum"] == dt.date(2025, 1, 14)


def test_edge_ohne_datum(edge):
    r = rows_by_name(edge)["OhneDatum"]
    assert (r.values["datum"], r.values["jahr"], r.values["kw"]) == (dt.date(2025, 1, 20), 2025, 4)
    assert "Montag" in r.warnings[0].message


def test_edge_widerspruch(edge):
    r = rows_by_name(edge)["Widerspruch"]
    assert (r.values["datum"], r.values["kw"]) == (dt.date(2025, 1, 20), 4)
    assert r.values["unterlagen"] is False
    assert r.values["icd"] is None
    by_column = {w.column: w for w in r.warnings}
    assert "KW 9" in by_column["KW"].message and "KW 4" in by_column["KW"].message
    assert by_column["Unterlagen"].value == "vielleicht"
    assert "XYZ" in by_column["ICD"].message


def test_edge_formel(edge):
    r = rows_by_name(edge)["Formel"]
    assert r.values["vorname"] == '=HYPERLINK("http://x")'
    assert r.values["bemerkung"] == "@SUM(A1:A2)"
    assert r.values["betrag"] == Decimal("1234.56")
    assert r.values["fallgruppe"] == "intensiv"
    assert r.values["abgerechnet"] is True
    assert r.values["abrechnungsdatum"] == dt.date(2025, 3, 1)
    [warning] = r.warnings
    assert warning.column == "Vorname" and "Formel" in warning.message


def test_edge_beides(edge):
    r = rows_by_name(edge)["Beides"]
    assert r.values["ablehnung"] is True and r.values["abbruch"] is True
    assert r.warnings == []


def test_edge_range_sheet(edge):
    rows = rows_by_name(edge)
    jw = rows["Jahreswechsel"].values
    assert (jw["datum"], jw["jahr"], jw["kw"]) == (dt.date(2021, 1, 2), 2020, 53)
    nj = rows["Neujahr"].values
    assert (nj["datum"], nj["jahr"], nj["kw"]) == (dt.date(2022, 1, 4), 2022, 1)
    assert nj["geburtsdatum"] == dt.date(1955, 5, 5)
    assert "_jahr" not in nj and "jahr" in nj


def test_edge_value_types(edge):
    v = rows_by_name(edge)["Tonn"].values
    assert set(v) == set(_FIELDS) | {"jahr"}
    assert isinstance(v["unterlagen"], bool)
    assert v["geschlecht"] == "" and v["kontaktkanal"] == ""
    assert v["crm_ticket_id"] is None and v["betrag"] is None
    assert v["thema"] == ""


_FIELDS = [
    "kw", "datum", "fallgruppe", "nachname", "vorname", "geburtsdatum", "kvnr", "geschlecht",
    "telefon", "email", "crm_ticket_id", "thema", "bearbeiter", "kontaktkanal",
    "kurzbeschreibung", "fragestellung", "behandelnde_klinik", "unterlagen",
    "unterlagen_angefordert_am", "unterlagen_eingang_am", "ablehnung", "ablehnungsgrund",
    "abbruch", "abbruchgrund", "abbruch_am", "gutachten", "gutachter", "gutachten_am",
    "gutachten_typ", "therapieaenderung", "ta_diagnosekorrektur", "ta_unterversorgung",
    "ta_uebertherapie", "icd", "abgerechnet", "abrechnungsdatum", "rechnungsnummer", "betrag",
    "bemerkung",
]  # fmt: skip


def test_only_one_sheet(edge):
    data = fixture("Abrechnung_DAK_edge_cases.xlsx")
    result = read(data, sheet="2020-2022")
    assert [s.name for s in result.sheets] == ["2020-2022"]
    assert result.notices == []
    with pytest.raises(FileRejected, match="kein Blatt"):
        read(data, sheet="2019")
    with pytest.raises(FileRejected, match="kein Jahresblatt"):
        read(data, sheet="Tabelle1")


# --- the sample workbook --------------------------------------------------------------------

SAMPLE = FIXTURES / "Abrechnung_DAK_sample.xlsx"


def test_sample_workbook_reads_without_errors():
    started = time.perf_counter()
    result = read(SAMPLE.read_bytes())
    elapsed = time.perf_counter() - started
    assert result.rows_read == 1742
    assert [(s.name, s.rows_read) for s in result.sheets] == [
        ("2026", 34),
        ("2025", 296),
        ("2024", 269),
        ("2023", 286),
        ("2020-2022", 857),
    ]
    assert [p for r in result.rows for p in r.errors] == []
    assert [n.sheet for n in result.notices] == ["Tabelle1"]
    assert all(isinstance(r.values["datum"], dt.date) for r in result.rows)
    assert all(1 <= r.values["kw"] <= 53 for r in result.rows)
    assert elapsed < 10


# --- single rules ---------------------------------------------------------------------------


def test_header_variants_and_any_order():
    headers = ["gutachten typ", "NACHNAME", "fallgruppe", "datum", "Gutachten", "THERAPIEAENDERUNG"]
    [r] = one_row(
        row(headers, gutachten_typ="b", NACHNAME="A", fallgruppe="Onkologie",
            datum="20.01.2025", Gutachten="x", THERAPIEAENDERUNG="nein"),
        headers=headers,
    )  # fmt: skip
    assert r.ok
    assert r.values["gutachten_typ"] == "Bestätigung"
    assert r.values["therapieaenderung"] == "Nein"
    assert r.values["fallgruppe"] == "onko"
    # Columns the sheet lacks are not in the values: they say nothing.
    assert "unterlagen" not in r.values and "icd" not in r.values


def test_kw_that_the_year_does_not_have():
    [r] = one_row(row(KW=53, Fallgruppe="onko", Nachname="A"))
    assert not r.ok
    assert (r.errors[0].column, r.errors[0].value) == ("KW", "53")
    assert "53" in r.errors[0].message


def test_kw_53_of_a_year_that_has_it():
    [r] = one_row(row(KW=53, Fallgruppe="onko", Nachname="A"), sheet="2026")
    assert r.ok and r.values["datum"] == dt.date(2026, 12, 28)


def test_neither_datum_nor_kw():
    [r] = one_row(row(Fallgruppe="onko", Nachname="A"))
    assert not r.ok and "Weder Datum noch KW" in r.errors[0].message


def test_empty_nachname_with_kw_is_an_error():
    [r] = one_row(base(Nachname=None))
    assert not r.ok and r.errors[0].column == "Nachname"


def test_unreadable_kw_with_datum_is_a_warning():
    [r] = one_row(base(KW="vier"))
    assert r.ok and r.values["kw"] == 4
    assert r.warnings[0].column == "KW"


def test_unreadable_datum_is_an_error():
    [r] = one_row(base(Datum="31.02.2025"))
    assert not r.ok and r.errors[0].column == "Datum"


def test_unknown_fallgruppe_is_an_error():
    [r] = one_row(base(Fallgruppe="Orthopädie"))
    assert not r.ok and r.errors[0].column == "Fallgruppe"


def test_datum_of_another_iso_year_sets_jahr():
    # 29.12.2025 in sheet 2026 is 2026-KW01 (formats.md §2).
    [r] = one_row(row(KW=1, Datum="29.12.2025", Fallgruppe="onko", Nachname="A"), sheet="2026")
    assert r.ok and r.warnings == []
    assert (r.values["jahr"], r.values["kw"]) == (2026, 1)


def test_excel_serial_and_text_dates():
    [r] = one_row(
        base(Datum=45677, Geburtsdatum=22034.0, Gutachten_am="3.2.25", Abbruch_am="kaputt")
    )
    assert r.values["datum"] == dt.date(2025, 1, 20)
    assert r.values["geburtsdatum"] == dt.date(1960, 4, 28)
    assert r.values["gutachten_am"] == dt.date(2025, 2, 3)
    assert r.values["abbruch_am"] is None
    assert [w.column for w in r.warnings] == ["Abbruch am"]


def test_coding_without_gutachten_is_dropped():
    [r] = one_row(
        base(Gutachten="Nein", Gutachten_Typ="Alternative", Therapieänderung="Ja",
             Übertherapie="x")
    )  # fmt: skip
    assert r.ok
    assert r.values["gutachten_typ"] is None
    assert r.values["therapieaenderung"] is None
    assert r.values["ta_uebertherapie"] is False
    assert {w.column for w in r.warnings} == {"Gutachten-Typ", "Therapieänderung", "Übertherapie"}


def test_ta_flags_without_ta_ja_become_false():
    [r] = one_row(
        base(Gutachten="Ja", Therapieänderung="Nein", Diagnosekorrektur="Ja", Unterversorgung=1)
    )
    assert r.values["ta_diagnosekorrektur"] is False
    assert r.values["ta_unterversorgung"] is False
    [warning] = r.warnings
    assert warning.column == "Diagnosekorrektur, Unterversorgung"


def test_ta_ja_without_any_flag_warns():
    [r] = one_row(base(Gutachten="Ja", Therapieänderung="Ja"))
    assert r.ok and r.values["therapieaenderung"] == "Ja"
    assert "keine Art" in r.warnings[0].message


def test_booleans_and_real_bool_cells():
    [r] = one_row(base(Unterlagen=True, Ablehnung=False, Abbruch="J", Abgerechnet="TRUE"))
    assert (r.values["unterlagen"], r.values["ablehnung"]) == (True, False)
    assert (r.values["abbruch"], r.values["abgerechnet"]) == (True, True)


def test_numbers_and_choices():
    [r] = one_row(
        base(Betrag=99.5, Telefon=4930123456, Rechnungsnummer=2025001, Geschlecht="weiblich",
             Kontaktkanal="E-Mail", CRM_Ticket="T-1", KVNR="d410126355 ")
    )  # fmt: skip
    assert r.values["betrag"] == Decimal("99.50")
    assert r.values["telefon"] == "4930123456"
    assert r.values["rechnungsnummer"] == "2025001"
    assert r.values["geschlecht"] == "w"
    assert r.values["kontaktkanal"] == "email"
    assert r.values["crm_ticket_id"] == "T-1"
    assert r.values["kvnr"] == "D410126355"
    assert r.warnings == []


def test_bad_choices_and_betrag_warn():
    [r] = one_row(base(Geschlecht="?", Kontaktkanal="Fax", Betrag="viel"))
    assert r.ok
    assert (r.values["geschlecht"], r.values["kontaktkanal"], r.values["betrag"]) == ("", "", None)
    assert [w.column for w in r.warnings] == ["Geschlecht", "Kontaktkanal", "Betrag"]


def test_icd_separators_and_marks():
    [r] = one_row(base(ICD="c50.1;C79.5 G\nC50.1"))
    assert r.values["icd"] == "C50.1, C79.5"


def test_skipped_rows():
    rows = one_row(
        base(Nachname="Eins"),
        [None] * len(HEADERS),
        ["   "] + [None] * (len(HEADERS) - 1),
        row(Vorname="nur Vorname", Fallgruppe="onko"),
        row(KW="Gesamt", Nachname=12),
        row(KW="Summe:", Nachname=12),
        base(Nachname="Zwei"),
    )
    assert [(r.row_number, r.values["nachname"]) for r in rows] == [(2, "Eins"), (8, "Zwei")]


def test_range_sheet_uses_jahr_column():
    rows = one_row(
        row(RANGE_HEADERS, KW=10, Jahr=2021.0, Fallgruppe="onko", Nachname="A"),
        row(RANGE_HEADERS, KW=10, Fallgruppe="onko", Nachname="B"),
        row(RANGE_HEADERS, KW=1, Jahr=2022, Datum="04.01.2021", Fallgruppe="onko", Nachname="C"),
        sheet="2020-2022",
        headers=RANGE_HEADERS,
    )
    assert rows[0].values["datum"] == dt.date(2021, 3, 8)
    assert not rows[1].ok and rows[1].errors[0].column == "Jahr"
    # 04.01.2021 is 2021-KW01: KW agrees, Jahr does not; Datum wins.
    assert rows[2].ok and rows[2].values["jahr"] == 2021
    assert [w.column for w in rows[2].warnings] == ["Jahr"]


def test_fall_id_column():
    headers = [*HEADERS, "Fall-ID"]
    [r] = one_row([*base(), "2025-04-onko-A"], headers=headers)
    assert r.values["fall_id"] == "2025-04-onko-A"


def test_long_text_is_cut():
    [r] = one_row(base(Thema="x" * 300, Kurzbeschreibung="y" * 5000))
    assert len(r.values["thema"]) == 255
    assert len(r.values["kurzbeschreibung"]) == 5000
    assert [w.column for w in r.warnings] == ["Thema"]


def test_formulas_any_column_and_shared():
    rows = one_row(
        base(Nachname='=UPPER("a")', Bemerkung="=1+1"),
        base(Nachname="B", Betrag="=SUM(A1:A2)"),
    )
    assert rows[0].values["nachname"] == '=UPPER("a")'
    assert rows[0].values["bemerkung"] == "=1+1"
    assert {w.column for w in rows[0].warnings} == {"Nachname", "Bemerkung"}
    # A formula where a number belongs is unreadable as that number.
    assert rows[1].values["betrag"] is None
    assert {w.column for w in rows[1].warnings} == {"Betrag"}


def test_shared_formula_text_is_translated():
    data = xlsx({"2025": year_sheet(base(Nachname="A"), base(Nachname="B"))})
    sheet_xml = read_entry(data, "xl/worksheets/sheet1.xml").decode()
    # A filled-down formula as Excel writes it: the text on the first cell only.
    sheet_xml = sheet_xml.replace(
        '</row><row r="3"',
        '<c r="AM2"><f t="shared" ref="AM2:AM3" si="0">D2&amp;"!"</f></c></row><row r="3"',
    ).replace("</row></sheetData>", '<c r="AM3"><f t="shared" si="0"/></c></row></sheetData>')
    assert sheet_xml.count('si="0"') == 2
    data = rewrite_zip(data, {"xl/worksheets/sheet1.xml": sheet_xml.encode()})
    rows = read(data).sheets[0].rows
    assert [r.values["bemerkung"] for r in rows] == ['=D2&"!"', '=D3&"!"']


def test_missing_required_columns_reject_the_file():
    headers = [h for h in HEADERS if h not in ("Nachname", "KW", "Datum")]
    with pytest.raises(FileRejected) as info:
        read(xlsx({"2025": [headers]}))
    assert "Nachname" in info.value.message and "KW oder Datum" in info.value.message
    assert "2025" in info.value.message


def test_workbook_without_year_sheet_is_rejected():
    with pytest.raises(FileRejected, match="kein Jahresblatt"):
        read(xlsx({"Tabelle1": [["a"]], "Daten": [["b"]]}))


def test_empty_year_sheet_gives_notice():
    result = read(xlsx({"2027": [], "2025": year_sheet(base())}))
    assert [s.rows_read for s in result.sheets] == [0, 1]
    assert "2027" in result.notices[0].message


def test_unknown_columns_notice_per_sheet():
    headers = [*HEADERS, "Notiz intern"]
    result = read(xlsx({"2025": year_sheet([*base(), "x"], headers=headers)}))
    assert result.notices[0].sheet == "2025"
    assert "Notiz intern" in result.notices[0].message


def test_hidden_header_cell_types():
    # Numbers as headers must not crash the header mapping.
    headers = [*HEADERS, 2025]
    result = read(xlsx({"2025": year_sheet(base(), headers=headers)}))
    assert result.rows_read == 1


def test_a_larger_workbook_is_fast():
    rows = [
        base(Nachname=f"Name{i}", Vorname="V", ICD="C50.1", Unterlagen="Ja", Gutachten="Ja",
             Gutachten_Typ="Alternative", Therapieänderung="Nein", Betrag=10.5,
             Datum=dt.date(2025, 1, 20))
        for i in range(3000)
    ]  # fmt: skip
    data = xlsx({"2025": year_sheet(*rows)})
    started = time.perf_counter()
    result = read(data)
    elapsed = time.perf_counter() - started
    assert result.rows_read == 3000 and all(r.ok for r in result.rows)
    assert elapsed < 5  # measured about 0.4 s


# --- refused files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04 not really a zip", b"\x00" * 100, b"Hauptkontakt;Modul\n"],
)
def test_not_an_xlsx(data):
    with pytest.raises(FileRejected):
        read(data)


def test_csv_passed_to_the_workbook_reader():
    with pytest.raises(FileRejected, match="keine Excel-Arbeitsmappe"):
        read(fixture("crm_edge_cases.csv"))


def test_oversize_workbook():
    data = fixture("Abrechnung_DAK_edge_cases.xlsx")
    with pytest.raises(FileRejected, match="zu groß"):
        read_historical_workbook(data, max_bytes=1000)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.binary(max_size=3000).map(b"PK\x03\x04".__add__)))
def test_random_bytes_only_raise_file_rejected(data):
    with contextlib.suppress(FileRejected):
        read(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7316), st.integers(0, 255)), min_size=1, max_size=6))
def test_damaged_workbook_only_raises_file_rejected(changes):
    data = bytearray(fixture("Abrechnung_DAK_edge_cases.xlsx"))
    for position, value in changes:
        data[position % len(data)] = value
    with contextlib.suppress(FileRejected):
        read(bytes(data))
