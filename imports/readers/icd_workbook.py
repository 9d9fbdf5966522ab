"""Reader of the filled ICD coding workbook, formats.md §3.

Sheet ``ICD-Codierung`` if there is one, else the first sheet; columns by header ``Fall-ID``
and ``ICD``. Rows whose ICD cell is empty are skipped (not counted in ``rows_read``). Values:
``fall_id`` (str, "" when missing, which is an error) and ``icd_raw`` (the cell as text).
Checking the codes and the Fall-IDs against the cases is the service's job.
"""

from __future__ import annotations

from .base import (
    MAX_BYTES,
    FileRejected,
    ParsedRow,
    Problem,
    ReadResult,
    cell_text,
    is_blank,
    map_headers,
    normalize_header,
    notice,
    quoted_list,
)
from .xlsx import Workbook

SHEET_NAME = "ICD-Codierung"
HEADERS = {normalize_header("Fall-ID"): "fall_id", normalize_header("ICD"): "icd_raw"}


def read_icd_workbook(data: bytes, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    workbook = Workbook(data, max_bytes=max_bytes)
    if not workbook.sheet_names:
        raise FileRejected("Die Arbeitsmappe enthält kein Tabellenblatt.")
    wanted = normalize_header(SHEET_NAME)
    sheet = next(
        (name for name in workbook.sheet_names if normalize_header(name) == wanted),
        workbook.sheet_names[0],
    )
    rows = workbook.rows(sheet)
    if not rows or all(is_blank(c) for c in rows[0]):
        raise FileRejected(f"Das Blatt „{sheet}“ hat keine Kopfzeile (erwartet: Fall-ID, ICD).")
    positions, _unknown, duplicates = map_headers(rows[0], HEADERS)
    missing = [label for label, name in (("Fall-ID", "fall_id"), ("ICD", "icd_raw"))
               if name not in positions]  # fmt: skip
    if missing:
        raise FileRejected(
            f"Im Blatt „{sheet}“ fehl{'en die Spalten' if len(missing) > 1 else 't die Spalte'} "
            f"{quoted_list(missing)}."
        )
    notices: list[Problem] = []
    if duplicates:
        notices.append(
            notice(
                f"Doppelte Spalten; verwendet wird jeweils die erste: {quoted_list(duplicates)}.",
                sheet=sheet,
            )
        )
    formulas = workbook.formula_cells(sheet)
    id_pos, icd_pos = positions["fall_id"], positions["icd_raw"]
    id_header, icd_header = cell_text(rows[0][id_pos]), cell_text(rows[0][icd_pos])
    result: list[ParsedRow] = []
    for index in range(1, len(rows)):
        cells = rows[index]
        icd = cells[icd_pos] if icd_pos < len(cells) else ""
        if is_blank(icd):
            continue
        fall_id = cell_text(cells[id_pos] if id_pos < len(cells) else "")
        row = ParsedRow(
            row_number=index + 1,
            sheet=sheet,
            values={"fall_id": fall_id, "icd_raw": cell_text(icd)},
        )
        for pos, header in ((id_pos, id_header), (icd_pos, icd_header)):
            if (index, pos) in formulas:
                row.warn(
                    header,
                    cells[pos],
                    "Die Zelle enthält eine Formel; übernommen wird der Formeltext, nicht ihr "
                    "Ergebnis.",
                )
        if not fall_id:
            row.error(id_header, None, "Fall-ID fehlt.")
        result.append(row)
    if not result:
        notices.append(
            notice("Die Arbeitsmappe enthält keine ausgefüllten ICD-Zellen.", sheet=sheet)
        )
    return ReadResult(rows=result, notices=notices, rows_read=len(result))
