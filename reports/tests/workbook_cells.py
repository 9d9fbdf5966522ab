"""Reads a written Berichtswesen workbook cell by cell, the way formats.md §4 places the figures
(independent of the portal's own import reader, so the tests check the layout itself)."""

import io

from openpyxl import load_workbook

TOTALS = ("erstberatungen", "unterlagen", "ablehnungen", "keine_rueckmeldung", "gutachten")
FALLGRUPPEN = ("onko", "kardio", "intensiv", "galle", "sd")
TA = ("gutachten", "ta_ja", "ta_nein", "diagnosekorrektur", "unterversorgung", "uebertherapie")


def open_book(data: bytes):
    return load_workbook(io.BytesIO(data))


def number(cell):
    assert cell.data_type == "n", (cell.coordinate, cell.value, cell.data_type)
    assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
    return cell.value


def kw_table(sheet, first_row, columns):
    """{kw: [numbers]} of the KW rows and the Gesamt row's numbers."""
    rows, row = {}, first_row
    while sheet.cell(row, 1).value != "Gesamt":
        kw = number(sheet.cell(row, 1))
        rows[kw] = [number(sheet.cell(row, c)) for c in range(2, 2 + columns)]
        row += 1
        assert row < first_row + 60, "no Gesamt row"
    return rows, [number(sheet.cell(row, c)) for c in range(2, 2 + columns)], row


def figures_from_cells(data: bytes) -> dict:
    book = open_book(data)
    s1 = book["Auswertung KW gesamt"]
    gesamt = {key: number(s1.cell(3 + i, 2)) for i, key in enumerate(TOTALS)}
    vorjahr = {key: s1.cell(3 + i, 4).value for i, key in enumerate(TOTALS)}
    rows, total, _ = kw_table(s1, 11, 5)
    per_kw = {str(kw): dict(zip(TOTALS, values, strict=True)) for kw, values in rows.items()}
    assert dict(zip(TOTALS, total, strict=True)) == gesamt

    s2 = book["Auswertung nach Fachgebieten"]
    _, total2, _ = kw_table(s2, 3, 15)
    s3 = book["Auswertung Gutachten"]
    _, total3, _ = kw_table(s3, 3, 18)
    per_fallgruppe = {}
    for i, code in enumerate(FALLGRUPPEN):
        anzahl, gutachten, keine = total2[3 * i : 3 * i + 3]
        g3, alternative, bestaetigung = total3[3 + 3 * i : 6 + 3 * i]
        assert g3 == gutachten
        per_fallgruppe[code] = {
            "anzahl": anzahl,
            "gutachten": gutachten,
            "keine_rm_ablehnung": keine,
            "alternative": alternative,
            "bestaetigung": bestaetigung,
        }
    s4 = book["Auswertung Therapieänderungen"]
    _, total4, _ = kw_table(s4, 2, 6)
    s5 = book["Auswertung ICD onko"]
    icd = {}
    for row in range(2, s5.max_row + 1):
        code = s5.cell(row, 1)
        assert code.data_type == "s"
        icd[code.value] = number(s5.cell(row, 2))
    return {
        "jahr": number(s1["B2"]),
        "gesamt": gesamt,
        "vorjahr": vorjahr,
        "per_kw": per_kw,
        "per_fallgruppe": per_fallgruppe,
        "therapieaenderungen": dict(zip(TA, total4, strict=True)),
        "icd_onko": icd,
    }
