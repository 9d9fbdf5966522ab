"""The server-side preview of an upload (formats.md §1): stored for its uploader, then confirmed
once or discarded. Creating, confirming and discarding each write one audit entry on the
preview with ids and counts only, never the file name (it may carry a patient's name).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from imports import audit_actions
from imports.models import ImportPreview, ImportPreviewRow, PreviewState
from imports.outcomes import count_outcomes, log_totals
from imports.readers.base import ERROR, NOTICE, WARNING, ParsedRow, Problem
from imports.services import ImportPlan, import_commit
from imports.values import decode_values, encode_values

# Rows go to the database in batches of at most this many rows and about this many bytes of
# text, so that one INSERT stays far below MariaDB's max_allowed_packet (16 MiB by default)
# even when every row carries long free texts.
BATCH_ROWS = 1000
BATCH_BYTES = 4 * 1024 * 1024


class PreviewClosed(Exception):
    """The preview can no longer be confirmed or discarded; ``message`` says why, in German."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def preview_create(*, plan: ImportPlan, actor, sheet="") -> ImportPreview:
    """Store a classified plan as a preview of the acting user; stale previews go first."""
    if actor.user is None:
        raise ValueError("a preview belongs to a user; the command line imports directly")
    now = timezone.now()
    with transaction.atomic():
        ImportPreview.objects.stale().delete()
        preview = ImportPreview.objects.create(
            user=actor.user,
            import_type=plan.import_type,
            file_name=plan.file_name[:255],
            sha256=plan.sha256,
            sheet=sheet or "",
            counts=plan.counts,
            sheets=_sheet_counts(plan),
            notices=[
                {"column": p.column, "message": p.message, "sheet": p.sheet or ""}
                for p in plan.notices
            ],
            created_at=now,
            expires_at=now + timedelta(minutes=settings.IMPORT_PREVIEW_TTL_MINUTES),
        )
        _store_rows(preview, plan)
        audit.record(
            action=audit_actions.PREVIEW_CREATED,
            actor=actor,
            entity=preview,
            new={"art": plan.import_type, "zeilen": plan.rows_read, **plan.counts},
        )
    return preview


def _store_rows(preview, plan):
    batch, size = [], 0
    for position, outcome in enumerate(plan.outcomes):
        row = outcome.row
        stored = ImportPreviewRow(
            preview=preview,
            position=position,
            row_number=row.row_number,
            sheet=row.sheet or "",
            kind=outcome.kind,
            values=encode_values(row.values),
            fills=encode_values(outcome.fills),
            errors=[_problem(p) for p in row.errors],
            warnings=[_problem(p) for p in row.warnings],
            notes=list(outcome.notes),
            has_warnings=bool(row.warnings or outcome.notes),
            duplicate_of_row=outcome.duplicate_of_row,
            case_id=outcome.case_id,
        )
        batch.append(stored)
        size += _text_size(stored)
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            ImportPreviewRow.objects.bulk_create(batch)
            batch, size = [], 0
    ImportPreviewRow.objects.bulk_create(batch)


def _text_size(stored):
    """A cheap upper bound of the row's text in characters (problems are capped by the
    readers; the values are what can be long)."""
    size = 200 * (len(stored.errors) + len(stored.warnings) + len(stored.notes))
    for values in (stored.values, stored.fills):
        size += sum(len(v) if isinstance(v, str) else 16 for v in values.values())
    return size


def _problem(problem):
    return {"column": problem.column, "value": problem.value, "message": problem.message}


def _sheet_counts(plan):
    by_sheet = {name: [] for name, _ in plan.sheets}
    for outcome in plan.outcomes:
        by_sheet.setdefault(outcome.row.sheet or "", []).append(outcome.kind)
    rows_read = dict(plan.sheets)
    return [
        {"name": name, "rows_read": rows_read.get(name, 0), "counts": count_outcomes(kinds)}
        for name, kinds in by_sheet.items()
    ]


def preview_plan(*, preview: ImportPreview) -> ImportPlan:
    """The ImportPlan again, from the stored rows in file order (not yet classified)."""
    rows = []
    for stored in preview.rows.order_by("position").iterator(chunk_size=BATCH_ROWS):
        sheet = stored.sheet or None

        def problems(items, level, number=stored.row_number, sheet=sheet):
            return [
                Problem(number, p["column"], p.get("value"), p["message"], level, sheet)
                for p in items
            ]

        rows.append(
            ParsedRow(
                row_number=stored.row_number,
                sheet=sheet,
                values=decode_values(stored.values),
                errors=problems(stored.errors, ERROR),
                warnings=problems(stored.warnings, WARNING),
            )
        )
    return ImportPlan(
        import_type=preview.import_type,
        file_name=preview.file_name,
        sha256=preview.sha256,
        rows=rows,
        notices=[
            Problem(None, n.get("column"), None, n["message"], NOTICE, n.get("sheet") or None)
            for n in preview.notices
        ],
        sheets=[(s["name"], s["rows_read"]) for s in preview.sheets],
    )


def preview_confirm(*, preview: ImportPreview, actor) -> list:
    """Import the stored rows once; raises PreviewClosed, or ImportFailed (nothing written).

    The import itself is audited by import_commit (entity: the import log); this entry says
    which preview was confirmed into which logs.
    """
    with transaction.atomic():
        # The row lock makes a second, simultaneous confirm wait and then see "bestätigt".
        locked = ImportPreview.objects.select_for_update().get(pk=preview.pk)
        message = locked.closed_message()
        if message:
            raise PreviewClosed(f"{message} Es wurde nichts importiert.")
        logs = import_commit(plan=preview_plan(preview=locked), actor=actor)
        locked.state = PreviewState.BESTAETIGT
        locked.confirmed_at = timezone.now()
        locked.import_log_ids = [log.pk for log in logs]
        locked.save(update_fields=["state", "confirmed_at", "import_log_ids"])
        audit.record(
            action=audit_actions.PREVIEW_CONFIRMED,
            actor=actor,
            entity=locked,
            old={"status": PreviewState.OFFEN},
            new={
                "status": PreviewState.BESTAETIGT,
                "import_log_ids": locked.import_log_ids,
                **log_totals(logs),
            },
        )
    preview.refresh_from_db()
    return logs


def preview_discard(*, preview: ImportPreview, actor) -> None:
    """Discard an open preview (also an expired one: it is then gone from the open list)."""
    with transaction.atomic():
        locked = ImportPreview.objects.select_for_update().get(pk=preview.pk)
        if locked.state != PreviewState.OFFEN:
            raise PreviewClosed(locked.closed_message())
        locked.state = PreviewState.VERWORFEN
        locked.save(update_fields=["state"])
        audit.record(
            action=audit_actions.PREVIEW_DISCARDED,
            actor=actor,
            entity=locked,
            old={"status": PreviewState.OFFEN},
            new={"status": PreviewState.VERWORFEN},
        )
    preview.refresh_from_db()
