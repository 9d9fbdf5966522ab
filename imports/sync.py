"""Excel sync, part 2: a workbook the portal exported (:mod:`imports.sync_export`), edited in
Excel, comes back: every changed field per case is previewed (old → new), then applied on
confirm in one transaction, one audit entry per case (formats.md §2, domain.md §3).

- Rows are matched by ``Fall-ID`` only, compared exactly (a dict of the stored ids, so no
  database collation decides: ``…-Kühn`` is never ``…-Kuhn``). An unknown Fall-ID, a row
  without one, a Fall-ID twice in the file → error row.
- A field counts as changed when its cell no longer holds what the export wrote for the
  stored value (:func:`imports.sync_export.export_cell`) *and* the cell, read with the
  historical reader's rules, gives another value. So an unchanged workbook changes nothing,
  whatever old data it carries, and ``x`` for ``Ja`` is no change.
- A changed value the reader would drop or cut (an unknown flag text, an invalid ICD, a birth
  date in the future, a too long text) is an error of that row, never a cleared field; then
  the changes go through the rules of the case page (``cases.services.case_problems``).
- The hidden ``Sync`` sheet carries each case's ``updated_at`` at export time, signed. A case
  saved since then keeps its state: that row's changes are refused with a message, the other
  rows still apply. Confirming checks again under the case's row lock (``case_update`` with
  ``based_on``), so a case saved between preview and confirm is refused too.

Only rows with a change, an error or a warning are stored in the preview; unchanged rows are
counted (a 100,000-row workbook without changes stores nothing but the counts).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from cases import rules
from cases.models import Case
from cases.services import EDITABLE_FIELDS, CaseConflict, case_problems, case_update
from imports import audit_actions
from imports.models import (
    ImportLog,
    ImportPreview,
    ImportPreviewRow,
    ImportType,
    PreviewState,
    field_label,
)
from imports.outcomes import RowOutcome, count_outcomes
from imports.previews import PreviewClosed
from imports.readers.base import (
    FileRejected,
    cell_text,
    german_number,
    is_blank,
    map_headers,
    quoted_list,
)
from imports.readers.historical import HEADERS, KINDS, LABELS, _RowParser, sheet_kind
from imports.readers.safety import refuse_macro_file_name
from imports.readers.xlsx import Workbook
from imports.services import file_sha256
from imports.sync_export import SYNC_SHEET, export_cell, signature_valid, version_stamp
from imports.values import decode_values, encode_values

LOOKUP_CHUNK = 5000
BATCH_ROWS = 1000
_TOTAL_WORDS = {"summe", "gesamt"}
_COMPARED = list(EDITABLE_FIELDS)
_LOADED = ["id", "fall_id", "updated_at", "kw", *EDITABLE_FIELDS]

NOT_EXPORTED = (
    "Die Arbeitsmappe ist kein Excel-Sync-Export des Portals: {what}. Laden Sie eine Datei "
    "hoch, die Sie unter „Excel-Sync“ exportiert haben, oder importieren Sie historische "
    "Arbeitsmappen unter „Abrechnungs-Arbeitsmappe“."
)
TAMPERED = (
    "Die Versionsangaben der Arbeitsmappe (verborgenes Blatt „Sync“) wurden verändert oder sind "
    "unvollständig; so lässt sich nicht prüfen, ob Fälle inzwischen geändert wurden. Bitte "
    "exportieren Sie die Arbeitsmappe neu und tragen Sie die Änderungen dort ein."
)


@dataclass
class SyncRow:
    sheet: str
    row_number: int
    fall_id: str
    kind: str
    case_id: int | None = None
    old: dict = field(default_factory=dict)
    new: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    stamp: str = ""


@dataclass
class SyncPlan:
    file_name: str
    sha256: str
    rows: list[SyncRow]
    unchanged: int
    notices: list[str]
    sheets: list[tuple[str, int]]

    @property
    def counts(self):
        counts = count_outcomes(row.kind for row in self.rows)
        counts[RowOutcome.DUPLIKAT] += self.unchanged - sum(
            1 for row in self.rows if row.kind == RowOutcome.DUPLIKAT
        )
        counts["warnungen"] = sum(1 for row in self.rows if row.warnings)
        return counts


# --- comparing cells -----------------------------------------------------------------------


def _cell_key(value):
    """A cell reduced to what a person sees: trimmed text, dates, numbers as floats."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, dt.datetime):
        return value.date() if not (value.hour or value.minute or value.second) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return None if math.isnan(number) else number
    return str(value).strip() or None


def _differs(cell, name, case) -> bool:
    """Whether a cell no longer holds what the export wrote for the stored value."""
    written = export_cell(name, case[name])
    # Most cells come back exactly as written; equal values have equal keys.
    if cell == written and type(cell) is type(written):
        return False
    return _cell_key(cell) != _cell_key(written)


def _value_key(name, value):
    """A case value as compared: empty text and NULL alike, text trimmed."""
    if KINDS.get(name) == "bool":
        return bool(value)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def _dropped(name, raw, parsed) -> bool:
    """The reader could not take a non-empty cell (it left the field empty or cut the text)."""
    if is_blank(raw):
        return False
    kind = KINDS.get(name)
    if kind == "bool":
        return parsed is False and cell_text(raw).casefold() not in rules.FALSE_WORDS
    if parsed is None or parsed == "":
        return True
    return kind == "text" and parsed != cell_text(raw)


# --- reading and classifying ---------------------------------------------------------------


def _sync_entries(workbook):
    if SYNC_SHEET not in workbook.sheet_names:
        raise FileRejected(NOT_EXPORTED.format(what="das verborgene Blatt „Sync“ fehlt"))
    rows = workbook.rows(SYNC_SHEET)
    if len(rows) < 2 or len(rows[1]) < 5:
        raise FileRejected(TAMPERED)
    signature, exported_at = cell_text(rows[1][3]), cell_text(rows[1][4])
    entries = []
    for cells in rows[1:]:
        fall_id = cell_text(cells[0]) if cells else ""
        if not fall_id:
            continue
        try:
            case_id = int(cells[1])
        except (TypeError, ValueError, IndexError):
            raise FileRejected(TAMPERED) from None
        entries.append((fall_id, case_id, cell_text(cells[2])))
    if not signature_valid(entries, exported_at, signature):
        raise FileRejected(TAMPERED)
    return {fall_id: (case_id, stamp) for fall_id, case_id, stamp in entries}


def _load_cases(fall_ids):
    cases = {}
    ids = list(fall_ids)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        for values in Case.objects.filter(fall_id__in=chunk).values_list(*_LOADED):
            row = dict(zip(_LOADED, values, strict=True))
            cases[row["fall_id"]] = row  # a Python dict: exact keys
    return cases


def sync_prepare(*, data: bytes, file_name: str, today=None) -> SyncPlan:
    """Read an exported, edited workbook and classify every row; writes nothing."""
    refuse_macro_file_name(file_name)
    today = today or rules.berlin_today()
    workbook = Workbook(data, max_bytes=settings.IMPORT_MAX_BYTES)
    entries = _sync_entries(workbook)
    names = [n for n in workbook.sheet_names if n != SYNC_SHEET and sheet_kind(n) is not None]
    if not names:
        raise FileRejected(NOT_EXPORTED.format(what="sie enthält kein Jahresblatt"))
    notices = [
        f"Blatt „{n}“ wird ignoriert (kein Jahresblatt)."
        for n in workbook.sheet_names
        if n != SYNC_SHEET and n not in names
    ]
    sheets = []
    raw_rows = []
    for name in names:
        rows = workbook.rows(name)
        if not rows or all(is_blank(c) for c in rows[0]):
            raise FileRejected(f"Im Blatt „{name}“ fehlt die Kopfzeile.")
        positions, unknown, _duplicates = map_headers(rows[0], HEADERS)
        missing = [
            LABELS[f] for f in ("fall_id", "datum", "fallgruppe", "nachname") if f not in positions
        ]
        if missing:
            raise FileRejected(
                f"Im Blatt „{name}“ fehl{'en die Spalten' if len(missing) > 1 else 't die Spalte'} "
                f"{quoted_list(missing)}; die Kopfzeile ist nicht die des Excel-Sync-Exports."
            )
        if unknown:
            notices.append(
                f"Blatt „{name}“: unbekannte Spalten werden ignoriert: {quoted_list(unknown)}."
            )
        headers = {f: cell_text(rows[0][i]) for f, i in positions.items()}
        read = 0
        for index in range(1, len(rows)):
            cells = rows[index]
            if not any(not is_blank(c) for c in cells):
                continue
            first = cells[0] if cells else ""
            if isinstance(first, str) and first.strip().rstrip(":").casefold() in _TOTAL_WORDS:
                continue
            width = max(positions.values()) + 1
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            raw = {f: cells[i] for f, i in positions.items()}
            raw_rows.append((name, index + 1, raw, headers, index, positions))
            read += 1
        sheets.append((name, read))

    seen = {}
    for sheet, number, raw, *_ in raw_rows:
        fall_id = cell_text(raw.get("fall_id"))
        seen.setdefault(fall_id, []).append(f"{sheet}:{number}")
    cases = _load_cases(f for f in seen if f)
    formulas = {name: workbook.formula_cells(name) for name in names}
    result, unchanged = [], 0
    for sheet, number, raw, headers, index, positions in raw_rows:
        row = _classify_row(
            sheet, number, raw, headers, cases, entries, seen, today, formulas[sheet], index,
            positions,
        )  # fmt: skip
        if row is None:
            unchanged += 1
        else:
            if row.kind == RowOutcome.DUPLIKAT:
                unchanged += 1
            result.append(row)
    missing = sum(1 for fall_id in entries if fall_id not in seen)
    if missing:
        notices.append(
            f"{german_number(missing)} exportierte Fälle stehen nicht mehr in der Datei; "
            "sie bleiben unverändert (der Excel-Sync löscht keine Fälle)."
        )
    return SyncPlan(
        file_name=file_name,
        sha256=file_sha256(data),
        rows=result,
        unchanged=unchanged,
        notices=notices,
        sheets=sheets,
    )


def _classify_row(sheet, number, raw, headers, cases, entries, seen, today, formulas, index, pos):
    fall_id = cell_text(raw.get("fall_id"))

    def error(message, **extra):
        return SyncRow(sheet, number, fall_id, RowOutcome.FEHLER, errors=[message], **extra)

    if not fall_id:
        return error(
            "Zeile ohne Fall-ID: neue Fälle legt der Excel-Sync nicht an (dafür gibt es den "
            "Import der Abrechnungs-Arbeitsmappe oder „Fall anlegen“)."
        )
    if len(seen[fall_id]) > 1:
        others = [ref for ref in seen[fall_id] if ref != f"{sheet}:{number}"]
        return error(
            f"Die Fall-ID steht mehrfach in der Datei (auch {', '.join(others[:5])}); "
            "diese Zeilen werden nicht übernommen."
        )
    case = cases.get(fall_id)
    if case is None:
        return error("Unbekannte Fall-ID: einen Fall mit dieser Fall-ID gibt es im Portal nicht.")
    entry = entries.get(fall_id)
    if entry is None or entry[0] != case["id"]:
        return error(
            "Diese Fall-ID stand nicht in der exportierten Datei (verborgenes Blatt „Sync“); "
            "bitte Fall-IDs nicht ändern oder kopieren.",
            case_id=case["id"],
        )
    differing = [name for name in _COMPARED if name in raw and _differs(raw[name], name, case)]
    kw_changed = "kw" in raw and _cell_key(raw["kw"]) != _cell_key(case["kw"])
    if not differing and not kw_changed:
        return None
    year, is_range = sheet_kind(sheet)
    parser = _RowParser(sheet, year, is_range, headers, today)
    formula_fields = [f for f, i in pos.items() if (index, i) in formulas]
    parsed = parser.parse(number, dict(raw), formula_fields)
    row = SyncRow(sheet, number, fall_id, RowOutcome.UPDATE, case_id=case["id"], stamp=entry[1])
    row.errors = [p.message for p in parsed.errors]
    by_column = {}
    for problem in parsed.warnings:
        by_column.setdefault(problem.column, []).append(problem.message)
    for name in differing:
        new = parsed.values.get(name)
        if _dropped(name, raw[name], new):
            reason = " ".join(by_column.pop(headers[name], [])) or "Der Wert ist ungültig."
            row.errors.append(
                f"{LABELS[name]} „{cell_text(raw[name])[:60]}“ wird nicht übernommen: {reason}"
            )
            continue
        if _value_key(name, new) != _value_key(name, case[name]):
            row.new[name] = new
            row.old[name] = case[name]
    if kw_changed and "datum" not in row.new:
        row.warnings.append(
            "Die KW ergibt sich aus dem Datum; eine geänderte KW allein wird nicht übernommen."
        )
    for name in row.new:
        row.warnings.extend(by_column.get(headers[name], []))
    if row.errors:
        row.kind = RowOutcome.FEHLER
        return row
    if not row.new:
        row.kind = RowOutcome.DUPLIKAT
        return row if row.warnings else None
    if version_stamp(case["updated_at"]) != entry[1]:
        row.kind = RowOutcome.FEHLER
        row.errors.append(stale_message(case["id"]))
        return row
    problems = case_problems(values=dict(row.new), case=Case(pk=case["id"]))
    for name, messages in problems.items():
        for message in messages:
            row.errors.append(f"{field_label(name)}: {message}")
    if row.errors:
        row.kind = RowOutcome.FEHLER
    return row


def stale_message(case_id) -> str:
    case = Case.objects.select_related("updated_by").filter(pk=case_id).first()
    when = timezone.localtime(case.updated_at) if case else None
    who = f" von {case.updated_by.email}" if case and case.updated_by else ""
    at = f" am {when:%d.%m.%Y um %H:%M} Uhr{who}" if when else ""
    return (
        f"Der Fall wurde nach dem Export geändert{at}; die Änderungen dieser Zeile werden "
        "nicht übernommen, damit nichts überschrieben wird. Bitte exportieren Sie neu und "
        "tragen Sie sie dort ein."
    )


# --- the preview ---------------------------------------------------------------------------


def sync_preview_create(*, plan: SyncPlan, actor) -> ImportPreview:
    now = timezone.now()
    with transaction.atomic():
        ImportPreview.objects.stale().delete()
        preview = ImportPreview.objects.create(
            user=actor.user,
            import_type=ImportType.EXCEL_SYNC,
            file_name=plan.file_name[:255],
            sha256=plan.sha256,
            counts=plan.counts,
            sheets=[{"name": n, "rows_read": r, "counts": {}} for n, r in plan.sheets],
            notices=[{"column": None, "message": m, "sheet": ""} for m in plan.notices],
            created_at=now,
            expires_at=now + timedelta(minutes=settings.IMPORT_PREVIEW_TTL_MINUTES),
        )
        stored = [
            ImportPreviewRow(
                preview=preview,
                position=position,
                row_number=row.row_number,
                sheet=row.sheet,
                kind=row.kind,
                values={
                    "fall_id": row.fall_id,
                    "_stand": row.stamp,
                    "_alt": encode_values(row.old),
                },
                fills=encode_values(row.new),
                errors=[{"column": None, "value": None, "message": m} for m in row.errors],
                warnings=[{"column": None, "value": None, "message": m} for m in row.warnings],
                has_warnings=bool(row.warnings),
                case_id=row.case_id,
            )
            for position, row in enumerate(plan.rows)
        ]
        ImportPreviewRow.objects.bulk_create(stored, batch_size=BATCH_ROWS)
        audit.record(
            action=audit_actions.PREVIEW_CREATED,
            actor=actor,
            entity=preview,
            new={"art": ImportType.EXCEL_SYNC, "zeilen": sum(r for _, r in plan.sheets)}
            | plan.counts,
        )
    return preview


def row_changes(stored: ImportPreviewRow):
    """(German field label, old shown, new shown) per changed field of a stored row."""
    from imports.models import display_value

    old = stored.values.get("_alt", {})
    return [
        (field_label(name), display_value(name, old.get(name)), display_value(name, new))
        for name, new in stored.fills.items()
    ]


@dataclass
class SyncResult:
    log: ImportLog
    applied: int
    refused: list[tuple[int, str]]


def sync_confirm(*, preview: ImportPreview, actor) -> SyncResult:
    """Apply every changed row in one transaction; a case saved since the export is refused
    (the others apply). Raises PreviewClosed when the preview is no longer open."""
    with transaction.atomic():
        locked = ImportPreview.objects.select_for_update().get(pk=preview.pk)
        message = locked.closed_message()
        if message:
            raise PreviewClosed(f"{message} Es wurde nichts geändert.")
        applied, refused, updated = 0, [], []
        errors = [
            {"row": r.row_number, "column": None, "message": p["message"]}
            for r in locked.rows.filter(kind=RowOutcome.FEHLER)
            for p in r.errors
        ]
        for stored in locked.rows.filter(kind=RowOutcome.UPDATE).order_by("position"):
            values = decode_values(stored.fills)
            based_on = dt.datetime.fromisoformat(stored.values["_stand"])
            try:
                with transaction.atomic():
                    saved = case_update(
                        case=stored.case_id, values=values, based_on=based_on, actor=actor
                    )
            except CaseConflict:
                text = stale_message(stored.case_id)
            except ValidationError as exc:
                text = "; ".join(exc.messages)
            except Case.DoesNotExist:
                text = "Den Fall gibt es nicht mehr."
            else:
                applied += 1
                updated.append({"id": stored.case_id, "fields": sorted(saved.changed)})
                continue
            refused.append((stored.row_number, text))
            errors.append({"row": stored.row_number, "column": None, "message": text})
        counts = locked.counts
        log = ImportLog.objects.create(
            file_name=locked.file_name,
            import_type=ImportType.EXCEL_SYNC,
            sha256=locked.sha256,
            rows_read=sum(s["rows_read"] for s in locked.sheets),
            updated=applied,
            skipped=counts.get(RowOutcome.DUPLIKAT, 0),
            errors=counts.get(RowOutcome.FEHLER, 0) + len(refused),
            warnings=counts.get("warnungen", 0),
            details={
                "created_case_ids": [],
                "updated_case_ids": updated,
                "errors": errors[:1000],
                "warnings": [],
                "notices": [
                    {"row": None, "column": None, "message": n["message"]} for n in locked.notices
                ],
            },
            user=actor.user,
        )
        audit.record(
            action=audit_actions.IMPORTED[ImportType.EXCEL_SYNC],
            actor=actor,
            entity=log,
            new={
                "import_log_ids": [log.pk],
                RowOutcome.UPDATE: applied,
                RowOutcome.FEHLER: log.errors,
            },
        )
        locked.state = PreviewState.BESTAETIGT
        locked.confirmed_at = timezone.now()
        locked.import_log_ids = [log.pk]
        locked.save(update_fields=["state", "confirmed_at", "import_log_ids"])
        audit.record(
            action=audit_actions.PREVIEW_CONFIRMED,
            actor=actor,
            entity=locked,
            old={"status": PreviewState.OFFEN},
            new={"status": PreviewState.BESTAETIGT, "import_log_ids": [log.pk]},
        )
    preview.refresh_from_db()
    return SyncResult(log=log, applied=applied, refused=refused)
