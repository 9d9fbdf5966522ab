"""The reports page (everyone logged in): generated weekly reports, their download, sheet 1
previewed and the cells changed against the previous version; admins generate."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import ADMIN, LOGGED_IN, requires, user_may
from reports.cells import format_value, sheet_table
from reports.forms import GenerateForm
from reports.models import WeeklyReport
from reports.services import ReportError, changes_text, report_generate

PAGE_SIZE = 53
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_COLUMNS = (
    "jahr",
    "kw",
    "version",
    "changed_count",
    "generated_at",
    "generated_by_label",
)


def _list_page(request, form, status=200):
    reports = WeeklyReport.objects.only(*LIST_COLUMNS)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("seite"))
    may_generate = user_may(request.user, ADMIN)
    return render(
        request,
        "reports/list.html",
        {"page": page, "form": form if may_generate else None},
        status=status,
    )


@requires(LOGGED_IN)
@require_GET
def report_list(request):
    return _list_page(request, GenerateForm())


@requires(ADMIN)
@require_POST
def report_generate_view(request):
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        report = report_generate(
            jahr=form.cleaned_data["jahr"],
            kw=form.cleaned_data["kw"],
            actor=Actor.from_request(request),
        )
    except ReportError as error:
        form.add_error("kw", str(error))
        return _list_page(request, form, status=400)
    if report.version == 1:
        messages.success(request, f"{report} erstellt.")
    else:
        messages.success(
            request,
            f"{report} neu erstellt (Fassung {report.version}): "
            f"{changes_text(report.changed_count)}.",
        )
    return redirect("reports:detail", pk=report.pk)


@requires(LOGGED_IN)
@require_GET
def report_detail(request, pk):
    report = get_object_or_404(WeeklyReport, pk=pk)
    changes = [
        {
            **change,
            "alt_text": format_value(change["alt"], change["format"]),
            "neu_text": format_value(change["neu"], change["format"]),
        }
        for change in report.changes
    ]
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "preview": sheet_table(bytes(report.content)),
            "changes": changes,
            "changes_text": changes_text(report.changed_count),
        },
    )


@requires(LOGGED_IN)
@require_GET
def report_download(request, pk):
    report = get_object_or_404(WeeklyReport, pk=pk)
    audit.record_read(
        request,
        report,
        action=audit.DOWNLOAD,
        details={"datei": report.file_name, "version": report.version},
    )
    response = HttpResponse(bytes(report.content), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{report.file_name}"'
    add_never_cache_headers(response)
    return response
