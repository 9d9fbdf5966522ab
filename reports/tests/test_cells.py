"""The cell diff between two versions of a week's workbook and the sheet preview, on small
workbooks laid out like the Berichtswesen (formats.md §4)."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from reports.cells import format_value, sheet_table, workbook_changes


def book(*, kw1=(3, 1), gesamt_share=0.25, icd=(("C50.9", 2),), prev=None):
    """Sheet 1 in its real shape (totals block, KW table) plus a merged-header sheet and an
    ICD sheet whose rows depend on the codes."""
    wb = Workbook()
    s1 = wb.active
    s1.title = "Auswertung KW gesamt"
    s1["A1"] = "Gesamtübersicht"
    s1["A1"].font = Font(bold=True)
    s1["B2"], s1["C2"], s1["D2"], s1["E2"] = 2026, "Anteil", 2025, "Anteil"
    s1["A3"], s1["B3"], s1["C3"] = "Erstberatungen", kw1[0] + 4, 1
    if prev is not None:
        s1["D3"] = prev
    s1["A10"], s1["B10"], s1["C10"] = "KW", "Erstberatungen", "Gutachten"
    s1["A11"], s1["B11"], s1["C11"] = 1, kw1[0], kw1[1]
    s1["A12"], s1["B12"], s1["C12"] = 2, 4, 0
    s1["A13"], s1["B13"], s1["C13"] = "Gesamt", kw1[0] + 4, kw1[1]
    s1["A14"], s1["C14"] = "Anteil", gesamt_share
    s1["C14"].number_format = "0.0%"
    s2 = wb.create_sheet("Auswertung nach Fachgebieten")
    s2["B1"], s2["E1"] = "Onkologie", "Kardiologie"
    s2.merge_cells("B1:D1")
    s2.merge_cells("E1:G1")
    headers = ["KW"] + ["Anzahl", "Gutachten", "Keine RM/Ablehnung"] * 2
    for col, text in zip("ABCDEFG", headers, strict=True):
        s2[f"{col}2"] = text
    s2.append([1, kw1[0], kw1[1], 0, 0, 0, 0])
    s3 = wb.create_sheet("Auswertung ICD onko")
    s3.append(["ICD", "Anzahl"])
    for code, count in icd:
        s3.append([code, count])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_identical_workbooks_have_no_changes():
    assert workbook_changes(book(), book()) == []


def test_a_changed_figure_is_named_by_sheet_row_column_and_labels():
    changes = workbook_changes(book(kw1=(3, 1)), book(kw1=(3, 2), gesamt_share=0.5))
    by_cell = {(c["sheet"], c["column"], c["row"]): c for c in changes}
    kw1 = by_cell[("Auswertung KW gesamt", "C", 11)]
    assert (kw1["zeile"], kw1["spalte"], kw1["alt"], kw1["neu"]) == ("KW 1", "Gutachten", 1, 2)
    total = by_cell[("Auswertung KW gesamt", "C", 13)]
    assert (total["zeile"], total["alt"], total["neu"]) == ("Gesamt", 1, 2)
    share = by_cell[("Auswertung KW gesamt", "C", 14)]
    assert (share["alt"], share["neu"], share["format"]) == (0.25, 0.5, "0.0%")
    onko = by_cell[("Auswertung nach Fachgebieten", "C", 3)]
    assert (onko["zeile"], onko["spalte"], onko["alt"], onko["neu"]) == (
        "KW 1",
        "Onkologie · Gutachten",
        1,
        2,
    )
    assert len(changes) == 4


def test_the_totals_block_names_the_year_column_and_a_newly_known_previous_year():
    changes = workbook_changes(book(), book(prev=812))
    assert [(c["zeile"], c["spalte"], c["alt"], c["neu"]) for c in changes] == [
        ("Erstberatungen", "2025", None, 812)
    ]


def test_a_late_icd_code_is_one_new_row_not_a_shift_of_the_others():
    old = book(icd=(("C50.9", 2), ("C61", 1)))
    new = book(icd=(("C34.1", 1), ("C50.9", 2), ("C61", 1)))
    changes = workbook_changes(old, new)
    assert [(c["sheet"], c["row"], c["zeile"], c["alt"], c["neu"]) for c in changes] == [
        ("Auswertung ICD onko", 2, "C34.1", None, 1)
    ]


def test_a_code_that_disappears_is_reported_with_its_old_row():
    changes = workbook_changes(book(icd=(("C50.9", 2), ("C61", 1))), book(icd=(("C50.9", 2),)))
    assert [(c["row"], c["zeile"], c["alt"], c["neu"]) for c in changes] == [(3, "C61", 1, None)]


def test_a_whole_number_read_as_float_is_the_same_figure_but_text_is_not():
    old, new = book(kw1=(3, 1)), book(kw1=(3.0, 1))
    assert workbook_changes(old, new) == []


def test_values_are_shown_the_german_way():
    assert format_value(0.125, "0.0%") == "12,5 %"
    assert format_value(2026) == "2026"
    assert format_value(1234, "#,##0") == "1.234"
    assert format_value(0.5) == "0,5"
    assert format_value(3.0) == "3"
    assert format_value(None) == "–"
    assert format_value("Gesamt") == "Gesamt"


def test_sheet_one_becomes_table_rows_with_headers_bold_and_merged_columns_spanned():
    table = sheet_table(book())
    assert table["name"] == "Auswertung KW gesamt"
    first = table["rows"][0][0]
    assert (first["text"], first["bold"]) == ("Gesamtübersicht", True)
    share = table["rows"][13][2]
    assert (share["text"], share["numeric"]) == ("25,0 %", True)
    fach = sheet_table(book(), index=1)
    assert [(c["text"], c["colspan"]) for c in fach["rows"][0]] == [
        ("", 1),
        ("Onkologie", 3),
        ("Kardiologie", 3),
    ]
