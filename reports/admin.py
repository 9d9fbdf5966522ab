from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from reports.models import YearlySummary


# Yearly summaries are written by build_yearly_summary / import_berichtswesen only (each
# audited): the admin shows them and never edits them.
@admin.register(YearlySummary)
class YearlySummaryAdmin(ReadOnlyAdmin):
    list_display = (
        "jahr",
        "bis_kw",
        "erstberatungen",
        "gutachten",
        "source",
        "source_file",
        "updated_at",
        "updated_by",
    )
    list_filter = ("source",)
    ordering = ("-jahr",)
