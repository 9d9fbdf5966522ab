from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Codierung"

    def ready(self):
        from accounts.audit import register_action_labels, register_field_labels
        from coding.catalogue import AUDIT_FIELD_LABELS, AUDIT_LABELS
        from coding.gutachten import AUDIT_LABELS as CODING_AUDIT_LABELS
        from coding.icd import AUDIT_LABELS as ICD_AUDIT_LABELS

        # The audit log's action filter and its rows show these in German.
        register_action_labels(AUDIT_LABELS)
        register_action_labels(CODING_AUDIT_LABELS)
        register_action_labels(ICD_AUDIT_LABELS)
        register_field_labels(AUDIT_FIELD_LABELS)
