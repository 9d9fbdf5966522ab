from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from accounts.admin_audit import ReadAuditedMixin
from accounts.admin_search import SessionSearchMixin
from imports.models import ImportLog, ImportPreview, ImportPreviewRow


# Import logs and previews are records of what happened, written by the import service only:
# the admin shows them and never edits or deletes them.
@admin.register(ImportLog)
class ImportLogAdmin(SessionSearchMixin, ReadAuditedMixin, ReadOnlyAdmin):
    # The details list rows with their values: reading them is audited. File names can carry
    # a name, so the search term stays out of the URL too.
    list_display = (
        "created_at",
        "import_type",
        "file_name",
        "sheet",
        "user",
        "imported",
        "updated",
        "skipped",
        "errors",
    )
    list_filter = ("import_type",)
    search_fields = ("file_name", "sha256")
    date_hierarchy = "created_at"


@admin.register(ImportPreview)
class ImportPreviewAdmin(SessionSearchMixin, ReadOnlyAdmin):
    list_display = ("created_at", "import_type", "file_name", "user", "state", "expires_at")
    list_filter = ("import_type", "state")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "created_at"


@admin.register(ImportPreviewRow)
class ImportPreviewRowAdmin(ReadAuditedMixin, ReadOnlyAdmin):
    # A row's values are a person's data: opening one is audited.
    list_display = ("preview", "position", "row_number", "sheet", "kind", "case")
    list_filter = ("kind",)
    list_select_related = ("preview", "case")
    raw_id_fields = ("preview", "case")
    # Previews can hold 100,000 rows: no COUNT(*) of the whole table on every page.
    show_full_result_count = False
