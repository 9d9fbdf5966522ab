"""The import overview and the import log (every import, with its details)."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.permissions import ADMIN, requires
from cases.models import Case
from imports.failed_rows import preview_for_log
from imports.forms import LogFilterForm
from imports.models import ImportLog, ImportPreview, field_label
from imports.outcomes import LOG_COUNTERS, RowOutcome

LOGS_PER_PAGE = 25
ITEMS_PER_PAGE = 100


@requires(ADMIN)
@require_GET
def index(request):
    context = {
        "open_previews": ImportPreview.objects.open().filter(user=request.user),
        "recent_logs": ImportLog.objects.select_related("user")[:5],
    }
    return render(request, "imports/index.html", context)


@requires(ADMIN)
@require_GET
def log_list(request):
    form = LogFilterForm(request.GET)
    art = form.cleaned_data["art"] if form.is_valid() else ""
    logs = ImportLog.objects.select_related("user")
    if art:
        logs = logs.filter(import_type=art)
    page = Paginator(logs, LOGS_PER_PAGE).get_page(request.GET.get("seite"))
    context = {"form": form, "page": page, "art": art}
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "imports/partials/log_table.html", context)
    else:
        response = render(request, "imports/log_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(ADMIN)
@require_GET
def log_detail(request, pk):
    log = get_object_or_404(ImportLog.objects.select_related("user"), pk=pk)
    details = log.details or {}
    problems = sorted(
        [{**p, "level": "Fehler"} for p in details.get("errors", [])]
        + [{**p, "level": "Warnung"} for p in details.get("warnings", [])],
        key=lambda p: (p.get("row") or 0, p["level"] != "Fehler"),
    )
    changes = _case_changes(details)
    case_page = Paginator(changes, ITEMS_PER_PAGE).get_page(request.GET.get("faelle"))
    fall_ids = dict(
        Case.objects.filter(pk__in=[c["id"] for c in case_page]).values_list("id", "fall_id")
    )
    problem_page = Paginator(problems, ITEMS_PER_PAGE).get_page(request.GET.get("meldungen"))
    audit.record_read(
        request,
        log,
        details={"seite_faelle": case_page.number, "seite_meldungen": problem_page.number},
    )
    context = {
        "log": log,
        "counts": [
            ("gelesen", log.rows_read, "rows_read"),
            *(
                (outcome.label, getattr(log, counter), counter)
                for outcome, counter in LOG_COUNTERS.items()
            ),
            # Rows, like the other counters; the table below lists each message.
            ("Zeilen mit Warnungen", log.warnings, "warnings"),
        ],
        "notices": details.get("notices", []),
        "problem_page": problem_page,
        "case_page": case_page,
        "case_rows": [{**change, "fall_id": fall_ids.get(change["id"])} for change in case_page],
        # The failed rows can be downloaded while the preview they came from is kept.
        "failed_rows_kept": bool(log.errors) and preview_for_log(log) is not None,
        "same_file": ImportLog.objects.filter(sha256=log.sha256)
        .exclude(pk=log.pk)
        .select_related("user")[:20],
    }
    return render(request, "imports/log_detail.html", context)


def _case_changes(details):
    """Created and updated cases of a log as {id, change, fields}; ICD logs list bare ids."""
    changes = [
        {"id": pk, "change": RowOutcome.NEU.label, "fields": ""}
        for pk in details.get("created_case_ids", [])
    ]
    for item in details.get("updated_case_ids", []):
        if isinstance(item, dict):
            fields = ", ".join(field_label(name) for name in item.get("fields", []))
            changes.append({"id": item["id"], "change": RowOutcome.UPDATE.label, "fields": fields})
        else:
            changes.append({"id": item, "change": RowOutcome.UPDATE.label, "fields": "ICD"})
    return changes
