"""Tests of the pure domain rules (domain.md §1, §3, §4; formats.md §1). No database."""

import contextlib
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from cases import rules
from cases.rules import RuleError

D = dt.date
TODAY = D(2026, 2, 10)


# --- Fallgruppen ---------------------------------------------------------------------------------


def test_fallgruppen_are_the_five_codes_in_spec_order():
    assert list(rules.FALLGRUPPEN) == ["onko", "kardio", "intensiv", "galle", "sd"]
    assert rules.FALLGRUPPE_CHOICES == [
        ("onko", "Onkologie"),
        ("kardio", "Kardiologie"),
        ("intensiv", "Intensivmedizin"),
        ("galle", "Gallenblase"),
        ("sd", "Schilddrüse"),
    ]
    assert set(rules.MODUL_TEXTS) == set(rules.FALLGRUPPEN)


@pytest.mark.parametrize(
    ("modul", "code"),
    [
        ("Zweitmeinung Onkologie", "onko"),
        ("Zweitmeinung Kardiologie", "kardio"),
        ("Zweitmeinung Intensiv", "intensiv"),
        ("Zweitmeinung Gallenblase", "galle"),
        ("Zweitmeinung Schilddrüse", "sd"),
        ("  Zweitmeinung Onkologie  ", "onko"),
        ("zweitmeinung gallenblase", "galle"),
        ("ZWEITMEINUNG SCHILDDRÜSE", "sd"),
        ("Zweitmeinung   Kardiologie", "kardio"),
        ("Zweitmeinung\tIntensiv", "intensiv"),
        ("Begutachtung Onkologie", "onko"),
        ("Begutachtung kardiologisch", "kardio"),
        ("begutachtung intensivmedizin", "intensiv"),
        ("Begutachtung Galle", "galle"),
        ("Begutachtung Gallenblase", "galle"),
        ("Begutachtung Schilddrüse", "sd"),
        ("BEGUTACHTUNG SCHILDDRUESE", "sd"),
        ("Onko-Begutachtung", "onko"),
    ],
)
def test_a_crm_modul_text_maps_to_its_fallgruppe(modul, code):
    assert rules.fallgruppe_from_modul(modul) == code


@pytest.mark.parametrize(
    "modul",
    [
        None,
        "",
        "   ",
        "Zweitmeinung Orthopädie",
        "Zweitmeinung",
        "Onkologie",
        "onko",
        "Begutachtung",
        "Begutachtung Orthopädie",
        "Begutachtung Onkologie und Kardiologie",
        "Zweitmeinung Onkologie extra",
    ],
)
def test_an_unknown_or_ambiguous_crm_modul_text_is_not_mapped(modul):
    assert rules.fallgruppe_from_modul(modul) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("onko", "onko"),
        ("ONKO", "onko"),
        (" Kardio ", "kardio"),
        ("sd", "sd"),
        ("SD", "sd"),
        ("Onkologie", "onko"),
        ("kardiologie", "kardio"),
        ("INTENSIVMEDIZIN", "intensiv"),
        ("Gallenblase", "galle"),
        ("Schilddrüse", "sd"),
        ("Schilddruese", "sd"),
        ("SCHILDDRÜSE", "sd"),
        ("Zweitmeinung Onkologie", "onko"),
        ("ZWEITMEINUNG INTENSIV", "intensiv"),
        ("zweitmeinung schilddruese", "sd"),
        ("Zweitmeinung Intensivmedizin", "intensiv"),
        ("Begutachtung kardiologisch", "kardio"),
        ("Begutachtung Schilddruese", "sd"),
    ],
)
def test_a_workbook_fallgruppe_may_be_code_label_or_modul_text(text, code):
    assert rules.fallgruppe_from_any(text) == code


@pytest.mark.parametrize("text", [None, "", "Orthopädie", "Zweitmeinung Orthopädie", "onk", "x"])
def test_an_unknown_workbook_fallgruppe_is_not_mapped(text):
    assert rules.fallgruppe_from_any(text) is None


def test_the_crm_rule_does_not_accept_bare_codes_or_labels():
    assert rules.fallgruppe_from_modul("Kardiologie") is None
    assert rules.fallgruppe_from_any("Kardiologie") == "kardio"


# --- Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02.02.26, 08:50", D(2026, 2, 2)),
        ("04.02.2026 10:15", D(2026, 2, 4)),
        ("04.02.2026, 10:15", D(2026, 2, 4)),
        ("04.02.2026 10:15:59", D(2026, 2, 4)),
        ("04.02.2026 10:15 Uhr", D(2026, 2, 4)),
        ("05.02.2016", D(2016, 2, 5)),
        ("1.3.2021", D(2021, 3, 1)),
        ("1.3.21", D(2021, 3, 1)),
        ("01.03.21", D(2021, 3, 1)),
        ("31.12.99", D(2099, 12, 31)),
        ("  31.12.2024  ", D(2024, 12, 31)),
        ("2026-02-02", D(2026, 2, 2)),
        ("2026-02-02 08:50:00", D(2026, 2, 2)),
        ("2026-02-02T08:50:00", D(2026, 2, 2)),
        ("2026-02-02T08:50:00+01:00", D(2026, 2, 2)),
    ],
)
def test_a_case_date_is_read_from_german_crm_and_iso_text(text, expected):
    assert rules.parse_datum(text) == expected


def test_a_two_digit_case_year_is_always_this_century():
    assert rules.parse_datum("12.12.48") == D(2048, 12, 12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2026, 2, 2), D(2026, 2, 2)),
        (dt.datetime(2026, 2, 2, 8, 50), D(2026, 2, 2)),
        (dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), D(2026, 1, 1)),
        (46055, D(2026, 2, 2)),
        (46055.35, D(2026, 2, 2)),
    ],
)
def test_a_case_date_is_read_from_dates_datetimes_and_excel_serials(value, expected):
    assert rules.parse_datum(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  ",
        "gestern",
        "2.2.",
        "02.02.026",
        "02022026",
        "02.02.2608:50",
        "31.02.2024",
        "32.01.2024",
        "00.01.2024",
        "15.13.2024",
        "29.02.2025",
        "29.08.0196",
        "01.01.0000",
        "01.01.2000",
        "31.12.1999",
        "01.06.2101",
        "1999-06-01",
        "2024-02-30",
        True,
        [2026, 2, 2],
        float("nan"),
        60,
        D(1999, 6, 1),
    ],
)
def test_an_unreadable_impossible_or_out_of_range_case_date_is_a_rule_error(value):
    with pytest.raises(RuleError):
        rules.parse_datum(value)


def test_the_case_date_range_follows_the_iso_year_not_the_calendar_year():
    # 01.01.2000 is in 1999-KW52, 01.01.2101 still in 2100-KW52.
    with pytest.raises(RuleError):
        rules.parse_datum("01.01.2000")
    assert rules.parse_datum("03.01.2000") == D(2000, 1, 3)
    assert rules.parse_datum("01.01.2101") == D(2101, 1, 1)


def test_a_date_error_names_the_value_in_german():
    with pytest.raises(RuleError) as info:
        rules.parse_datum("31.02.2024")
    assert "31.02.2024" in info.value.message
    assert "kein gültiges Datum" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_date_error_may_use_the_callers_column_name():
    with pytest.raises(RuleError, match="Erstellungsdatum"):
        rules.parse_datum("quatsch", label="Erstellungsdatum")


def test_a_missing_date_says_so():
    with pytest.raises(RuleError, match="fehlt"):
        rules.parse_datum("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28.04.1960", D(1960, 4, 28)),
        ("05.02.2016", D(2016, 2, 5)),
        ("1.3.1971", D(1971, 3, 1)),
        ("12.12.48", D(1948, 12, 12)),
        ("05.05.55", D(1955, 5, 5)),
        ("05.02.16", D(2016, 2, 5)),
        ("10.02.26", D(2026, 2, 10)),
        ("11.02.26", D(1926, 2, 11)),
        ("29.02.00", D(2000, 2, 29)),
        ("01.01.00", D(2000, 1, 1)),
        ("1960-04-28", D(1960, 4, 28)),
        ("28.04.1960 00:00", D(1960, 4, 28)),
        ("01.01.1900", D(1900, 1, 1)),
    ],
)
def test_a_birth_date_is_read_with_two_digit_years_never_in_the_future(text, expected):
    assert rules.parse_geburtsdatum(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "value",
    [
        "29.08.0196",
        "30.02.1980",
        "31.02.2024",
        "31.12.1899",
        "11.02.2026",
        "01.01.2100",
        "2027-01-01",
        "29.02.01",
        "unbekannt",
        "",
        None,
        D(2030, 1, 1),
        D(1800, 1, 1),
    ],
)
def test_an_impossible_old_or_future_birth_date_is_a_rule_error(value):
    with pytest.raises(RuleError):
        rules.parse_geburtsdatum(value, today=TODAY)


def test_a_birth_date_error_names_the_value():
    with pytest.raises(RuleError, match=r"29\.08\.0196"):
        rules.parse_geburtsdatum("29.08.0196", today=TODAY)
    with pytest.raises(RuleError, match="Zukunft"):
        rules.parse_geburtsdatum("11.02.2026", today=TODAY)


def test_a_birth_date_accepts_date_and_datetime_objects():
    assert rules.parse_geburtsdatum(D(1960, 4, 28), today=TODAY) == D(1960, 4, 28)
    assert rules.parse_geburtsdatum(dt.datetime(1960, 4, 28, 12), today=TODAY) == D(1960, 4, 28)


def test_a_birth_date_defaults_to_today_in_berlin():
    # 23:30 UTC on 31.12.2025 is already 01.01.2026 in Berlin.
    with time_machine.travel(dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert rules.berlin_today() == D(2026, 1, 1)
        assert rules.parse_geburtsdatum("01.01.26") == D(2026, 1, 1)
        assert rules.parse_geburtsdatum("02.01.26") == D(1926, 1, 2)
        with pytest.raises(RuleError):
            rules.parse_geburtsdatum("02.01.2026")


def test_berlin_today_follows_the_berlin_clock():
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))):
        assert rules.berlin_today() == D(2026, 6, 1)


# --- ISO weeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (D(2024, 12, 31), (2025, 1)),
        (D(2021, 1, 3), (2020, 53)),
        (D(2021, 1, 2), (2020, 53)),
        (D(2021, 1, 4), (2021, 1)),
        (D(2026, 2, 2), (2026, 6)),
        (D(2026, 12, 31), (2026, 53)),
        (D(2027, 1, 3), (2026, 53)),
        (D(2025, 12, 29), (2026, 1)),
    ],
)
def test_jahr_and_kw_are_the_iso_week(day, week):
    assert rules.iso_week(day) == week


def test_the_crm_timestamp_example_is_2026_kw06():
    assert rules.iso_week(rules.parse_datum("02.02.26, 08:50")) == (2026, 6)


def test_the_german_date_31_12_2024_is_2025_kw01():
    assert rules.iso_week(rules.parse_datum("31.12.2024")) == (2025, 1)


def test_the_german_date_03_01_2021_is_2020_kw53():
    assert rules.iso_week(rules.parse_datum("03.01.2021")) == (2020, 53)


@pytest.mark.parametrize(
    ("jahr", "weeks"),
    [(2026, 53), (2025, 52), (2020, 53), (2021, 52), (2015, 53), (2024, 52)],
)
def test_an_iso_year_has_52_or_53_weeks(jahr, weeks):
    assert rules.weeks_in_iso_year(jahr) == weeks


@pytest.mark.parametrize(
    ("jahr", "kw", "monday"),
    [
        (2026, 1, D(2025, 12, 29)),
        (2026, 6, D(2026, 2, 2)),
        (2026, 53, D(2026, 12, 28)),
        (2020, 53, D(2020, 12, 28)),
        (2025, 1, D(2024, 12, 30)),
    ],
)
def test_the_monday_of_an_iso_week(jahr, kw, monday):
    assert rules.monday_of_iso_week(jahr, kw) == monday


@pytest.mark.parametrize(("jahr", "kw"), [(2025, 53), (2026, 54), (2026, 0), (2026, -1)])
def test_a_week_the_year_does_not_have_is_a_rule_error(jahr, kw):
    with pytest.raises(RuleError, match=f"KW {kw}"):
        rules.monday_of_iso_week(jahr, kw)


def test_an_impossible_year_is_a_rule_error():
    with pytest.raises(RuleError):
        rules.weeks_in_iso_year(0)


# --- ICD -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ("C50.1", ["C50.1"]),
        ("c50.1", ["C50.1"]),
        ("  C50.1  ", ["C50.1"]),
        ("C50", ["C50"]),
        ("E11.90", ["E11.90"]),
        ("C50.1, C79.5", ["C50.1", "C79.5"]),
        ("C50.1;C79.5", ["C50.1", "C79.5"]),
        ("c50.1; C79.5", ["C50.1", "C79.5"]),
        ("C50.1 C79.5", ["C50.1", "C79.5"]),
        ("C50.1\nC79.5\r\nI10", ["C50.1", "C79.5", "I10"]),
        ("C50.1\tC79.5", ["C50.1", "C79.5"]),
        ("C50.1 ,; C79.5 ,", ["C50.1", "C79.5"]),
        ("C50.1 G", ["C50.1"]),
        ("M54.5 R", ["M54.5"]),
        ("C50.1 L, C79.5 B", ["C50.1", "C79.5"]),
        ("C50.1 V C79.5 Z", ["C50.1", "C79.5"]),
        ("I25.1 A", ["I25.1"]),
        ("S52.5 R G", ["S52.5"]),
        ("c50.1 g", ["C50.1"]),
        ("C50.1+", ["C50.1"]),
        ("E11.90!", ["E11.90"]),
        ("C50.1†", ["C50.1"]),
        ("H36.0*", ["H36.0"]),
        ("E10.30† H36.0*", ["E10.30", "H36.0"]),
        ("C50.1 +", ["C50.1"]),
        ("C50.-", ["C50"]),
        ("C50.", ["C50"]),
        ("C50.1 G!", ["C50.1"]),
        ("C50.1, C50.1", ["C50.1"]),
        ("C50.1, c50.1 G, C50.1+", ["C50.1"]),
        ("C79.5, C50.1, C79.5", ["C79.5", "C50.1"]),
        ("C50, C50.1", ["C50", "C50.1"]),
        ("C50.1\u00a0C79.5", ["C50.1", "C79.5"]),
    ],
)
def test_icd_input_is_split_trimmed_upper_cased_and_stripped_of_marks(raw, codes):
    assert rules.parse_icd(raw) == codes


@pytest.mark.parametrize("raw", [None, "", "   ", ",", " ; , \n"])
def test_empty_icd_input_holds_no_codes(raw):
    assert rules.parse_icd(raw) == []
    assert rules.normalize_icd_text(raw) is None


@pytest.mark.parametrize(
    ("raw", "invalid"),
    [
        ("XYZ", ["XYZ"]),
        ("C5", ["C5"]),
        ("C501", ["C501"]),
        ("C50.123", ["C50.123"]),
        ("50.1", ["50.1"]),
        ("CC50", ["CC50"]),
        ("C50.1G", ["C50.1G"]),
        ("G", ["G"]),
        ("C50.1, G", ["G"]),
        ("C50.1\nR", ["R"]),
        ("+", ["+"]),
        ("C50..1", ["C50..1"]),
        ("Ä50", ["Ä50"]),
        ("C٥0", ["C٥0"]),
        ("C50.1, XYZ, C79.5, abc", ["XYZ", "abc"]),
        ("xyz, XYZ", ["xyz"]),
    ],
)
def test_invalid_icd_codes_reject_the_whole_input_naming_every_one(raw, invalid):
    with pytest.raises(rules.ICDError) as info:
        rules.parse_icd(raw)
    assert info.value.invalid_codes == invalid
    for code in invalid:
        assert code in info.value.message


def test_one_invalid_icd_code_reads_ungueltiger_icd_code():
    with pytest.raises(RuleError, match=r"^Ungültiger ICD-Code: XYZ\b"):
        rules.parse_icd("C50.1, XYZ")


def test_several_invalid_icd_codes_are_listed_together():
    with pytest.raises(RuleError, match=r"^Ungültige ICD-Codes: XYZ, 123\b"):
        rules.parse_icd("XYZ 123")


def test_a_lone_mark_letter_after_an_invalid_code_is_not_reported_again():
    with pytest.raises(rules.ICDError) as info:
        rules.parse_icd("XYZ G")
    assert info.value.invalid_codes == ["XYZ"]


def test_icd_codes_are_joined_with_comma_and_space():
    assert rules.icd_join(["C50.1", "C79.5"]) == "C50.1, C79.5"
    assert rules.icd_join([]) == ""


def test_an_icd_list_longer_than_255_characters_is_refused():
    codes = [f"C{n:02d}.{m}" for n in range(10, 60) for m in range(1)]
    assert len(", ".join(codes)) == 348
    with pytest.raises(RuleError, match="255"):
        rules.icd_join(codes)
    with pytest.raises(RuleError, match="zu lang"):
        rules.normalize_icd_text(" ".join(codes))


def test_an_icd_list_of_exactly_255_characters_is_accepted():
    # 26 codes of six and 7 of five characters plus 32 separators of two: 156 + 35 + 64 = 255.
    codes = [f"A{n:02d}.11" for n in range(26)] + [f"B{n:02d}.1" for n in range(7)]
    assert len(rules.icd_join(codes)) == 255
    with pytest.raises(RuleError):
        rules.icd_join([*codes, "C"])


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("c50.1; C79.5", "C50.1, C79.5"),
        ("C50.1 G\nC50.1+", "C50.1"),
        ("C50.-, E11.90!", "C50, E11.90"),
    ],
)
def test_icd_text_is_stored_in_normalised_form(raw, text):
    assert rules.normalize_icd_text(raw) == text


@pytest.mark.parametrize(
    ("code", "gruppe"), [("C50.1", "C50"), ("C50", "C50"), ("e11.90", "E11"), (" I10 ", "I10")]
)
def test_the_hauptgruppe_is_letter_and_two_digits(code, gruppe):
    assert rules.icd_hauptgruppe(code) == gruppe


def test_the_hauptgruppe_of_an_invalid_code_is_a_rule_error():
    with pytest.raises(RuleError, match="XYZ"):
        rules.icd_hauptgruppe("XYZ")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("C50.1, C79.5", "C79.5; c50.1", True),
        ("C50.1", "C50.1 G, C50.1", True),
        (None, "", True),
        ("C50.1", "C50", False),
        ("C50.1", None, False),
        ("C50.1, C79.5", "C50.1", False),
    ],
)
def test_two_icd_inputs_hold_the_same_codes_when_their_sets_are_equal(a, b, same):
    assert rules.icd_same_codes(a, b) is same


# --- KVNR ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("D410126355", "D410126355"),
        (" d410126355 ", "D410126355"),
        ("D 410 126 355", "D410126355"),
        ("X123", "X123"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_a_kvnr_is_kept_upper_cased_without_spaces(value, normalized):
    assert rules.normalize_kvnr(value) == normalized


@pytest.mark.parametrize(
    "value", ["D410126355", "d410126355", " D410126355 ", "A000000002", "Z999999997"]
)
def test_a_kvnr_with_the_right_check_digit_is_valid(value):
    assert rules.kvnr_is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "D410126354",
        "D410126350",
        "X123",
        "",
        None,
        "4101263551",
        "DD10126355",
        "D4101263555",
        "D41012635",
        "D41012635X",
        "Ä410126355",
        "D٤10126355",
    ],
)
def test_a_kvnr_with_a_wrong_check_digit_or_form_is_invalid(value):
    assert not rules.kvnr_is_valid(value)


def test_the_kvnr_check_digit_of_the_spec_example_is_5():
    # D=04 -> 0 4 4 1 0 1 2 6 3, weights 1 2 1 2 ... -> 0+8+4+2+0+2+2+(1+2)+3 = 25
    assert rules.kvnr_check_digit("D41012635") == 5


def test_the_kvnr_check_digit_needs_a_letter_and_eight_digits():
    with pytest.raises(RuleError):
        rules.kvnr_check_digit("D4101")


# --- Texts, duplicate key, fall_id ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"), [(None, ""), ("  Tonn ", "Tonn"), ("", ""), (42, "42"), ("a  b", "a  b")]
)
def test_clean_text_trims_and_turns_none_into_empty(value, text):
    assert rules.clean_text(value) == text


@pytest.mark.parametrize(
    ("value", "part"),
    [
        (None, ""),
        ("  Müller ", "müller"),
        ("Meyer  Schmidt", "meyer schmidt"),
        ("Strauß", "strauss"),
        ("STRASSE", "strasse"),
        ("Anna\tMaria", "anna maria"),
        ("Mu\u0308ller", "müller"),
        (D(1960, 4, 28), "1960-04-28"),
        (dt.datetime(2026, 2, 2, 8, 50), "2026-02-02"),
    ],
)
def test_a_key_part_is_trimmed_collapsed_and_case_folded(value, part):
    assert rules.normalize_key_part(value) == part


def test_the_duplicate_key_joins_the_normalised_parts():
    key = rules.duplicate_key(
        nachname="Tonn",
        vorname="Regina",
        geburtsdatum=D(1960, 4, 28),
        fallgruppe="onko",
        datum=D(2026, 2, 2),
    )
    assert key == "tonn|regina|1960-04-28|onko|2026-02-02"


def test_the_duplicate_key_ignores_case_whitespace_and_sharp_s():
    a = rules.duplicate_key(
        nachname="Strauß",
        vorname="Anna Maria",
        geburtsdatum=D(1960, 4, 28),
        fallgruppe="onko",
        datum=D(2026, 2, 2),
    )
    b = rules.duplicate_key(
        nachname="  STRAUSS ",
        vorname="anna   maria",
        geburtsdatum=D(1960, 4, 28),
        fallgruppe="onko",
        datum=dt.datetime(2026, 2, 2, 8, 50),
    )
    assert a == b


def test_the_duplicate_key_keeps_a_missing_birth_date_empty():
    key = rules.duplicate_key(
        nachname="Daum", vorname=None, geburtsdatum=None, fallgruppe="sd", datum=D(2026, 2, 2)
    )
    assert key == "daum|||sd|2026-02-02"


@pytest.mark.parametrize(
    "changed",
    [
        {"nachname": "Tonne"},
        {"vorname": "Regine"},
        {"geburtsdatum": D(1960, 4, 29)},
        {"geburtsdatum": None},
        {"fallgruppe": "kardio"},
        {"datum": D(2026, 2, 3)},
    ],
)
def test_the_duplicate_key_differs_when_any_part_differs(changed):
    base = {
        "nachname": "Tonn",
        "vorname": "Regina",
        "geburtsdatum": D(1960, 4, 28),
        "fallgruppe": "onko",
        "datum": D(2026, 2, 2),
    }
    assert rules.duplicate_key(**base) != rules.duplicate_key(**{**base, **changed})


@pytest.mark.parametrize(
    ("args", "kwargs", "fall_id"),
    [
        ((2026, 6, "onko", "Tonn"), {}, "2026-06-onko-Tonn"),
        ((2026, 6, "onko", "Tonn"), {"suffix": 1}, "2026-06-onko-Tonn"),
        ((2026, 6, "onko", "Tonn"), {"suffix": 2}, "2026-06-onko-Tonn-2"),
        ((2026, 53, "sd", "Müller"), {"suffix": 12}, "2026-53-sd-Müller-12"),
        ((2020, 1, "kardio", "  von  der Heide "), {}, "2020-01-kardio-von der Heide"),
        ((2026, 6, "galle", "O'Brien-Strauß"), {}, "2026-06-galle-O'Brien-Strauß"),
    ],
)
def test_the_fall_id_is_year_week_fallgruppe_and_surname(args, kwargs, fall_id):
    assert rules.build_fall_id(*args, **kwargs) == fall_id


def test_a_long_surname_is_cut_so_the_fall_id_fits():
    name = "A" * 150
    fall_id = rules.build_fall_id(2026, 6, "intensiv", name)
    assert len(fall_id) == 100
    assert fall_id == "2026-06-intensiv-" + "A" * 83


def test_a_long_surname_is_cut_further_to_make_room_for_the_suffix():
    name = "B" * 150
    fall_id = rules.build_fall_id(2026, 6, "onko", name, suffix=10)
    assert len(fall_id) == 100
    assert fall_id.endswith("B-10")
    assert fall_id.startswith("2026-06-onko-BBB")


def test_a_cut_surname_does_not_end_in_a_space():
    fall_id = rules.build_fall_id(2026, 6, "onko", "Abc Def", max_length=17)
    assert fall_id == "2026-06-onko-Abc"


def test_the_fall_id_honours_a_smaller_maximum_length():
    assert rules.build_fall_id(2026, 6, "onko", "Tonnenmacher", max_length=20) == (
        "2026-06-onko-Tonnenm"
    )


@pytest.mark.parametrize("nachname", ["", "   ", None])
def test_a_fall_id_needs_a_surname(nachname):
    with pytest.raises(RuleError, match="Nachname"):
        rules.build_fall_id(2026, 6, "onko", nachname)


def test_a_fall_id_that_cannot_fit_is_a_rule_error():
    with pytest.raises(RuleError):
        rules.build_fall_id(2026, 6, "onko", "Tonn", suffix=2, max_length=14)


# --- Status --------------------------------------------------------------------------------------


def test_the_status_choices_are_the_six_states():
    assert rules.STATUS_CHOICES == [
        ("offen", "Offen"),
        ("unterlagen", "Unterlagen"),
        ("gutachten", "Gutachten"),
        ("gutachten_codiert", "Gutachten codiert"),
        ("abgelehnt", "Abgelehnt"),
        ("abgebrochen", "Abgebrochen"),
    ]


_NOTHING = {
    "abbruch": False,
    "ablehnung": False,
    "gutachten": False,
    "gutachten_typ": None,
    "unterlagen": False,
}


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        ({}, "offen"),
        ({"gutachten_typ": "Bestätigung"}, "offen"),
        ({"unterlagen": True}, "unterlagen"),
        ({"unterlagen": True, "gutachten": True}, "gutachten"),
        ({"gutachten": True, "gutachten_typ": ""}, "gutachten"),
        ({"gutachten": True, "gutachten_typ": "Alternative"}, "gutachten_codiert"),
        ({"unterlagen": True, "ablehnung": True}, "abgelehnt"),
        ({"gutachten": True, "gutachten_typ": "Alternative", "ablehnung": True}, "abgelehnt"),
        ({"ablehnung": True, "abbruch": True}, "abgebrochen"),
        ({"gutachten": True, "unterlagen": True, "abbruch": True}, "abgebrochen"),
    ],
)
def test_the_first_matching_status_wins(flags, status):
    assert rules.derive_status(**{**_NOTHING, **flags}) == status
    assert status in dict(rules.STATUS_CHOICES)
    # The same from a stored row (a values() dict with other fields beside the flags).
    assert rules.status_of({**_NOTHING, **flags, "nachname": "Weiß", "icd": None}) == status


# --- Coding --------------------------------------------------------------------------------------


def test_the_coding_choices_are_as_specified():
    assert rules.GUTACHTEN_TYP_CHOICES == [
        ("Bestätigung", "Bestätigung"),
        ("Alternative", "Alternative"),
    ]
    assert rules.THERAPIEAENDERUNG_CHOICES == [("Ja", "Ja"), ("Nein", "Nein")]


def _coding(**changes):
    values = {
        "gutachten": True,
        "gutachten_typ": None,
        "therapieaenderung": None,
        "ta_diagnosekorrektur": False,
        "ta_unterversorgung": False,
        "ta_uebertherapie": False,
    }
    return rules.coding_problems(**{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"gutachten": False},
        {"gutachten_typ": "Bestätigung", "therapieaenderung": "Nein"},
        {"gutachten_typ": "Alternative", "therapieaenderung": "Ja", "ta_uebertherapie": True},
        {
            "therapieaenderung": "Ja",
            "ta_diagnosekorrektur": True,
            "ta_unterversorgung": True,
            "ta_uebertherapie": True,
        },
        {"gutachten": False, "gutachten_typ": "", "therapieaenderung": ""},
    ],
)
def test_a_consistent_coding_has_no_problems(changes):
    assert _coding(**changes) == ([], [])


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"gutachten": False, "gutachten_typ": "Bestätigung"}, "Gutachten-Typ"),
        ({"gutachten": False, "therapieaenderung": "Nein"}, "Therapieänderung"),
        ({"gutachten_typ": "Bestaetigung"}, "Bestaetigung"),
        ({"gutachten_typ": "Vielleicht"}, "Vielleicht"),
        ({"therapieaenderung": "Vielleicht"}, "Vielleicht"),
        ({"ta_diagnosekorrektur": True}, "Therapieänderung = Ja"),
        ({"therapieaenderung": "Nein", "ta_unterversorgung": True}, "Therapieänderung = Ja"),
        ({"therapieaenderung": "ja", "ta_uebertherapie": True}, "ja"),
    ],
)
def test_an_inconsistent_coding_is_an_error(changes, fragment):
    errors, _warnings = _coding(**changes)
    assert errors
    assert any(fragment in error for error in errors)


def test_therapieaenderung_ja_without_any_kind_is_only_a_warning():
    errors, warnings = _coding(therapieaenderung="Ja")
    assert errors == []
    assert len(warnings) == 1
    assert "keine Art" in warnings[0]


def test_coding_without_gutachten_reports_every_problem():
    errors, _warnings = _coding(
        gutachten=False, gutachten_typ="Alternative", therapieaenderung="Ja", ta_uebertherapie=True
    )
    assert len(errors) == 2


@pytest.mark.parametrize(
    ("value", "typ"),
    [
        ("Bestätigung", "Bestätigung"),
        ("bestaetigung", "Bestätigung"),
        ("B", "Bestätigung"),
        (" Alternative ", "Alternative"),
        ("a", "Alternative"),
        ("", None),
        (None, None),
    ],
)
def test_a_workbook_gutachten_typ_is_normalised(value, typ):
    assert rules.normalize_gutachten_typ(value) == typ


@pytest.mark.parametrize(
    ("value", "ta"), [("Ja", "Ja"), ("nein", "Nein"), (" JA ", "Ja"), ("", None)]
)
def test_a_workbook_therapieaenderung_is_normalised(value, ta):
    assert rules.normalize_therapieaenderung(value) == ta


@pytest.mark.parametrize(
    ("function", "value"),
    [(rules.normalize_gutachten_typ, "C"), (rules.normalize_therapieaenderung, "J")],
)
def test_an_unknown_coding_value_is_a_rule_error(function, value):
    with pytest.raises(RuleError):
        function(value)


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("Ja", True),
        ("J", True),
        ("x", True),
        ("X", True),
        ("1", True),
        ("TRUE", True),
        ("true", True),
        (True, True),
        (1, True),
        ("Nein", False),
        ("N", False),
        ("0", False),
        ("FALSE", False),
        ("", False),
        ("  ", False),
        (None, False),
        (False, False),
        (0, False),
    ],
)
def test_a_workbook_boolean_is_read_from_the_usual_spellings(value, result):
    assert rules.parse_bool(value) is result


@pytest.mark.parametrize("value", ["vielleicht", "2", 2, 0.5])
def test_an_unknown_workbook_boolean_is_a_rule_error(value):
    with pytest.raises(RuleError):
        rules.parse_bool(value)


# --- Properties ----------------------------------------------------------------------------------

_TEXT_FUNCTIONS = [
    rules.parse_datum,
    lambda text: rules.parse_geburtsdatum(text, today=TODAY),
    rules.parse_icd,
    rules.normalize_icd_text,
    rules.icd_hauptgruppe,
    lambda text: rules.icd_same_codes(text, "C50.1"),
    rules.normalize_kvnr,
    rules.kvnr_is_valid,
    rules.kvnr_check_digit,
    rules.fallgruppe_from_modul,
    rules.fallgruppe_from_any,
    rules.clean_text,
    rules.normalize_key_part,
    rules.normalize_gutachten_typ,
    rules.normalize_therapieaenderung,
    rules.parse_bool,
    lambda text: rules.build_fall_id(2026, 6, "onko", text),
]

_DATE_LIKE = st.from_regex(
    r"\A[0-9]{1,4}[.\-][0-9]{1,2}[.\-][0-9]{1,4}(,? [0-9]{1,2}:[0-9]{2})?\Z", fullmatch=True
)
_ICD_LIKE = st.lists(
    st.from_regex(r"\A[A-Za-z][0-9]{1,3}(\.[0-9]{0,3})?[-+*!†]?( [RLBGVZAX])?\Z", fullmatch=True),
    max_size=6,
).map(lambda parts: ", ".join(parts))


@pytest.mark.parametrize("function", _TEXT_FUNCTIONS)
@given(text=st.one_of(st.text(), _DATE_LIKE, _ICD_LIKE))
def test_no_text_makes_a_rule_function_crash(function, text):
    with contextlib.suppress(RuleError):
        function(text)


@given(text=st.text())
def test_never_failing_rule_functions_accept_any_text(text):
    rules.kvnr_is_valid(text)
    rules.fallgruppe_from_modul(text)
    rules.fallgruppe_from_any(text)
    rules.normalize_kvnr(text)
    rules.clean_text(text)
    rules.normalize_key_part(text)


_ICD_CODE = st.from_regex(r"\A[A-Z][0-9]{2}(\.[0-9]{1,2})?\Z", fullmatch=True)


@given(text=st.one_of(st.text(), _ICD_LIKE))
def test_parsed_icd_codes_are_valid_unique_and_stable(text):
    try:
        codes = rules.parse_icd(text)
    except RuleError:
        return
    assert all(re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9]{1,2})?", code) for code in codes)
    assert len(codes) == len(set(codes))
    assert rules.parse_icd(", ".join(codes)) == codes


@given(codes=st.lists(_ICD_CODE, max_size=10), marks=st.data())
def test_valid_icd_codes_survive_marks_case_and_separators(codes, marks):
    decorated = []
    for code in codes:
        mark = marks.draw(st.sampled_from(["", "+", "*", "!", "†", " G", " R", "! L"]))
        decorated.append(marks.draw(st.sampled_from([str.upper, str.lower]))(code) + mark)
    separator = marks.draw(st.sampled_from([", ", ";", "\n", " ", " ; "]))
    assert rules.parse_icd(separator.join(decorated)) == list(dict.fromkeys(codes))


@given(day=st.dates(min_value=D(2000, 1, 3), max_value=D(2100, 12, 31)))
def test_a_case_date_written_in_german_reads_back(day):
    assert rules.parse_datum(f"{day.day}.{day.month}.{day.year}") == day
    assert rules.parse_datum(f"{day:%d.%m.%Y %H:%M}") == day
    assert rules.parse_datum(day.isoformat()) == day
    if day.year < 2100:
        assert rules.parse_datum(f"{day:%d.%m.%y}, 08:50") == day


@given(
    birth=st.dates(min_value=D(1900, 1, 1), max_value=D(2099, 12, 31)),
    today=st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)),
)
def test_a_two_digit_birth_year_is_never_in_the_future(birth, today):
    try:
        result = rules.parse_geburtsdatum(f"{birth:%d.%m.%y}", today=today)
    except RuleError:
        # Only 29 February of a year 00 can be impossible in one century and not the other.
        assert (birth.month, birth.day, birth.year % 100) == (2, 29, 0)
        return
    assert result <= today
    assert result.year % 100 == birth.year % 100
    assert (result.month, result.day) == (birth.month, birth.day)
    assert result.year >= today.year - 100


@given(day=st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 20)))
def test_the_monday_of_a_dates_iso_week_starts_that_week(day):
    jahr, kw = rules.iso_week(day)
    monday = rules.monday_of_iso_week(jahr, kw)
    assert monday.weekday() == 0
    assert monday <= day < monday + dt.timedelta(days=7)
    assert 1 <= kw <= rules.weeks_in_iso_year(jahr)


@given(stem=st.from_regex(r"\A[A-Z][0-9]{8}\Z", fullmatch=True), wrong=st.integers(1, 9))
def test_exactly_one_check_digit_makes_a_kvnr_valid(stem, wrong):
    digit = rules.kvnr_check_digit(stem)
    assert rules.kvnr_is_valid(f"{stem}{digit}")
    assert not rules.kvnr_is_valid(f"{stem}{(digit + wrong) % 10}")


@given(
    nachname=st.text(min_size=1).filter(str.strip),
    suffix=st.integers(1, 10_000),
    fallgruppe=st.sampled_from(list(rules.FALLGRUPPEN)),
    kw=st.integers(1, 53),
)
def test_a_fall_id_always_fits_and_keeps_its_prefix_and_suffix(nachname, suffix, fallgruppe, kw):
    fall_id = rules.build_fall_id(2026, kw, fallgruppe, nachname, suffix=suffix)
    assert len(fall_id) <= 100
    assert fall_id.startswith(f"2026-{kw:02d}-{fallgruppe}-")
    if suffix > 1:
        assert fall_id.endswith(f"-{suffix}")


@given(text=st.text())
def test_a_key_part_ignores_surrounding_and_repeated_whitespace(text):
    padded = "  " + text.replace(" ", " \t ") + "\n"
    assert rules.normalize_key_part(padded) == rules.normalize_key_part(text)


def test_the_stored_duplicate_key_is_the_digest_of_the_normalised_key():
    import hashlib

    parts = {
        "nachname": " Strauß ",
        "vorname": "Anna  Maria",
        "geburtsdatum": dt.date(1960, 4, 28),
        "fallgruppe": "onko",
        "datum": dt.date(2026, 2, 2),
    }
    digest = rules.duplicate_key_digest(**parts)
    assert digest == hashlib.sha256(rules.duplicate_key(**parts).encode()).hexdigest()
    assert len(digest) == 64
    assert digest == rules.duplicate_key_digest(**{**parts, "nachname": "STRAUSS"})
