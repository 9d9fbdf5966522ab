"""Cell access for the .xlsx readers: python-calamine for values, the safety scan for formulas.

Measured on this machine (Python 3.11, openpyxl 3.1.5, python-calamine 0.9.1) with a
generated 20,000-row, 39-column workbook (2.8 MB, inline strings as openpyxl writes them):

* openpyxl ``read_only=True``, ``iter_rows(values_only=True)``: 19.0 s
* openpyxl ``read_only=True``, cell objects: 16.3 s
* python-calamine ``to_python()``: 0.8 s
* byte scan of the sheet XML for ``<f>``: 0.1 s

The 1,742-row sample workbook: openpyxl 0.57 s, calamine 0.04 s. So values come from
calamine; it cannot return formula text (only the cached result, "" when there is none), so
:mod:`.safety` scans the sheet XML and the sheets holding formulas get their ``<f>`` text
from an exact streaming parse (expat, about 1 s per 20,000 rows, only for those sheets).

End to end, ``read_historical_workbook`` (safety checks + calamine + row rules): 2.5 s for
the 20,000 filled rows above (0.55 s of it the safety scan of 39 MB of XML), 2.3 s for
20,000 rows with a formula in each, 0.2 s for the sample workbook.
"""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook, SheetTypeEnum

from .base import FileRejected
from .safety import DAMAGED, XlsxPackage, check_xlsx


def _rejected(exc: BaseException, message: str) -> FileRejected:
    # pyo3 turns a Rust panic into PanicException, a BaseException; it is still a bad file.
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc
    return FileRejected(message)


class Workbook:
    """A vetted workbook: worksheet names in workbook order and their rows of cell values."""

    def __init__(self, data: bytes, *, max_bytes: int):
        self.package: XlsxPackage = check_xlsx(data, max_bytes=max_bytes)
        try:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            metadata = self._book.sheets_metadata
        except BaseException as exc:
            raise _rejected(exc, DAMAGED) from None
        self.sheet_names = [m.name for m in metadata if m.typ == SheetTypeEnum.WorkSheet]
        for name in self.sheet_names:
            # A sheet the safety scan did not see has not been vetted for its grid size.
            if name not in self.package.sheet_parts:
                raise FileRejected(DAMAGED)

    def rows(self, name: str) -> list[list[object]]:
        """Rows from A1 on (index 0 = Excel row 1); a formula cell holds its text ("=...")."""
        try:
            rows = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except BaseException as exc:
            raise _rejected(
                exc, f"Das Tabellenblatt „{name}“ ist beschädigt und kann nicht gelesen werden."
            ) from None
        for (row, col), text in self.package.formulas(name).items():
            while len(rows) <= row:
                rows.append([])
            cells = rows[row]
            if len(cells) <= col:
                cells.extend([""] * (col + 1 - len(cells)))
            cells[col] = text
        return rows

    def formula_cells(self, name: str) -> set[tuple[int, int]]:
        return set(self.package.formulas(name))
