import datetime as dt
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property

from cases.fields import ExactCharField
from imports.readers.base import ERROR, NOTICE, WARNING, ParsedRow, Problem


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


class ImportLock(models.Model):
    """One row per lock name; confirming an import locks it (SELECT … FOR UPDATE) so that two
    imports never classify and write at the same time."""

    name = ExactCharField(max_length=50, unique=True)

    class Meta:
        verbose_name = "Import-Sperre"
        verbose_name_plural = "Import-Sperren"

    def __str__(self):
        return self.name


class RowKind(models.TextChoices):
    """How a previewed row would be imported; the values are the service's KIND constants."""

    NEU = "neu", "neu"
    UPDATE = "aktualisierung", "Aktualisierung"
    DUPLIKAT = "duplikat", "Duplikat"
    FEHLER = "fehler", "Fehler"


class PreviewState(models.TextChoices):
    OFFEN = "offen", "offen"
    BESTAETIGT = "bestaetigt", "bestätigt"
    VERWORFEN = "verworfen", "verworfen"


class PreviewClosed(Exception):
    """The preview can no longer be confirmed or discarded; ``message`` says why, in German."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# Previews stay this long past their expiry so that a late click still gets the "abgelaufen"
# message rather than a 404; then the next upload deletes them.
PREVIEW_GRACE = timedelta(days=1)
PREVIEW_BATCH_SIZE = 1000


class ImportPreviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=PreviewState.OFFEN, expires_at__gt=timezone.now())

    def stale(self):
        return self.filter(expires_at__lt=timezone.now() - PREVIEW_GRACE)


class ImportPreviewManager(models.Manager.from_queryset(ImportPreviewQuerySet)):
    def create_from_plan(self, plan, *, user, sheet=""):
        """Store a classified plan as a preview of its uploader; rows go in batches."""
        from imports.services import encode_values

        now = timezone.now()
        with transaction.atomic():
            self.stale().delete()
            preview = self.create(
                user=user,
                import_type=plan.import_type,
                file_name=plan.file_name[:255],
                sha256=plan.sha256,
                sheet=sheet or "",
                counts=plan.counts,
                sheets=_sheet_counts(plan),
                notices=[
                    {"column": p.column, "message": p.message, "sheet": p.sheet or ""}
                    for p in plan.notices
                ],
                created_at=now,
                expires_at=now + timedelta(minutes=settings.IMPORT_PREVIEW_TTL_MINUTES),
            )
            batch = []
            for position, outcome in enumerate(plan.outcomes):
                row = outcome.row
                batch.append(
                    ImportPreviewRow(
                        preview=preview,
                        position=position,
                        row_number=row.row_number,
                        sheet=row.sheet or "",
                        kind=outcome.kind,
                        values=encode_values(row.values),
                        fills=encode_values(outcome.fills),
                        errors=[_problem(p) for p in row.errors],
                        warnings=[_problem(p) for p in row.warnings],
                        notes=list(outcome.notes),
                        has_warnings=bool(row.warnings or outcome.notes),
                        duplicate_of_row=outcome.duplicate_of_row,
                        case_id=outcome.case_id,
                    )
                )
                if len(batch) >= PREVIEW_BATCH_SIZE:
                    ImportPreviewRow.objects.bulk_create(batch)
                    batch = []
            ImportPreviewRow.objects.bulk_create(batch)
        return preview


def _problem(problem):
    return {"column": problem.column, "value": problem.value, "message": problem.message}


def _sheet_counts(plan):
    per_sheet = {name: dict.fromkeys(RowKind.values, 0) for name, _ in plan.sheets}
    for outcome in plan.outcomes:
        counts = per_sheet.setdefault(outcome.row.sheet or "", dict.fromkeys(RowKind.values, 0))
        counts[outcome.kind] += 1
    rows_read = dict(plan.sheets)
    return [
        {"name": name, "rows_read": rows_read.get(name, 0), "counts": counts}
        for name, counts in per_sheet.items()
    ]


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

    objects = ImportPreviewManager()

    class Meta:
        verbose_name = "Import-Vorschau"
        verbose_name_plural = "Import-Vorschauen"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_import_type_display()} {self.file_name} ({self.get_state_display()})"

    def get_absolute_url(self):
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

    def to_plan(self):
        """Rebuild the ImportPlan from the stored rows, in file order."""
        from imports.services import ImportPlan, decode_values

        rows = []
        for stored in self.rows.order_by("position").iterator(chunk_size=PREVIEW_BATCH_SIZE):
            sheet = stored.sheet or None

            def problems(items, level, number=stored.row_number, sheet=sheet):
                return [
                    Problem(number, p["column"], p.get("value"), p["message"], level, sheet)
                    for p in items
                ]

            rows.append(
                ParsedRow(
                    row_number=stored.row_number,
                    sheet=sheet,
                    values=decode_values(stored.values),
                    errors=problems(stored.errors, ERROR),
                    warnings=problems(stored.warnings, WARNING),
                )
            )
        return ImportPlan(
            import_type=self.import_type,
            file_name=self.file_name,
            sha256=self.sha256,
            rows=rows,
            notices=[
                Problem(None, n.get("column"), None, n["message"], NOTICE, n.get("sheet") or None)
                for n in self.notices
            ],
            sheets=[(s["name"], s["rows_read"]) for s in self.sheets],
        )

    def confirm(self, *, user, request=None):
        """Import the stored rows once; raises PreviewClosed, or ImportFailed (nothing written)."""
        from imports.services import import_commit

        with transaction.atomic():
            # The row lock makes a second, simultaneous confirm wait and then see "bestätigt".
            preview = ImportPreview.objects.select_for_update().get(pk=self.pk)
            message = preview.closed_message()
            if message:
                raise PreviewClosed(f"{message} Es wurde nichts importiert.")
            logs = import_commit(plan=preview.to_plan(), user=user, request=request)
            preview.state = PreviewState.BESTAETIGT
            preview.confirmed_at = timezone.now()
            preview.import_log_ids = [log.pk for log in logs]
            preview.save(update_fields=["state", "confirmed_at", "import_log_ids"])
        self.refresh_from_db()
        return logs

    def discard(self):
        with transaction.atomic():
            preview = ImportPreview.objects.select_for_update().get(pk=self.pk)
            if preview.state != PreviewState.OFFEN:
                raise PreviewClosed(preview.closed_message())
            preview.state = PreviewState.VERWORFEN
            preview.save(update_fields=["state"])
        self.refresh_from_db()


class ImportPreviewRow(models.Model):
    """One row of a preview: what the file says (``values``) and what the import would do."""

    preview = models.ForeignKey(ImportPreview, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField("Position")
    row_number = models.PositiveIntegerField("Zeile")
    sheet = models.CharField("Tabellenblatt", max_length=100, blank=True)
    kind = models.CharField("Ergebnis", max_length=20, choices=RowKind.choices)
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
