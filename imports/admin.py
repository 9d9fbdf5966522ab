from django.contrib import admin

from imports.models import ImportLog, ImportPreview, ImportPreviewRow


@admin.register(ImportLog)
class ImportLogAdmin(admin.ModelAdmin):
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

    # An import log is a record of what happened: it is never edited or deleted by hand.
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Previews are written by the upload page only; the admin just looks."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportPreview)
class ImportPreviewAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "import_type", "file_name", "user", "state", "expires_at")
    list_filter = ("import_type", "state")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "created_at"


@admin.register(ImportPreviewRow)
class ImportPreviewRowAdmin(ReadOnlyAdmin):
    list_display = ("preview", "position", "row_number", "sheet", "kind", "case")
    list_filter = ("kind",)
    list_select_related = ("preview", "case")
    raw_id_fields = ("preview", "case")
    # Previews can hold 100,000 rows: no COUNT(*) of the whole table on every page.
    show_full_result_count = False
