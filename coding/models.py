"""The ICD-10-GM catalogue (BfArM systematic code file), loaded by ``load_icd_catalogue``.

There is at most one catalogue: loading a file replaces the version row and all entries in one
transaction (coding.catalogue.catalogue_load). Earlier loads are in the audit log.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.fields import ExactCharField


class ICDCatalogueVersion(models.Model):
    """Which file the loaded catalogue came from."""

    year = models.PositiveSmallIntegerField("Jahr")
    file_name = models.CharField("Datei", max_length=255)
    sha256 = ExactCharField("SHA-256", max_length=64)
    code_count = models.PositiveIntegerField("Codes")
    terminal_count = models.PositiveIntegerField("endständige Codes")
    loaded_at = models.DateTimeField("geladen am", default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="geladen von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "ICD-10-GM-Katalog"
        verbose_name_plural = "ICD-10-GM-Katalog"

    def __str__(self):
        return f"ICD-10-GM {self.year}"


class ICDCatalogueEntry(models.Model):
    """One code of the catalogue: ``C50.1``, level 4, terminal, its German title."""

    version = models.ForeignKey(
        ICDCatalogueVersion,
        verbose_name="Version",
        on_delete=models.CASCADE,
        related_name="entries",
    )
    # Exact: the lookup must not find "C50.1" for "c50.1" or a code with a trailing space;
    # the codes it is asked for are already normalised (rules.parse_icd).
    code = ExactCharField("Code", max_length=7, unique=True)
    level = models.PositiveSmallIntegerField(
        "Ebene", choices=[(3, "dreistellig"), (4, "vierstellig"), (5, "fünfstellig")]
    )
    terminal = models.BooleanField("endständig")
    # Titles of combined five-character codes can run past 255 characters.
    title = models.TextField("Titel")

    class Meta:
        verbose_name = "ICD-10-GM-Code"
        verbose_name_plural = "ICD-10-GM-Codes"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=[3, 4, 5]), name="icd_catalogue_level_3_4_5"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"
