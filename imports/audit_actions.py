"""Audit action names of the imports app and their German labels (domain.md §6).

One module for every writer of import audit entries (the preview services, the import commit,
the ICD upload, the read audit of the import pages), so the names are spelled once and the
audit log's filter offers each of them (registered in ``ImportsConfig.ready``).
"""

from imports.models import ImportType
from imports.outcomes import RowOutcome

# An upload became a server-side preview (nothing written to the cases yet).
PREVIEW_CREATED = "import.preview_created"
# The uploader confirmed the preview; the import itself is audited as IMPORTED[import_type].
PREVIEW_CONFIRMED = "import.preview_confirmed"
PREVIEW_DISCARDED = "import.preview_discarded"

# One entry per import (its ImportLog, counts), named by the import type, e.g. "import.icd".
IMPORTED = {value: f"import.{value}" for value in ImportType.values}

LABELS = {
    PREVIEW_CREATED: "Import-Vorschau erstellt (Datei hochgeladen)",
    PREVIEW_CONFIRMED: "Import-Vorschau bestätigt",
    PREVIEW_DISCARDED: "Import-Vorschau verworfen",
    **{IMPORTED[value]: f"Import: {label}" for value, label in ImportType.choices},
}

# German names of the keys these entries store (row outcomes and the like), for the audit
# pages' list of changes. Entries carry ids and counts only, never a file name: a file name
# may carry a patient's name.
FIELD_LABELS = {
    **dict(RowOutcome.choices),
    "warnungen": "mit Warnungen",
    "art": "Art",
    "zeilen": "gelesene Zeilen",
    "status": "Status",
    "import_log_ids": "Importprotokolle",
}
