from django.contrib import admin

from imports.models import ImportLog


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
