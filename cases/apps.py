from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Fälle"

    def ready(self):
        from accounts import audit
        from cases import audit_actions

        # The audit log names case actions in German and links a case to its portal page.
        audit.register_action_labels(audit_actions.LABELS)
        audit.register_entity_pages({"cases.case": ("cases:detail", True)})
        # What the case list's read and download entries store besides page and file.
        audit.register_field_labels(
            {"filter": "Filter", "suche": "mit Suche", "faelle": "Angezeigte Fälle"}
        )
