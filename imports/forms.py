from pathlib import PurePath

from django import forms
from django.conf import settings

from imports.models import ImportType
from imports.readers.base import FileRejected, format_size
from imports.readers.safety import refuse_macro_file_name


class UploadForm(forms.Form):
    """One file of a given kind; size and extension are checked before anything reads it."""

    extensions: tuple[str, ...] = ()
    kind_label = ""
    hint = ""

    file = forms.FileField(
        label="Datei",
        error_messages={
            "required": "Bitte wählen Sie eine Datei aus.",
            "empty": "Die Datei ist leer.",
            "invalid": "Die Datei konnte nicht übertragen werden; bitte versuchen Sie es erneut.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"accept": ",".join(self.extensions), "class": "form-control"}
        )
        if "sheet" in self.fields:
            self.fields["sheet"].widget.attrs.update(
                {"class": "form-control", "placeholder": "alle"}
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            refuse_macro_file_name(upload.name)
        except FileRejected as exc:
            raise forms.ValidationError(exc.message) from None
        if PurePath(upload.name).suffix.lower() not in self.extensions:
            raise forms.ValidationError(
                f"Bitte laden Sie {self.kind_label} hoch ({', '.join(self.extensions)}); "
                f"„{upload.name}“ hat eine andere Endung."
            )
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"Die Datei ist zu groß ({format_size(upload.size)}); erlaubt sind höchstens "
                f"{format_size(settings.IMPORT_MAX_BYTES)}."
            )
        return upload

    @property
    def file_name(self):
        # Only the name (browsers may send a path), cut to what the import log can hold.
        name = PurePath(self.cleaned_data["file"].name).name
        if len(name) <= 255:
            return name
        suffix = PurePath(name).suffix[:20]
        return name[: 255 - len(suffix)] + suffix

    def file_bytes(self):
        return b"".join(self.cleaned_data["file"].chunks())


class CsvUploadForm(UploadForm):
    extensions = (".csv", ".txt")
    kind_label = "eine CSV-Datei"
    hint = "CSV-Datei aus dem CRM (UTF-8 oder Windows-1252, Trennzeichen Komma oder Semikolon)."


class HistoricalUploadForm(UploadForm):
    extensions = (".xlsx",)
    kind_label = "eine Excel-Arbeitsmappe"
    hint = "Excel-Arbeitsmappe wie Abrechnung_DAK.xlsx mit Jahresblättern."

    sheet = forms.CharField(
        label="Tabellenblatt",
        required=False,
        max_length=100,
        help_text="Leer lassen, um alle Jahresblätter zu importieren, z. B. „2025“ oder "
        "„2020-2022“ für nur ein Blatt.",
    )


class IcdUploadForm(UploadForm):
    extensions = (".xlsx",)
    kind_label = "die ausgefüllte Codiervorlage (Excel-Arbeitsmappe)"
    hint = "Die ausgefüllte Codiervorlage (Spalten Fall-ID und ICD)."


class LogFilterForm(forms.Form):
    art = forms.ChoiceField(
        label="Art", required=False, choices=[("", "alle Arten"), *ImportType.choices]
    )


class SyncUploadForm(UploadForm):
    extensions = (".xlsx",)
    kind_label = "eine Excel-Arbeitsmappe"
    hint = "Eine hier exportierte und in Excel bearbeitete Arbeitsmappe (mit Spalte Fall-ID)."


class SyncExportForm(forms.Form):
    """All cases or the cases of one ISO year (the years that have cases)."""

    jahr = forms.TypedChoiceField(
        label="Jahr", required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jahr"].choices = [("", "alle Jahre"), *((y, str(y)) for y in years)]
        self.fields["jahr"].widget.attrs.update({"class": "form-select"})
