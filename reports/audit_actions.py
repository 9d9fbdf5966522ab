"""Audit action names of the reports app (shared by its services and AppConfig.ready)."""

REPORT_GENERATED = "report_generated"

LABELS = {
    REPORT_GENERATED: "Bericht erstellt",
}
