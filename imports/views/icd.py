"""Upload of the coded ICD workbook (formats.md §3) for DAK staff and admins."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import DAK_OR_ADMIN, requires
from cases.filters import CaseFilterForm
from imports.forms import IcdUploadForm
from imports.icd_import import icd_workbook_import
from imports.outcomes import RowOutcome
from imports.readers.base import format_size
from imports.services import FileRejected


@requires(DAK_OR_ADMIN)
@require_http_methods(["GET", "POST"])
def icd_upload(request):
    form = (
        IcdUploadForm(request.POST, request.FILES) if request.method == "POST" else IcdUploadForm()
    )
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            log, rows = icd_workbook_import(
                data=form.file_bytes(),
                file_name=form.file_name,
                actor=Actor.from_request(request),
            )
        except FileRejected as exc:
            form.add_error("file", exc.message)
        else:
            # The result lists Fall-IDs and codes: reading it is audited like any other read.
            audit.record_read(request, log)
            result = {
                "log": log,
                "file_name": log.file_name,
                "updated": [r for r in rows if r.status == RowOutcome.UPDATE],
                "unchanged": [r for r in rows if r.status == RowOutcome.DUPLIKAT],
                "errors": [r for r in rows if r.status == RowOutcome.FEHLER],
            }
            form = IcdUploadForm()
    context = {
        "form": form,
        "result": result,
        "upload_url": request.path,
        "max_size": format_size(settings.IMPORT_MAX_BYTES),
        # Jahr/KW/Fallgruppe for the template download (cases:icd_template).
        "template_form": CaseFilterForm(auto_id="vorlage_%s"),
    }
    template = "imports/partials/icd_result.html" if request.htmx else "imports/icd_upload.html"
    return render(request, template, context)
