from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Berichte"

    def ready(self):
        from accounts.audit import register_action_labels, register_entity_pages
        from reports import audit_actions

        register_action_labels(audit_actions.LABELS)
        register_entity_pages({"reports.weeklyreport": ("reports:detail", True)})
