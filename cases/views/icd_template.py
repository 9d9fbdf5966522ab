"""Download of the ICD coding template (formats.md §3) for the case list's current filter."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.permissions import DAK_OR_ADMIN, requires
from cases import icd_template
from cases.filters import CaseFilterForm
from cases.selectors import case_list
from cases.views.list import SEARCH_SESSION_KEY, list_url


@requires(DAK_OR_ADMIN)
@require_GET
def icd_template_download(request):
    """The pending-ICD cases of the list's filters (and search, like the export) as the
    template, sorted by datum then fall_id whatever the list's sort; audited."""
    form = CaseFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Die Codiervorlage ist nicht möglich: die Filter enthalten Fehler.")
        return redirect(list_url(request.GET.urlencode()))
    # From the list the template follows its search too (as the export does); the ICD upload
    # page's form asks for Jahr/KW/Fallgruppe alone (`ohne_suche`), whatever the list searched.
    search = "" if request.GET.get("ohne_suche") else request.session.get(SEARCH_SESSION_KEY, "")
    cases = icd_template.template_cases(
        case_list(user=request.user, filters=form.filters, search=search)
    )
    if cases.order_by()[: icd_template.MAX_ROWS + 1].count() > icd_template.MAX_ROWS:
        messages.error(
            request,
            f"Mehr als {icd_template.MAX_ROWS:,} Fälle ohne ICD passen zur Liste; so viele "
            "lassen sich nicht in eine Codiervorlage schreiben. Bitte grenzen Sie die Liste "
            "ein (z. B. nach Jahr oder KW).".replace(",", "."),
        )
        return redirect(list_url(form.query_string()))
    file_name = f"Codiervorlage_{timezone.localdate():%Y-%m-%d}.xlsx"
    content, rows = icd_template.icd_template_xlsx(cases)
    audit.record_read(
        request,
        action=audit.DOWNLOAD,
        entity_type="cases.case",
        details={
            "datei": file_name,
            "zeilen": rows,
            "filter": form.query_string(),
            "suche": bool(search),
        },
    )
    return FileResponse(
        content, as_attachment=True, filename=file_name, content_type=icd_template.CONTENT_TYPE
    )
