from django.conf import settings
from django.db import models
from django.db.models import Q


class SummarySource(models.TextChoices):
    COMPUTED = "berechnet", "aus Fällen berechnet"
    IMPORTED = "importiert", "aus Berichtswesen importiert"


class YearlySummary(models.Model):
    """A year's full-year figures (domain.md §7), for the previous-year comparison when that
    year's cases are not in the database. Computed from cases (`build_yearly_summary`) or
    imported from the Gesamt rows of a finished year's Berichtswesen (`import_berichtswesen`).

    The structured parts are JSON with the keys of `reports.figures` (one vocabulary):
    - per_fallgruppe: {code: {anzahl, gutachten, keine_rm_ablehnung, alternative, bestaetigung}}
      for the five Fallgruppe codes;
    - gutachten_typen: {gutachten, alternative, bestaetigung} over all Fallgruppen;
    - therapieaenderungen: {gutachten, ta_ja, ta_nein, diagnosekorrektur, unterversorgung,
      uebertherapie}.
    """

    jahr = models.PositiveSmallIntegerField("Jahr", unique=True)
    # The last KW the figures cover (the workbook's last KW row, or the year's last ISO week).
    bis_kw = models.PositiveSmallIntegerField("bis KW", null=True, blank=True)

    erstberatungen = models.PositiveIntegerField("Erstberatungen", default=0)
    unterlagen = models.PositiveIntegerField("Unterlagen", default=0)
    ablehnungen = models.PositiveIntegerField("Ablehnungen", default=0)
    keine_rueckmeldung = models.PositiveIntegerField("Keine Rückmeldung", default=0)
    gutachten = models.PositiveIntegerField("Gutachten", default=0)

    per_fallgruppe = models.JSONField("je Fallgruppe", default=dict, blank=True)
    gutachten_typen = models.JSONField("Gutachten-Typen", default=dict, blank=True)
    therapieaenderungen = models.JSONField("Therapieänderungen", default=dict, blank=True)

    source = models.CharField("Quelle", max_length=20, choices=SummarySource.choices)
    source_file = models.CharField("Datei", max_length=255, blank=True, default="")

    created_at = models.DateTimeField("angelegt am", auto_now_add=True)
    updated_at = models.DateTimeField("geändert am", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="angelegt von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="geändert von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = "Jahreszusammenfassung"
        verbose_name_plural = "Jahreszusammenfassungen"
        ordering = ["-jahr"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jahr__gte=2000, jahr__lte=2100), name="yearly_summary_jahr_range"
            ),
            models.CheckConstraint(
                condition=Q(source__in=SummarySource.values), name="yearly_summary_source_valid"
            ),
        ]

    def __str__(self):
        return f"Jahreszusammenfassung {self.jahr}"

    def totals(self) -> dict:
        """The sheet-1 totals, keyed as in `reports.figures`."""
        return {
            "erstberatungen": self.erstberatungen,
            "unterlagen": self.unterlagen,
            "ablehnungen": self.ablehnungen,
            "keine_rueckmeldung": self.keine_rueckmeldung,
            "gutachten": self.gutachten,
        }
