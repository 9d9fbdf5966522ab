from django.conf import settings
from django.db import models


class ImportType(models.TextChoices):
    CRM_CSV = "crm_csv", "CRM-Export (CSV)"
    HISTORISCH = "historisch", "Abrechnungs-Arbeitsmappe"
    ICD = "icd", "ICD-Codierung"
    EXCEL_SYNC = "excel_sync", "Excel-Sync"


class ImportLog(models.Model):
    file_name = models.CharField("Dateiname", max_length=255)
    import_type = models.CharField("Art", max_length=20, choices=ImportType.choices)
    sheet = models.CharField("Tabellenblatt", max_length=100, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    rows_read = models.PositiveIntegerField("gelesene Zeilen", default=0)
    imported = models.PositiveIntegerField("neu", default=0)
    updated = models.PositiveIntegerField("aktualisiert", default=0)
    skipped = models.PositiveIntegerField("übersprungen", default=0)
    errors = models.PositiveIntegerField("Fehler", default=0)
    warnings = models.PositiveIntegerField("Warnungen", default=0)
    details = models.JSONField("Details", default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Benutzer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("Zeitpunkt", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "Importprotokoll"
        verbose_name_plural = "Importprotokolle"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return (
            f"{self.get_import_type_display()} {self.file_name} ({self.created_at:%d.%m.%Y %H:%M})"
        )

    @property
    def actor_label(self):
        return self.user.email if self.user else "Kommandozeile"
