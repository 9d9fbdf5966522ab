from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Importe"

    def ready(self):
        from accounts.audit import register_action_labels
        from imports.audit_actions import LABELS

        # The audit log's action filter and its rows show these in German.
        register_action_labels(LABELS)
