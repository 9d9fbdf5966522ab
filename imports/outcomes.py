"""What an import does with one row: the one vocabulary of the preview, the import services,
the import log, the audit entries and the ICD upload (formats.md §1: neu, Aktualisierung,
Duplikat, Fehler)."""

from django.db import models


class RowOutcome(models.TextChoices):
    NEU = "neu", "neu"
    UPDATE = "aktualisierung", "Aktualisierung"
    # The row changes nothing: its case exists with everything the row knows, or it repeats an
    # earlier row of the same file (an ICD row whose case already has the codes, too).
    DUPLIKAT = "duplikat", "Duplikat"
    FEHLER = "fehler", "Fehler"


# The ImportLog counter each outcome is counted in (the log keeps one number per outcome).
LOG_COUNTERS = {
    RowOutcome.NEU: "imported",
    RowOutcome.UPDATE: "updated",
    RowOutcome.DUPLIKAT: "skipped",
    RowOutcome.FEHLER: "errors",
}


def count_outcomes(kinds) -> dict[str, int]:
    """{outcome value: number} over an iterable of outcomes, every outcome present."""
    counts = dict.fromkeys(RowOutcome.values, 0)
    for kind in kinds:
        counts[kind] += 1
    return counts


def log_totals(logs) -> dict[str, int]:
    """{outcome value: number} summed over import logs."""
    return {
        outcome.value: sum(getattr(log, counter) for log in logs)
        for outcome, counter in LOG_COUNTERS.items()
    }


def totals_text(totals: dict[str, int]) -> str:
    """ "neu: 6, Aktualisierung: 0, Duplikat: 1, Fehler: 3" in the outcomes' own words."""
    return ", ".join(f"{outcome.label}: {totals.get(outcome, 0)}" for outcome in RowOutcome)
