"""Forms of the case pages: they parse input into Python values with German messages; the
rules of a case (coding, ICD, dates, ticket, duplicates, concurrency) are decided by
cases.services, so the shell and the pages apply the same ones."""

import datetime as dt

from django import forms
from django.core import signing
from django.db import models
from django.forms.models import fields_for_model

from cases import rules
from cases.models import Case
from cases.services import EDITABLE_FIELDS, editable_values

# The sections of domain.md §3, for the form and the detail page alike.
SECTIONS = (
    ("fall", "Fall", ("crm_ticket_id", "datum", "fallgruppe", "thema")),
    (
        "person",
        "Person",
        ("nachname", "vorname", "geburtsdatum", "kvnr", "geschlecht", "telefon", "email"),
    ),
    (
        "beratung",
        "Beratung",
        ("bearbeiter", "kontaktkanal", "kurzbeschreibung", "fragestellung", "behandelnde_klinik"),
    ),
    (
        "unterlagen",
        "Unterlagen / Abschluss",
        (
            "unterlagen",
            "unterlagen_angefordert_am",
            "unterlagen_eingang_am",
            "ablehnung",
            "ablehnungsgrund",
            "abbruch",
            "abbruchgrund",
            "abbruch_am",
        ),
    ),
    (
        "gutachten",
        "Gutachten",
        (
            "gutachten",
            "gutachter",
            "gutachten_am",
            "gutachten_typ",
            "therapieaenderung",
            "ta_diagnosekorrektur",
            "ta_unterversorgung",
            "ta_uebertherapie",
        ),
    ),
    ("icd", "ICD", ("icd",)),
    (
        "abrechnung",
        "Abrechnung",
        ("abgerechnet", "abrechnungsdatum", "rechnungsnummer", "betrag", "bemerkung"),
    ),
)
assert sorted(n for _key, _title, names in SECTIONS for n in names) == sorted(EDITABLE_FIELDS)

HELP_TEXTS = {
    "crm_ticket_id": "Wie im CRM (Spalte „Name“); leer lassen, wenn der Fall dort fehlt.",
    "datum": "Datum der Erstberatung. Jahr und KW folgen daraus; die Fall-ID bleibt.",
    "kvnr": "Ein Buchstabe und neun Ziffern. Stimmt die Prüfziffer nicht, wird sie "
    "trotzdem gespeichert und markiert.",
    "icd": "Mehrere Codes durch Komma, Semikolon oder Leerzeichen trennen, z. B. C50.1, C79.5.",
    "betrag": "In Euro, z. B. 1.234,50",
    "therapieaenderung": "Diagnosekorrektur, Unterversorgung und Übertherapie nur bei „Ja“.",
}
# Long texts get the whole width of their section; short values share a row.
WIDE_FIELDS = frozenset(
    name
    for name in EDITABLE_FIELDS
    if isinstance(Case._meta.get_field(name), models.TextField | models.BooleanField)
    or (Case._meta.get_field(name).max_length or 0) >= 200
    or name == "icd"
)
BASIS_SALT = "cases.forms.basis"
INPUT = {"class": "form-control"}


class CaseDateField(forms.Field):
    """A date from the browser's date input (JJJJ-MM-TT) or typed German (TT.MM.JJJJ, TT.MM.JJ),
    read by the domain's date rules so two-digit years mean what they mean everywhere."""

    widget = forms.DateInput(attrs={"type": "date", **INPUT}, format="%Y-%m-%d")

    def __init__(self, *, birth_date=False, **kwargs):
        self.birth_date = birth_date
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, dt.date) or value in self.empty_values:
            return value or None
        text = str(value).strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            if self.birth_date:
                return rules.parse_geburtsdatum(text)
            return rules.parse_datum(text, label=str(self.label))
        except rules.RuleError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None


class EuroField(forms.DecimalField):
    """An amount as staff type it: 1234,50 or 1.234,50 (German), also 1234.50."""

    def to_python(self, value):
        if isinstance(value, str) and "," in value:
            value = value.replace(".", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


def _form_field(model_field, **kwargs):
    name = model_field.name
    label = str(model_field.verbose_name)
    help_text = HELP_TEXTS.get(name, "")
    if isinstance(model_field, models.DateField):
        return CaseDateField(
            label=label,
            required=not model_field.blank,
            help_text=help_text,
            birth_date=name == "geburtsdatum",
        )
    if isinstance(model_field, models.BooleanField):
        return forms.BooleanField(
            label=label,
            required=False,
            help_text=help_text,
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )
    if model_field.choices:
        field = model_field.formfield(help_text=help_text)
        empty = "– bitte wählen –" if not model_field.blank else "– keine Angabe –"
        field.choices = [("", empty), *[c for c in field.choices if c[0] != ""]]
        field.widget.attrs["class"] = "form-select"
        return field
    if isinstance(model_field, models.TextField):
        return model_field.formfield(
            help_text=help_text, widget=forms.Textarea(attrs={"rows": 3, **INPUT})
        )
    if isinstance(model_field, models.DecimalField):
        return model_field.formfield(
            form_class=EuroField,
            help_text=help_text,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal", **INPUT}),
        )
    field = model_field.formfield(help_text=help_text)
    field.widget.attrs.update(INPUT)
    if name == "email":
        field.widget.attrs["inputmode"] = "email"
    if name in ("kvnr", "crm_ticket_id", "icd"):
        # Identifiers and codes: no spell checking or autocorrection of what staff type.
        field.widget.attrs.update(spellcheck="false", autocapitalize="characters")
    return field


class CaseForm(forms.Form):
    """Every editable field of a case (cases.services.EDITABLE_FIELDS), parsed, not judged."""

    def values(self):
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}

    def sections(self):
        return [
            {
                "key": key,
                "title": title,
                "fields": [{"field": self[name], "wide": name in WIDE_FIELDS} for name in names],
            }
            for key, title, names in SECTIONS
        ]


CaseForm.base_fields.update(
    fields_for_model(Case, fields=EDITABLE_FIELDS, formfield_callback=_form_field)
)


def initial_values(case):
    return {name: getattr(case, name) for name in EDITABLE_FIELDS}


def basis_for(case):
    """The version an edit form is based on: the case's updated_at and editable values, signed
    so that a conflict message shows what really changed in between."""
    return signing.dumps(
        {"v": case.updated_at.isoformat(), "w": editable_values(case)},
        salt=BASIS_SALT,
        compress=True,
    )


class CaseEditForm(CaseForm):
    basis = forms.CharField(widget=forms.HiddenInput)

    def clean_basis(self):
        try:
            data = signing.loads(self.cleaned_data["basis"], salt=BASIS_SALT)
            return dt.datetime.fromisoformat(data["v"]), data["w"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                "Das Formular ist unvollständig oder wurde verändert. Bitte öffnen Sie den Fall "
                "neu und geben Sie Ihre Änderungen noch einmal ein.",
                code="basis",
            ) from None


class CaseCreateForm(CaseForm):
    # The pks of the likely duplicates the user was shown and created the case anyway.
    confirmed_duplicates = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_confirmed_duplicates(self):
        text = self.cleaned_data["confirmed_duplicates"]
        return [int(part) for part in text.split(",") if part.strip().isdigit()]
