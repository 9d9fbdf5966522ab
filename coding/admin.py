from django.contrib import admin
from django.db.models import Q

from accounts.admin import ReadOnlyAdmin
from accounts.admin_search import SessionSearchMixin
from coding.models import ICDCatalogueEntry, ICDCatalogueVersion


# The catalogue is written by load_icd_catalogue only: the admin shows it, never edits it.
@admin.register(ICDCatalogueVersion)
class ICDCatalogueVersionAdmin(ReadOnlyAdmin):
    list_display = ("year", "file_name", "code_count", "terminal_count", "loaded_at", "loaded_by")


@admin.register(ICDCatalogueEntry)
class ICDCatalogueEntryAdmin(SessionSearchMixin, ReadOnlyAdmin):
    # Session search: a code looked up while coding a case is a hint at that case's diagnosis,
    # so the term stays out of URLs and access logs like every other search.
    list_display = ("code", "title", "level", "terminal", "version")
    list_filter = ("terminal", "level")
    list_select_related = ("version",)
    search_fields = ("code", "title")
    list_per_page = 100

    def get_search_results(self, request, queryset, search_term):
        # The code column compares exactly (binary collation on MariaDB), so the admin's
        # icontains would be case-sensitive there: codes are stored upper case, so the term
        # is upper-cased and matched as a prefix ("c50" finds C50, C50.1, …).
        term = search_term.strip()
        if not term:
            return queryset, False
        return (
            queryset.filter(Q(code__startswith=term.upper()) | Q(title__icontains=term)),
            False,
        )
