import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.readers.base import FileRejected
from imports.readers.crm import read_crm_csv
from imports.tests.reader_support import fixture, xlsx

TODAY = dt.date(2026, 2, 10)
HEADER = "Name,Thema,Erstellungsdatum,Modul,Hauptkontakt,Bearbeiter\n"


def read(text: str | bytes, **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_crm_csv(data, today=TODAY, **kwargs)


def by_ticket(result):
    return {row.values["crm_ticket_id"]: row for row in result.rows}


# --- crm_edge_cases.csv (data/README.md) ----------------------------------------------------


@pytest.fixture(params=["crm_edge_cases.csv", "crm_edge_cases_win.csv"])
def edge(request):
    return read(fixture(request.param))


def test_edge_rows_and_row_numbers(edge):
    # The multi-line Thema of T-9008 is one record; the blank record 11 is skipped.
    assert [r.row_number for r in edge.rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert edge.rows_read == 10
    ok = [r.values["crm_ticket_id"] for r in edge.rows if r.ok]
    assert ok == ["T-9001", "T-9002", "T-9003", "T-9004", "T-9008", "T-9001", "T-9009"]


def test_edge_plan_example(edge):
    row = edge.rows[0]
    assert row.values == {
        "nachname": "Tonn",
        "vorname": "Regina",
        "geburtsdatum": dt.date(1960, 4, 28),
        "kvnr": "D410126355",
        "datum": dt.date(2026, 2, 2),
        "jahr": 2026,
        "kw": 6,
        "fallgruppe": "onko",
        "crm_ticket_id": "T-9001",
        "thema": "Zweitmeinung vor Mastektomie",
        "bearbeiter": "S. Adam",
    }
    assert row.warnings == []


def test_edge_duplicate_row_is_returned_as_is(edge):
    first, again = edge.rows[0], edge.rows[8]
    assert again.row_number == 10
    assert again.ok and again.values == first.values


def test_edge_values(edge):
    rows = by_ticket(edge)
    assert rows["T-9002"].values["kvnr"] is None
    assert rows["T-9002"].values["thema"] == "Bypass, ja oder nein?"
    assert rows["T-9002"].values["geburtsdatum"] == dt.date(2016, 2, 5)
    assert rows["T-9003"].values["geburtsdatum"] is None
    assert rows["T-9003"].values["kvnr"] == "X123"
    assert rows["T-9004"].values["fallgruppe"] == "onko"
    assert rows["T-9004"].values["datum"] == dt.date(2026, 2, 4)
    assert rows["T-9004"].values["geburtsdatum"] == dt.date(1971, 3, 1)
    assert rows["T-9004"].values["nachname"] == "Özdemir"
    assert rows["T-9008"].values["fallgruppe"] == "galle"
    assert rows["T-9008"].values["geburtsdatum"] == dt.date(1948, 12, 12)
    assert rows["T-9008"].values["kvnr"] == "D410126356"
    assert rows["T-9008"].values["thema"] == 'Mehrzeilig\n"zitiert"'
    assert rows["T-9009"].values["geburtsdatum"] is None


def test_edge_errors(edge):
    errors = {r.values["crm_ticket_id"]: r.errors for r in edge.rows if not r.ok}
    assert set(errors) == {"T-9005", "T-9006", "T-9007"}
    assert all(len(e) == 1 and e[0].level == "error" for e in errors.values())
    modul = errors["T-9005"][0]
    assert (modul.row, modul.column, modul.value) == (6, "Modul", "Zweitmeinung Orthopädie")
    assert "Zweitmeinung Orthopädie" in modul.message
    assert "Fallgruppe" in modul.message
    name = errors["T-9006"][0]
    assert (name.row, name.column) == (7, "Hauptkontakt")
    assert "Nachname fehlt" in name.message
    datum = errors["T-9007"][0]
    assert (datum.row, datum.column) == (8, "Erstellungsdatum")
    assert datum.message == "Erstellungsdatum fehlt."


def test_edge_warnings(edge):
    warnings = [(w.row, w.value, w.level) for r in edge.rows for w in r.warnings]
    assert warnings == [
        (4, "29.08.0196", "warning"),
        (4, "X123", "warning"),
        (9, "D410126356", "warning"),
        (12, "30.02.1980", "warning"),
    ]
    messages = [w.message for r in edge.rows for w in r.warnings]
    assert "Geburtsdatum" in messages[0] and "leer" in messages[0]
    assert "KVNR" in messages[1] and "übernommen" in messages[1]
    assert "KVNR" in messages[2]
    assert "Geburtsdatum" in messages[3]


def test_edge_unknown_column_notice(edge):
    assert len(edge.notices) == 1
    assert edge.notices[0].level == "notice"
    assert "Kanal intern" in edge.notices[0].message


def test_win_variant_gives_identical_values():
    utf8 = read(fixture("crm_edge_cases.csv"))
    win = read(fixture("crm_edge_cases_win.csv"))
    assert [r.values for r in utf8.rows] == [r.values for r in win.rows]
    assert [(r.row_number, r.errors, r.warnings) for r in utf8.rows] == [
        (r.row_number, r.errors, r.warnings) for r in win.rows
    ]


# --- crm_2026_KW06 ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crm_2026_KW06.csv", "crm_2026_KW06_win.csv"])
def test_weekly_export(name):
    result = read(fixture(name))
    assert result.rows_read == 6
    assert result.notices == []
    assert all(r.ok for r in result.rows)
    assert all(r.values["jahr"] == 2026 and r.values["kw"] == 6 for r in result.rows)
    # Only invalid KVNRs may warn; these are all valid or empty.
    assert [w for r in result.rows for w in r.warnings] == []
    assert by_ticket(result)["T-11744"].values["vorname"] == "Zoé"
    assert by_ticket(result)["T-11744"].values["kvnr"] is None


def test_weekly_export_variants_agree_except_time():
    utf8 = read(fixture("crm_2026_KW06.csv"))
    win = read(fixture("crm_2026_KW06_win.csv"))
    assert [r.values for r in utf8.rows] == [r.values for r in win.rows]


# --- details ----------------------------------------------------------------------------


def test_semicolon_and_any_column_order():
    text = (
        "Hauptkontakt;Modul;erstellungsdatum\n"
        "Müller | Max | 01.02.1970 | D410126355;Zweitmeinung Kardiologie;01.01.2024\n"
    )
    [row] = read(text).rows
    assert row.ok
    assert row.values["nachname"] == "Müller"
    assert row.values["fallgruppe"] == "kardio"
    assert (row.values["jahr"], row.values["kw"]) == (2024, 1)
    assert row.values["crm_ticket_id"] is None
    assert row.values["thema"] == ""


def test_comma_inside_quotes_does_not_decide_delimiter():
    text = (
        '"Hauptkontakt, Person";Modul;Erstellungsdatum;Hauptkontakt\n'
        "x;Zweitmeinung Onkologie;02.02.26;Tonn | Regina\n"
    )
    [row] = read(text).rows
    assert row.values["fallgruppe"] == "onko"


def test_header_matching_rule():
    text = " HAUPTKONTAKT ,ERSTELLUNGSDATUM,modul \nTonn,02.02.26,Zweitmeinung Onkologie\n"
    [row] = read(text).rows
    assert row.ok


def test_row_numbers_follow_records_and_blank_lines():
    text = (
        HEADER + "\n"
        'T-1,"eins\nzwei\ndrei",02.02.26,Zweitmeinung Onkologie,A | B,\n'
        ",,,,,\n"
        "\n"
        "T-2,,02.02.26,Zweitmeinung Intensiv,,\n"
    )
    result = read(text)
    assert [(r.row_number, r.values["crm_ticket_id"]) for r in result.rows] == [
        (3, "T-1"),
        (6, "T-2"),
    ]
    assert result.rows[1].errors[0].row == 6


def test_crlf_inside_quotes_is_one_line_break():
    text = HEADER + 'T-1,"a\r\nb",02.02.26,Zweitmeinung Onkologie,A,\r\n'
    assert read(text).rows[0].values["thema"] == "a\nb"


def test_trailing_parts_may_be_missing():
    text = HEADER + "T-1,,02.02.26,Zweitmeinung Onkologie,Nur Nachname,\n"
    [row] = read(text).rows
    assert row.ok and row.warnings == []
    assert row.values["vorname"] == ""
    assert row.values["geburtsdatum"] is None and row.values["kvnr"] is None


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("02.02.26, 08:50", dt.date(2026, 2, 2)),
        ("04.02.2026 10:15", dt.date(2026, 2, 4)),
        ("31.12.2024", dt.date(2024, 12, 31)),
    ],
)
def test_erstellungsdatum_forms(stamp, expected):
    text = HEADER + f'T-1,,"{stamp}",Zweitmeinung Onkologie,A,\n'
    [row] = read(text).rows
    assert row.values["datum"] == expected


def test_iso_week_of_datum():
    text = HEADER + "T-1,,31.12.2024,Zweitmeinung Onkologie,A,\n"
    [row] = read(text).rows
    assert (row.values["jahr"], row.values["kw"]) == (2025, 1)


@pytest.mark.parametrize("stamp", ["31.02.26", "morgen", "01.01.1999"])
def test_bad_erstellungsdatum_is_a_row_error(stamp):
    text = HEADER + f"T-1,,{stamp},Zweitmeinung Onkologie,A,\n"
    [row] = read(text).rows
    assert not row.ok
    assert row.errors[0].column == "Erstellungsdatum"


def test_future_birth_date_is_a_warning():
    text = HEADER + "T-1,,02.02.26,Zweitmeinung Onkologie,A | B | 01.01.2030,\n"
    [row] = read(text).rows
    assert row.ok and row.values["geburtsdatum"] is None
    assert "Zukunft" in row.warnings[0].message


def test_two_digit_birth_year_uses_today():
    text = HEADER + "T-1,,02.02.26,Zweitmeinung Onkologie,A | B | 01.01.26,\n"
    [row] = read(text).rows
    assert row.values["geburtsdatum"] == dt.date(2026, 1, 1)
    early = read_crm_csv(text.encode(), today=dt.date(2025, 6, 1)).rows[0]
    assert early.values["geburtsdatum"] == dt.date(1926, 1, 1)


def test_modul_case_insensitive_and_begutachtung():
    text = (
        HEADER + "T-1,,02.02.26,ZWEITMEINUNG SCHILDDRÜSE,A,\n"
        "T-2,,02.02.26,Begutachtung kardiologisch,A,\n"
        "T-3,,02.02.26,,A,\n"
    )
    rows = read(text).rows
    assert [r.values["fallgruppe"] for r in rows] == ["sd", "kardio", None]
    assert rows[2].errors[0].message == "Modul fehlt."


def test_long_texts_are_cut_with_warning():
    text = HEADER + f"T-1,{'x' * 300},02.02.26,Zweitmeinung Onkologie,A,\n"
    [row] = read(text).rows
    assert row.ok
    assert len(row.values["thema"]) == 255
    assert "gekürzt" in row.warnings[0].message


def test_duplicate_and_empty_headers():
    text = "Hauptkontakt,Modul,Erstellungsdatum,Modul,\nA,Zweitmeinung Onkologie,02.02.26,x,\n"
    result = read(text)
    assert result.rows[0].values["fallgruppe"] == "onko"
    assert any("Doppelte" in n.message for n in result.notices)


def test_header_only_gives_empty_result_with_notice():
    result = read(HEADER)
    assert result.rows == [] and result.rows_read == 0
    assert "keine Datensätze" in result.notices[0].message


# --- files that are refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "leer"),
        (b"\n\n  \n", "leer"),
        (b"\xef\xbb\xbf", "leer"),
        (b"\x00\x01\x02binary\x00", "Binärdaten"),
        (bytes(range(256)) * 4, "Binärdaten"),
        (b"Name,Thema\nT-1,x\n", "Hauptkontakt"),
        (b"Hauptkontakt,Modul\nA,B\n", "„Erstellungsdatum“ fehlt"),
        (b"foo\x81\x8d\x8f", "Zeichenkodierung"),
    ],
)
def test_refused_files(data, fragment):
    with pytest.raises(FileRejected) as info:
        read_crm_csv(data)
    assert fragment in info.value.message


def test_missing_columns_are_all_named():
    with pytest.raises(FileRejected) as info:
        read("Name,Thema\nT-1,x\n")
    for name in ("Hauptkontakt", "Erstellungsdatum", "Modul"):
        assert name in info.value.message


def test_oversize_is_refused_before_reading():
    data = fixture("crm_edge_cases.csv")
    with pytest.raises(FileRejected, match="zu groß"):
        read_crm_csv(data, max_bytes=len(data) - 1)


def test_double_encoded_file_is_refused():
    text = fixture("crm_edge_cases.csv").decode("utf-8-sig")
    double = text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    assert "Ã¼".encode() in double
    with pytest.raises(FileRejected) as info:
        read_crm_csv(double)
    assert "doppelt kodiert" in info.value.message


@pytest.mark.parametrize("word", ["Ã–zdemir", "JÃ¼rgen", "MÃ¤rz", "StraÃŸe", "Anfrage â€“ neu"])
def test_mojibake_forms_are_recognised(word):
    text = HEADER + f"T-1,{word},02.02.26,Zweitmeinung Onkologie,A,\n"
    with pytest.raises(FileRejected, match="doppelt kodiert"):
        read(text)


def test_xlsx_is_refused_by_the_csv_reader():
    data = xlsx({"Tabelle1": [["Hauptkontakt", "Modul", "Erstellungsdatum"]]})
    with pytest.raises(FileRejected) as info:
        read_crm_csv(data)
    assert "Excel" in info.value.message


def test_unclosed_quote_is_refused():
    text = HEADER + 'T-1,"offen,02.02.26,Zweitmeinung Onkologie,A,\n' + "x" * 2_000_000
    with pytest.raises(FileRejected):
        read(text)


# --- robustness -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_only_ever_raise_file_rejected(data):
    with contextlib.suppress(FileRejected):
        read_crm_csv(data, today=TODAY)


_field = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_field, min_size=0, max_size=8), max_size=8), st.sampled_from(",;"))
def test_random_records_under_a_valid_header(records, delimiter):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["Name", "Thema", "Erstellungsdatum", "Modul", "Hauptkontakt"])
    writer.writerows(records)
    try:
        result = read_crm_csv(out.getvalue().encode("utf-8"), today=TODAY)
    except FileRejected:
        return
    for row in result.rows:
        assert row.ok == (not row.errors)
        assert row.values["datum"] is None or isinstance(row.values["datum"], dt.date)
