"""Forms of the Gutachten coding pages; the rules themselves live in coding.gutachten."""

from django import forms

from cases import rules
from coding.selectors import QueueFilter

TA_FLAGS = (
    ("ta_diagnosekorrektur", "Diagnosekorrektur", "1"),
    ("ta_unterversorgung", "Unterversorgung", "2"),
    ("ta_uebertherapie", "Übertherapie", "3"),
)


class QueueFilterForm(forms.Form):
    """Jahr/KW/Fallgruppe of the queue, read from the URL; a bad value is named and ignored."""

    jahr = forms.IntegerField(
        label="Jahr",
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "Bitte ein Jahr als Zahl angeben.",
            "min_value": "Das Jahr muss zwischen 2000 und 2100 liegen.",
            "max_value": "Das Jahr muss zwischen 2000 und 2100 liegen.",
        },
    )
    kw = forms.IntegerField(
        label="KW",
        required=False,
        min_value=1,
        max_value=53,
        error_messages={
            "invalid": "Bitte die KW als Zahl angeben.",
            "min_value": "Die KW muss zwischen 1 und 53 liegen.",
            "max_value": "Die KW muss zwischen 1 und 53 liegen.",
        },
    )
    fallgruppe = forms.ChoiceField(
        label="Fallgruppe",
        required=False,
        choices=[("", "alle"), *rules.FALLGRUPPE_CHOICES],
        error_messages={"invalid_choice": "Unbekannte Fallgruppe."},
    )

    def queue_filter(self):
        """The valid part of the filter (an invalid field counts as not set)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return QueueFilter(
            jahr=data.get("jahr"),
            kw=data.get("kw"),
            fallgruppe=data.get("fallgruppe") or None,
        )

    def query_string(self):
        """The filter as the URL carries it, for links to the card and back."""
        from urllib.parse import urlencode

        value = self.queue_filter()
        pairs = [
            (name, getattr(value, name))
            for name in ("jahr", "kw", "fallgruppe")
            if getattr(value, name) not in (None, "")
        ]
        return urlencode(pairs)


class CodingForm(forms.Form):
    """The coding card. The TA flags are always submittable: without JavaScript the server's
    rule (flags only with Ja) is what refuses them."""

    gutachten_typ = forms.ChoiceField(
        label="Gutachten-Typ",
        choices=rules.GUTACHTEN_TYP_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    therapieaenderung = forms.ChoiceField(
        label="Therapieänderung",
        choices=rules.THERAPIEAENDERUNG_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    ta_diagnosekorrektur = forms.BooleanField(label="Diagnosekorrektur", required=False)
    ta_unterversorgung = forms.BooleanField(label="Unterversorgung", required=False)
    ta_uebertherapie = forms.BooleanField(label="Übertherapie", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service names every missing or unknown choice in German; the form only carries.
        self.fields["gutachten_typ"].error_messages["invalid_choice"] = (
            "Unbekannter Gutachten-Typ (erlaubt: Bestätigung, Alternative)."
        )
        self.fields["therapieaenderung"].error_messages["invalid_choice"] = (
            "Unbekannte Therapieänderung (erlaubt: Ja, Nein)."
        )

    def coding_values(self):
        return {
            name: self.cleaned_data.get(name)
            for name in (
                "gutachten_typ",
                "therapieaenderung",
                "ta_diagnosekorrektur",
                "ta_unterversorgung",
                "ta_uebertherapie",
            )
        }


class BatchForm(CodingForm):
    """The batch: the same coding for every selected case of the queue."""

    faelle = forms.TypedMultipleChoiceField(
        label="Fälle",
        coerce=int,
        required=True,
        error_messages={"required": "Bitte mindestens einen Fall auswählen."},
    )

    def __init__(self, *args, case_pks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["faelle"].choices = [(pk, str(pk)) for pk in case_pks]
        self.fields["faelle"].error_messages["invalid_choice"] = (
            "Ein ausgewählter Fall ist nicht (mehr) in der Codierung."
        )
