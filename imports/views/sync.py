"""Excel-Sync (issue 13, formats.md §2): export every case or one year as the Abrechnung
workbook with Fall-ID, upload the edited workbook, preview every changed field, confirm or
discard. Admins only: the sync changes any field of any case (domain.md §2, "edit every case
field"); DAK staff export what they see from the case list instead."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import ADMIN, requires
from cases.models import Case
from imports import previews
from imports.forms import SyncExportForm, SyncUploadForm
from imports.models import ImportLog, ImportPreview, ImportType
from imports.outcomes import RowOutcome
from imports.previews import PreviewClosed
from imports.readers.base import FileRejected, format_size
from imports.sync import row_changes, sync_confirm, sync_prepare, sync_preview_create
from imports.sync_export import CONTENT_TYPE, export_cases

ROWS_PER_PAGE = 50
WARNINGS_TAB = "warnungen"
TABS = [
    (RowOutcome.UPDATE.value, "Änderungen"),
    (RowOutcome.FEHLER.value, "Fehler"),
    (WARNINGS_TAB, "mit Warnungen"),
]


def _years():
    return list(Case.objects.order_by("-jahr").values_list("jahr", flat=True).distinct())


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def sync_page(request):
    """The page: export form (all or one year) and the upload of an edited export."""
    upload = SyncUploadForm(request.POST, request.FILES) if request.method == "POST" else None
    if upload is not None and upload.is_valid():
        try:
            plan = sync_prepare(data=upload.file_bytes(), file_name=upload.file_name)
        except FileRejected as exc:
            upload.add_error("file", exc.message)
        else:
            preview = sync_preview_create(plan=plan, actor=Actor.from_request(request))
            if request.htmx:
                return HttpResponseClientRedirect(preview.get_absolute_url())
            return redirect(preview.get_absolute_url())
    context = {
        "form": upload or SyncUploadForm(),
        "export_form": SyncExportForm(years=_years()),
        "upload_url": request.path,
        "max_size": format_size(settings.IMPORT_MAX_BYTES),
        "ttl_minutes": settings.IMPORT_PREVIEW_TTL_MINUTES,
        "submit_label": "Hochladen und Änderungen prüfen",
    }
    if request.htmx:
        return render(request, "imports/partials/upload_form.html", context)
    return render(request, "imports/sync.html", context)


@requires(ADMIN)
@require_GET
def sync_export(request):
    form = SyncExportForm(request.GET, years=_years())
    if not form.is_valid():
        messages.error(request, "Bitte wählen Sie „alle Jahre“ oder ein Jahr aus der Liste.")
        return redirect("imports:sync")
    jahr = form.cleaned_data["jahr"]
    export = export_cases(jahr=jahr)
    audit.record_read(
        request,
        action=audit.DOWNLOAD,
        entity_type="cases.case",
        details={"datei": export.file_name, "zeilen": export.cases, "jahr": jahr or "alle"},
    )
    response = FileResponse(
        export.file, as_attachment=True, filename=export.file_name, content_type=CONTENT_TYPE
    )
    add_never_cache_headers(response)
    return response


def _get_preview(request, pk):
    # Someone else's preview does not exist as far as this user is concerned.
    return get_object_or_404(
        ImportPreview, pk=pk, user=request.user, import_type=ImportType.EXCEL_SYNC
    )


@requires(ADMIN)
@require_GET
def sync_preview(request, pk):
    preview = _get_preview(request, pk)
    counts = preview.counts
    tab = request.GET.get("art")
    if tab not in dict(TABS):
        tab = next((key for key, _ in TABS if counts.get(key)), RowOutcome.UPDATE.value)
    rows = preview.rows.select_related("case")
    rows = rows.filter(has_warnings=True) if tab == WARNINGS_TAB else rows.filter(kind=tab)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("seite"))
    audit.record_read(request, preview, details={"ansicht": tab, "seite": page.number})
    for stored in page:
        stored.changes = row_changes(stored)
    context = {
        "preview": preview,
        "tab": tab,
        "tabs": [(key, label, counts.get(key, 0)) for key, label in TABS],
        "unchanged": counts.get(RowOutcome.DUPLIKAT, 0),
        "page": page,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "imports/partials/sync_rows.html", context)
    else:
        context |= {
            "closed_message": preview.closed_message(),
            "logs": ImportLog.objects.filter(pk__in=preview.import_log_ids),
        }
        response = render(request, "imports/sync_preview.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(ADMIN)
@require_POST
def sync_preview_confirm(request, pk):
    preview = _get_preview(request, pk)
    try:
        result = sync_confirm(preview=preview, actor=Actor.from_request(request))
    except PreviewClosed as exc:
        messages.error(request, exc.message)
        return redirect(preview.get_absolute_url())
    text = f"Excel-Sync übernommen: {result.applied} Fälle geändert."
    if result.refused:
        messages.warning(
            request,
            f"{text} {len(result.refused)} Fälle wurden nicht geändert, weil sie nach dem Export "
            "gespeichert wurden oder die Änderung nicht zulässig war; siehe Importprotokoll.",
        )
    else:
        messages.success(request, text)
    return redirect("imports:log_detail", pk=result.log.pk)


@requires(ADMIN)
@require_POST
def sync_preview_discard(request, pk):
    preview = _get_preview(request, pk)
    try:
        previews.preview_discard(preview=preview, actor=Actor.from_request(request))
    except PreviewClosed as exc:
        messages.error(request, exc.message)
        return redirect(preview.get_absolute_url())
    messages.info(request, "Die Vorschau des Excel-Syncs wurde verworfen; nichts wurde geändert.")
    return redirect("imports:sync")
