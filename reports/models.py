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


class WeeklyReport(models.Model):
    """The Berichtswesen workbook of one week (formats.md §4), as last generated.

    One row per (jahr, kw): generating the week again replaces the file and the figures and
    keeps the previous version's figures and the cells that changed against its workbook
    (`reports.cells.workbook_changes`). Each generation is an audit entry. The file lives in
    the database (BinaryField): written in the same transaction as its row, backed up with
    it, and reachable only through the audited download view — never a public URL.
    """

    jahr = models.PositiveSmallIntegerField("Jahr")
    kw = models.PositiveSmallIntegerField("KW")
    version = models.PositiveIntegerField("Fassung", default=1)
    content = models.BinaryField("Datei", editable=False)
    file_name = models.CharField("Dateiname", max_length=100)
    figures = models.JSONField("Zahlen", default=dict)
    previous_figures = models.JSONField("Zahlen der vorigen Fassung", null=True, blank=True)
    # [{sheet, row, column, zeile, spalte, alt, neu, format}] against the previous version.
    changes = models.JSONField("Änderungen gegenüber der vorigen Fassung", default=list)
    changed_count = models.PositiveIntegerField("geänderte Werte", default=0)
    previous_generated_at = models.DateTimeField("vorige Fassung erstellt am", null=True)
    generated_at = models.DateTimeField("erstellt am")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="erstellt von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # A display copy: the user's e-mail, or "Kommandozeile" for the command and its timer.
    generated_by_label = models.CharField("erstellt von (Anzeige)", max_length=254, blank=True)

    class Meta:
        verbose_name = "Wochenbericht"
        verbose_name_plural = "Wochenberichte"
        ordering = ["-jahr", "-kw"]
        constraints = [
            models.UniqueConstraint(fields=["jahr", "kw"], name="weekly_report_unique_week"),
            models.CheckConstraint(
                condition=Q(jahr__gte=2000, jahr__lte=2100), name="weekly_report_jahr_range"
            ),
            models.CheckConstraint(
                condition=Q(kw__gte=1, kw__lte=53), name="weekly_report_kw_range"
            ),
        ]

    def __str__(self):
        return f"Berichtswesen KW {self.kw:02d}/{self.jahr}"
