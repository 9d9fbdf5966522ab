"""Downloads of the failed rows of an upload, from its preview or its import log. Every
download is audited (domain.md §6), named by the server and never cached."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.permissions import ADMIN, requires
from imports.failed_rows import failed_rows_file, preview_for_log
from imports.models import ImportLog, ImportPreview

NOT_KEPT = (
    "Die Zeilen dieses Imports sind nicht mehr gespeichert; die Fehler stehen weiterhin im "
    "Importprotokoll."
)


@requires(ADMIN)
@require_GET
def preview_failed_rows(request, pk):
    # Someone else's preview does not exist as far as this user is concerned (as its page).
    preview = get_object_or_404(ImportPreview, pk=pk, user=request.user)
    return _download(request, preview, failed_rows_file(preview))


@requires(ADMIN)
@require_GET
def log_failed_rows(request, pk):
    log = get_object_or_404(ImportLog, pk=pk)
    preview = preview_for_log(log)
    if preview is None:
        raise Http404(NOT_KEPT)
    # One log per sheet: its own sheet's rows (a CRM export is one sheet named "").
    file = failed_rows_file(preview, sheet=log.sheet, name_suffix=f"_Importprotokoll_{log.pk}")
    return _download(request, log, file)


def _download(request, entity, file):
    audit.record_read(
        request,
        entity,
        action=audit.DOWNLOAD,
        details={"datei": file.file_name, "zeilen": file.rows},
    )
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.file_name}"'
    add_never_cache_headers(response)
    return response
