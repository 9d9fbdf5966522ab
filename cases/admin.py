from django.contrib import admin

from accounts.admin_audit import AuditedModelAdmin, ReadAuditedMixin
from accounts.admin_search import SessionSearchMixin
from cases import rules
from cases.models import Case, CaseICDCode, replace_icd_codes


class StatusFilter(admin.SimpleListFilter):
    title = "Status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return rules.STATUS_CHOICES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.with_status(self.value())
        return queryset


class CaseICDCodeInline(admin.TabularInline):
    """The codes follow the case's ICD field; they are shown, not edited, here."""

    model = CaseICDCode
    extra = 0
    fields = ("icd_code", "icd_hauptgruppe", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(SessionSearchMixin, ReadAuditedMixin, AuditedModelAdmin):
    # Searched by surname and KVNR: the term goes by POST into the session, never into a URL;
    # opening a case is audited as a read.
    list_display = (
        "fall_id",
        "jahr",
        "kw",
        "datum",
        "fallgruppe",
        "nachname",
        "vorname",
        "status_label",
        "icd",
        "gutachten_typ",
    )
    list_filter = ("jahr", "fallgruppe", StatusFilter, "quelle", "gutachten", "abgerechnet")
    search_fields = ("fall_id", "nachname", "vorname", "kvnr", "crm_ticket_id")
    date_hierarchy = "datum"
    readonly_fields = (
        "fall_id",
        "jahr",
        "kw",
        "import_log",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "coding_by",
        "coding_at",
        "icd_entered_by",
        "icd_entered_at",
    )
    inlines = [CaseICDCodeInline]
    list_per_page = 50
    show_full_result_count = False
    list_select_related = False
    fieldsets = (
        (
            "Fall",
            {
                "fields": (
                    "fall_id",
                    "crm_ticket_id",
                    "quelle",
                    "import_log",
                    "datum",
                    "jahr",
                    "kw",
                    "fallgruppe",
                    "thema",
                )
            },
        ),
        (
            "Person",
            {
                "fields": (
                    "nachname",
                    "vorname",
                    "geburtsdatum",
                    "kvnr",
                    "geschlecht",
                    "telefon",
                    "email",
                )
            },
        ),
        (
            "Beratung",
            {
                "fields": (
                    "bearbeiter",
                    "kontaktkanal",
                    "kurzbeschreibung",
                    "fragestellung",
                    "behandelnde_klinik",
                )
            },
        ),
        (
            "Unterlagen / Abschluss",
            {
                "fields": (
                    "unterlagen",
                    "unterlagen_angefordert_am",
                    "unterlagen_eingang_am",
                    "ablehnung",
                    "ablehnungsgrund",
                    "abbruch",
                    "abbruchgrund",
                    "abbruch_am",
                )
            },
        ),
        (
            "Gutachten",
            {
                "fields": (
                    "gutachten",
                    "gutachter",
                    "gutachten_am",
                    "gutachten_typ",
                    "therapieaenderung",
                    "ta_diagnosekorrektur",
                    "ta_unterversorgung",
                    "ta_uebertherapie",
                    "coding_by",
                    "coding_at",
                )
            },
        ),
        ("ICD", {"fields": ("icd", "icd_entered_by", "icd_entered_at")}),
        (
            "Abrechnung",
            {
                "fields": (
                    "abgerechnet",
                    "abrechnungsdatum",
                    "rechnungsnummer",
                    "betrag",
                    "bemerkung",
                )
            },
        ),
        ("Verlauf", {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
    )

    @admin.display(description="Status")
    def status_label(self, obj):
        return obj.status_label

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        if "icd" in form.changed_data:
            replace_icd_codes(obj)
