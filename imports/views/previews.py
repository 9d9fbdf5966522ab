"""Upload → server-side preview → confirm or discard, for the CRM CSV and the historical
workbook (formats.md §1–2)."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import ADMIN, requires
from imports import previews
from imports.forms import CsvUploadForm, HistoricalUploadForm
from imports.models import ImportLog, ImportPreview, ImportType
from imports.outcomes import RowOutcome, log_totals, totals_text
from imports.previews import PreviewClosed
from imports.readers.base import format_size
from imports.services import FileRejected, ImportFailed, import_prepare

ROWS_PER_PAGE = 50
WARNINGS_TAB = "warnungen"
TABS = [*RowOutcome.choices, (WARNINGS_TAB, "mit Warnungen")]
UPLOAD_URL = {ImportType.CRM_CSV: "imports:csv", ImportType.HISTORISCH: "imports:historical"}


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def csv_upload(request):
    return _upload(request, ImportType.CRM_CSV, CsvUploadForm, "imports/csv_upload.html")


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def historical_upload(request):
    return _upload(
        request, ImportType.HISTORISCH, HistoricalUploadForm, "imports/historical_upload.html"
    )


def _upload(request, import_type, form_class, template):
    form = form_class(request.POST, request.FILES) if request.method == "POST" else form_class()
    if request.method == "POST" and form.is_valid():
        sheet = form.cleaned_data.get("sheet") or ""
        try:
            plan = import_prepare(
                import_type=import_type,
                data=form.file_bytes(),
                file_name=form.file_name,
                sheet=sheet or None,
            )
            if not plan.rows:
                raise FileRejected(
                    "Die Datei enthält keine Datenzeilen; es gibt nichts zu importieren."
                )
        except FileRejected as exc:
            form.add_error("file", exc.message)
        else:
            preview = previews.preview_create(
                plan=plan, actor=Actor.from_request(request), sheet=sheet
            )
            if request.htmx:
                return HttpResponseClientRedirect(preview.get_absolute_url())
            return redirect(preview)
    context = {
        "form": form,
        "upload_url": request.path,
        "max_size": format_size(settings.IMPORT_MAX_BYTES),
        "ttl_minutes": settings.IMPORT_PREVIEW_TTL_MINUTES,
    }
    if request.htmx:
        return render(request, "imports/partials/upload_form.html", context)
    return render(request, template, context)


def _get_preview(request, pk):
    # Someone else's preview does not exist as far as this user is concerned; an Excel-Sync
    # preview has its own pages (imports.views.sync).
    return get_object_or_404(
        ImportPreview.objects.exclude(import_type=ImportType.EXCEL_SYNC), pk=pk, user=request.user
    )


@requires(ADMIN)
@require_GET
def preview_detail(request, pk):
    preview = _get_preview(request, pk)
    counts = preview.counts
    tab = request.GET.get("art")
    if tab not in dict(TABS):
        tab = next((kind for kind in RowOutcome.values if counts.get(kind)), RowOutcome.NEU)
    rows = preview.rows.select_related("case")
    rows = rows.filter(has_warnings=True) if tab == WARNINGS_TAB else rows.filter(kind=tab)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("seite"))
    # Every page of rows shown is a read of patient data, the HTMX tab swaps included.
    audit.record_read(request, preview, details={"ansicht": tab, "seite": page.number})
    context = {
        "preview": preview,
        "tab": tab,
        "tabs": [
            (key, label, counts.get(key, 0) if key != WARNINGS_TAB else counts.get("warnungen", 0))
            for key, label in TABS
        ],
        "page": page,
        "multi_sheet": len(preview.sheets) > 1 or preview.import_type == ImportType.HISTORISCH,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "imports/partials/preview_rows.html", context)
    else:
        context |= {
            "closed_message": preview.closed_message(),
            "previous_import": ImportLog.objects.filter(
                sha256=preview.sha256, import_type=preview.import_type
            )
            .exclude(pk__in=preview.import_log_ids)
            .select_related("user")
            .first(),
            "logs": ImportLog.objects.filter(pk__in=preview.import_log_ids),
            "upload_url": reverse(UPLOAD_URL[preview.import_type]),
        }
        response = render(request, "imports/preview.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@requires(ADMIN)
@require_POST
def preview_confirm(request, pk):
    preview = _get_preview(request, pk)
    try:
        logs = previews.preview_confirm(preview=preview, actor=Actor.from_request(request))
    except (PreviewClosed, ImportFailed) as exc:
        messages.error(request, exc.message)
        return redirect(preview)
    messages.success(request, _summary(logs))
    return redirect("imports:log_detail", pk=logs[0].pk)


@requires(ADMIN)
@require_POST
def preview_discard(request, pk):
    preview = _get_preview(request, pk)
    try:
        previews.preview_discard(preview=preview, actor=Actor.from_request(request))
    except PreviewClosed as exc:
        messages.error(request, exc.message)
        return redirect(preview)
    messages.info(
        request, f"Die Vorschau von „{preview.file_name}“ wurde verworfen; nichts wurde importiert."
    )
    return redirect(UPLOAD_URL[preview.import_type])


def _summary(logs):
    text = f"Import abgeschlossen – {totals_text(log_totals(logs))}"
    if len(logs) > 1:
        text += f" ({len(logs)} Tabellenblätter, je ein Importprotokoll)"
    return text + "."
