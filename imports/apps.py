from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Importe"

    def ready(self):
        from accounts import audit
        from imports import audit_actions

        # The audit log's action filter and its rows show these in German; an import log
        # entry links to the log's own page.
        audit.register_action_labels(audit_actions.LABELS)
        audit.register_field_labels(audit_actions.FIELD_LABELS)
        audit.register_entity_pages({"imports.importlog": ("imports:log_detail", True)})
