"""Upload of a coded ICD workbook (formats.md §3): check every row, then save the valid ones in
one transaction; rows in error never block the others.

Row outcomes are the imports' own (imports.outcomes.RowOutcome): a saved row is an
Aktualisierung of its case, a row that changes nothing (the case has these codes already, or
the row repeats an earlier one) a Duplikat, a row that cannot be saved a Fehler."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationType, Role
from cases import rules
from cases.models import Case
from coding.icd import icd_apply, stored_codes
from imports import audit_actions
from imports.models import ImportLog, ImportType
from imports.outcomes import LOG_COUNTERS, RowOutcome, count_outcomes
from imports.readers.icd_workbook import read_icd_workbook
from imports.readers.safety import refuse_macro_file_name
from imports.services import file_sha256


@dataclass
class IcdRowResult:
    row_number: int
    fall_id: str
    status: RowOutcome
    icd: str = ""
    message: str = ""
    case_id: int | None = None


def icd_workbook_check(data: bytes) -> list[IcdRowResult]:
    """Read the workbook and decide per row (no writes); raises FileRejected for a bad file."""
    result = read_icd_workbook(data, max_bytes=settings.IMPORT_MAX_BYTES)
    rows = []
    for row in result.rows:
        fall_id = rules.clean_text(row.values.get("fall_id"))
        item = IcdRowResult(row_number=row.row_number, fall_id=fall_id, status=RowOutcome.FEHLER)
        if not row.ok:
            item.message = "; ".join(p.message for p in row.errors)
        else:
            try:
                codes = rules.parse_icd(row.values.get("icd_raw"))
                item.icd = rules.icd_join(codes)
                item.status = RowOutcome.UPDATE
            except rules.RuleError as exc:
                item.message = exc.message
        rows.append(item)

    cases = {
        c.fall_id: c
        for c in Case.objects.filter(fall_id__in={r.fall_id for r in rows if r.fall_id}).only(
            "id", "fall_id", "icd"
        )
    }
    by_fall_id = {}
    for item in rows:
        if item.status == RowOutcome.FEHLER:
            continue
        case = cases.get(item.fall_id)
        if case is None:
            item.status = RowOutcome.FEHLER
            item.message = "Unbekannte Fall-ID."
            continue
        item.case_id = case.pk
        by_fall_id.setdefault(item.fall_id, []).append(item)

    for items in by_fall_id.values():
        code_sets = {frozenset(rules.parse_icd(i.icd)) for i in items}
        if len(code_sets) > 1:
            for i in items:
                i.status = RowOutcome.FEHLER
                i.message = (
                    "Dieselbe Fall-ID steht mehrfach mit verschiedenen ICD-Codes in der Datei."
                )
            continue
        case = cases[items[0].fall_id]
        same = bool(case.icd) and set(stored_codes(case)) == code_sets.pop()
        for n, i in enumerate(items):
            if same or n > 0:
                i.status = RowOutcome.DUPLIKAT
                i.message = "Der Fall hat bereits diese Codes." if same else "Wiederholte Zeile."
    return rows


def icd_workbook_import(*, data: bytes, file_name: str, actor):
    """Check and save a coded workbook as ``actor`` (accounts.actor.Actor); returns
    (ImportLog, row results)."""
    from accounts import audit, notifications

    user = actor.user
    refuse_macro_file_name(file_name)
    rows = icd_workbook_check(data)
    to_save = [r for r in rows if r.status == RowOutcome.UPDATE]
    now = timezone.now()
    with transaction.atomic():
        cases = Case.objects.select_for_update().in_bulk([r.case_id for r in to_save])
        for item in to_save:
            # The saving code of the inline entry; the audit entry is the upload's one below.
            change = icd_apply(
                case=cases[item.case_id], codes=rules.parse_icd(item.icd), actor=actor, now=now
            )
            if change is None:
                item.status = RowOutcome.DUPLIKAT
                item.message = "Der Fall hat bereits diese Codes."
        saved = [r for r in rows if r.status == RowOutcome.UPDATE]
        counts = count_outcomes(r.status for r in rows)
        log = ImportLog.objects.create(
            file_name=file_name,
            import_type=ImportType.ICD,
            sha256=file_sha256(data),
            rows_read=len(rows),
            **{counter: counts[outcome] for outcome, counter in LOG_COUNTERS.items()},
            user=user,
            details={
                "updated_case_ids": [r.case_id for r in saved],
                "errors": [
                    {"row": r.row_number, "column": "ICD", "message": r.message}
                    for r in rows
                    if r.status == RowOutcome.FEHLER
                ],
            },
        )
        audit.record(
            action=audit_actions.IMPORTED[ImportType.ICD],
            actor=actor,
            entity=log,
            new={"import_log_ids": [log.pk], **counts},
        )
        if saved and user is not None and user.role == Role.DAK_MITARBEITER:
            notifications.notify(
                NotificationType.ICD_UPLOADED,
                actor=actor,
                title="ICD-Codierung hochgeladen",
                message=f"{len(saved)} Fälle wurden per ICD-Arbeitsmappe codiert.",
                link=reverse("imports:log_detail", args=[log.pk]),
                obj=log,
            )
    return log, rows
