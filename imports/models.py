import datetime as dt
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property

from accounts.actor import COMMAND_LINE_LABEL
from cases.fields import ExactCharField
from imports.outcomes import RowOutcome


class ImportType(models.TextChoices):
    CRM_CSV = "crm_csv", "CRM-Export (CSV)"
    HISTORISCH = "historisch", "Abrechnungs-Arbeitsmappe"
    ICD = "icd", "ICD-Codierung"
    EXCEL_SYNC = "excel_sync", "Excel-Sync"


class ImportLog(models.Model):
    file_name = models.CharField("Dateiname", max_length=255)
    import_type = models.CharField("Art", max_length=20, choices=ImportType.choices)
    sheet = models.CharField("Tabellenblatt", max_length=100, blank=True)
    sha256 = ExactCharField("SHA-256", max_length=64, db_index=True)
    rows_read = models.PositiveIntegerField("gelesene Zeilen", default=0)
    # One counter per row outcome (imports.outcomes.LOG_COUNTERS), named like the outcome.
    imported = models.PositiveIntegerField(RowOutcome.NEU.label, default=0)
    updated = models.PositiveIntegerField(RowOutcome.UPDATE.label, default=0)
    skipped = models.PositiveIntegerField(RowOutcome.DUPLIKAT.label, default=0)
    errors = models.PositiveIntegerField(RowOutcome.FEHLER.label, default=0)
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
        return self.user.email if self.user else COMMAND_LINE_LABEL


class ImportLock(models.Model):
    """One row per lock name; confirming an import locks it (SELECT … FOR UPDATE) so that two
    imports never classify and write at the same time."""

    name = ExactCharField(max_length=50, unique=True)

    class Meta:
        verbose_name = "Import-Sperre"
        verbose_name_plural = "Import-Sperren"

    def __str__(self):
        return self.name


class PreviewState(models.TextChoices):
    OFFEN = "offen", "offen"
    BESTAETIGT = "bestaetigt", "bestätigt"
    VERWORFEN = "verworfen", "verworfen"


# Previews stay this long past their expiry so that a late click still gets the "abgelaufen"
# message rather than a 404; then the next upload deletes them.
PREVIEW_GRACE = timedelta(days=1)


class ImportPreviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=PreviewState.OFFEN, expires_at__gt=timezone.now())

    def stale(self):
        return self.filter(expires_at__lt=timezone.now() - PREVIEW_GRACE)


class ImportPreview(models.Model):
    """A classified upload waiting for its uploader to confirm or discard it (formats.md §1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="hochgeladen von",
        on_delete=models.CASCADE,
        related_name="+",
    )
    import_type = models.CharField("Art", max_length=20, choices=ImportType.choices)
    file_name = models.CharField("Dateiname", max_length=255)
    sha256 = ExactCharField("SHA-256", max_length=64)
    sheet = models.CharField("gewähltes Tabellenblatt", max_length=100, blank=True)
    counts = models.JSONField("Summen", default=dict)
    sheets = models.JSONField("Summen je Blatt", default=list)
    notices = models.JSONField("Hinweise", default=list)
    state = models.CharField(
        "Status", max_length=20, choices=PreviewState.choices, default=PreviewState.OFFEN
    )
    created_at = models.DateTimeField("hochgeladen am", default=timezone.now)
    expires_at = models.DateTimeField("gültig bis", db_index=True)
    confirmed_at = models.DateTimeField("bestätigt am", null=True, blank=True)
    import_log_ids = models.JSONField("Importprotokolle", default=list, blank=True)

    objects = ImportPreviewQuerySet.as_manager()

    class Meta:
        verbose_name = "Import-Vorschau"
        verbose_name_plural = "Import-Vorschauen"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_import_type_display()} {self.file_name} ({self.get_state_display()})"

    def get_absolute_url(self):
        if self.import_type == ImportType.EXCEL_SYNC:
            return reverse("imports:sync_preview", args=[self.pk])
        return reverse("imports:preview", args=[self.pk])

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at

    @property
    def is_open(self):
        return self.state == PreviewState.OFFEN and not self.is_expired

    def closed_message(self):
        """Why this preview cannot be confirmed any more, or None while it is open."""
        if self.state == PreviewState.BESTAETIGT:
            when = timezone.localtime(self.confirmed_at)
            return f"Diese Vorschau wurde bereits am {when:%d.%m.%Y um %H:%M} Uhr bestätigt."
        if self.state == PreviewState.VERWORFEN:
            return "Diese Vorschau wurde verworfen; bitte laden Sie die Datei erneut hoch."
        if self.is_expired:
            return (
                "Diese Vorschau ist abgelaufen; bitte laden Sie die Datei erneut hoch, "
                "damit sie gegen den aktuellen Datenbestand geprüft wird."
            )
        return None


class ImportPreviewRow(models.Model):
    """One row of a preview: what the file says (``values``) and what the import would do."""

    preview = models.ForeignKey(ImportPreview, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField("Position")
    row_number = models.PositiveIntegerField("Zeile")
    sheet = models.CharField("Tabellenblatt", max_length=100, blank=True)
    kind = models.CharField("Ergebnis", max_length=20, choices=RowOutcome.choices)
    values = models.JSONField("Werte", default=dict)
    fills = models.JSONField("zu füllende Felder", default=dict, blank=True)
    errors = models.JSONField("Fehler", default=list, blank=True)
    warnings = models.JSONField("Warnungen", default=list, blank=True)
    notes = models.JSONField("Hinweise", default=list, blank=True)
    has_warnings = models.BooleanField("mit Warnungen", default=False)
    duplicate_of_row = models.PositiveIntegerField("Duplikat von Zeile", null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="Fall",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "Vorschauzeile"
        verbose_name_plural = "Vorschauzeilen"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["preview", "position"], name="import_preview_row_position_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["preview", "kind", "position"], name="import_preview_row_kind_idx"
            ),
        ]

    def __str__(self):
        return f"Zeile {self.row_number} ({self.get_kind_display()})"

    @cached_property
    def shown(self):
        """The row's values as a person reads them (German dates, labels for codes)."""
        return {name: display_value(name, value) for name, value in self.values.items()}

    @cached_property
    def fill_items(self):
        """(German field label, value) for each field an Aktualisierung would fill."""
        return [
            (field_label(name), display_value(name, value)) for name, value in self.fills.items()
        ]


def field_label(name):
    from cases.models import Case

    try:
        return str(Case._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def display_value(name, value):
    """A stored (encoded) Case value as text: dates dd.mm.yyyy, flags Ja/Nein, choice labels."""
    from cases.models import Case

    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    try:
        model_field = Case._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    kind = model_field.get_internal_type()
    if kind == "DateField":
        try:
            return f"{dt.date.fromisoformat(value):%d.%m.%Y}"
        except (TypeError, ValueError):
            return str(value)
    if kind == "DecimalField":
        return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True) + " €"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)
