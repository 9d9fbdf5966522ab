"""Audit action names of the cases app and their German labels (domain.md §6).

Spelled once for every writer of case entries (the case services, later the ICD entry and the
coding services) and registered in ``CasesConfig.ready``, so the audit log's filter offers them
in German. Reads of a case use ``accounts.audit.READ`` through ``audit.record_read``.
"""

# A case entered by hand (quelle = manuell); new values: the fields it was created with.
CASE_CREATED = "case.created"
# An edit on the case page; old and new values of the changed fields only.
CASE_CHANGED = "case.changed"

LABELS = {
    CASE_CREATED: "Fall angelegt",
    CASE_CHANGED: "Fall geändert",
}
