"""The case list's filters (the URL's query string) and its search term (never in a URL).

The structured filters, the sort and the page live in the URL so a list can be bookmarked and
the back button restores it; `CaseFilterForm.query_string()` is their one canonical spelling.
The search term is personal data (names, KVNR): `SearchForm` validates it for the session.
"""

from urllib.parse import urlencode

from django import forms

from cases import rules
from cases.models import Quelle

JAHR_MIN, JAHR_MAX = 2000, 2100  # the table's CHECK constraint case_jahr_range
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 100

# Sort keys of the URL → ORDER BY. Each order is one an index delivers without sorting the
# whole table (docs/decisions.md, "Case list"); the primary key comes last so that the order is
# stable across pages. KW sorts like Datum: the ISO week grows with the date.
SORTS = {
    "datum": ("datum", "id"),
    "kw": ("datum", "id"),
    "fall_id": ("fall_id",),
    "nachname": ("nachname", "vorname", "id"),
    "fallgruppe": ("fallgruppe", "id"),
    "icd": ("icd", "datum", "id"),
    "gutachten": ("gutachten", "gutachten_typ", "id"),
}
DEFAULT_SORT = "-datum"
SORT_CHOICES = [(key, key) for name in SORTS for key in (name, f"-{name}")]

# Query-string keys in their canonical order.
FILTER_KEYS = (
    "jahr",
    "kw",
    "kw_von",
    "kw_bis",
    "fallgruppe",
    "status",
    "quelle",
    "icd_fehlt",
    "codierung_fehlt",
    "import",
)


def order_by(sort):
    """ORDER BY fields of a validated sort key ("-datum" → -datum, -id)."""
    descending = sort.startswith("-")
    fields = SORTS[sort.lstrip("-")]
    return [f"-{field}" if descending else field for field in fields]


def _kw_field(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=53,
        error_messages={
            "invalid": f"{label}: bitte eine Zahl von 1 bis 53 eingeben.",
            "min_value": f"{label}: bitte eine Zahl von 1 bis 53 eingeben.",
            "max_value": f"{label}: bitte eine Zahl von 1 bis 53 eingeben.",
        },
    )


class FixedChoiceField(forms.ChoiceField):
    """A choice field whose choices are the same for every form. A form deep-copies its fields
    for each request, and for the filter form copying the choices (31 tuples of text, in the
    sort and the three selects) was most of that; these share them instead. Assigning other
    choices to one form's field still works (the setter replaces, never changes, the list)."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


def _choice_field(label, choices, empty_label):
    return FixedChoiceField(
        label=label,
        required=False,
        choices=[("", empty_label), *choices],
        error_messages={"invalid_choice": f"{label}: „%(value)s“ gibt es nicht."},
    )


class CaseFilterForm(forms.Form):
    """Jahr, KW (single or range), Fallgruppe, Status, ICD/Codierung fehlt, Quelle, Import,
    sort and page. Every value is checked; a bad one gets a German message, never a 500."""

    jahr = forms.IntegerField(
        label="Jahr",
        required=False,
        min_value=JAHR_MIN,
        max_value=JAHR_MAX,
        error_messages={
            "invalid": f"Jahr: bitte eine Jahreszahl von {JAHR_MIN} bis {JAHR_MAX} eingeben.",
            "min_value": f"Jahr: bitte eine Jahreszahl von {JAHR_MIN} bis {JAHR_MAX} eingeben.",
            "max_value": f"Jahr: bitte eine Jahreszahl von {JAHR_MIN} bis {JAHR_MAX} eingeben.",
        },
    )
    kw = _kw_field("KW")
    kw_von = _kw_field("KW von")
    kw_bis = _kw_field("KW bis")
    fallgruppe = _choice_field("Fallgruppe", rules.FALLGRUPPE_CHOICES, "alle")
    status = _choice_field("Status", rules.STATUS_CHOICES, "alle")
    quelle = _choice_field("Quelle", Quelle.choices, "alle")
    icd_fehlt = forms.BooleanField(label="ICD fehlt", required=False)
    codierung_fehlt = forms.BooleanField(label="Codierung fehlt", required=False)
    sort = FixedChoiceField(
        label="Sortierung",
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": "Nach „%(value)s“ kann die Liste nicht sortieren."},
    )
    seite = forms.IntegerField(
        label="Seite",
        required=False,
        min_value=1,
        error_messages={
            "invalid": "Seite: bitte eine Zahl ab 1 angeben.",
            "min_value": "Seite: bitte eine Zahl ab 1 angeben.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "import" is a Python keyword, so this field cannot be a class attribute.
        self.fields["import"] = forms.IntegerField(
            label="Import",
            required=False,
            min_value=1,
            error_messages={
                "invalid": "Import: bitte die Nummer eines Imports angeben.",
                "min_value": "Import: bitte die Nummer eines Imports angeben.",
            },
        )
        for name in ("jahr", "kw", "kw_von", "kw_bis"):
            self.fields[name].widget.attrs.update({"class": "form-control", "inputmode": "numeric"})
        for name in ("fallgruppe", "status", "quelle"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("icd_fehlt", "codierung_fehlt"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
            # A ticked box sends "1", the value the canonical URL carries too.
            self.fields[name].widget.attrs["value"] = "1"

    def full_clean(self):
        super().full_clean()
        # Mark the fields in error for the eye and for screen readers.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-fehler"

    def clean_import(self):
        from imports.models import ImportLog

        pk = self.cleaned_data.get("import")
        if pk is None:
            return None
        log = ImportLog.objects.filter(pk=pk).only("pk", "import_type", "created_at").first()
        if log is None:
            raise forms.ValidationError(f"Einen Import Nr. {pk} gibt es nicht.")
        return log

    def clean(self):
        data = super().clean()
        kw, kw_von, kw_bis = data.get("kw"), data.get("kw_von"), data.get("kw_bis")
        if kw is not None and (kw_von is not None or kw_bis is not None):
            raise forms.ValidationError(
                "Bitte entweder eine einzelne KW oder einen Bereich (KW von/bis) angeben."
            )
        if kw_von is not None and kw_bis is not None and kw_von > kw_bis:
            self.add_error("kw_bis", "KW bis darf nicht vor KW von liegen.")
        jahr = data.get("jahr")
        if jahr is not None:
            weeks = rules.weeks_in_iso_year(jahr)
            for name in ("kw", "kw_von", "kw_bis"):
                value = data.get(name)
                if value is not None and value > weeks:
                    self.add_error(name, f"Das Jahr {jahr} hat keine KW {value} (nur 1–{weeks}).")
        return data

    # --- what the valid form means --------------------------------------------------------

    @property
    def filters(self):
        """The structured filters of a valid form (without sort and page), empty ones left out."""
        data = self.cleaned_data
        return {key: data[key] for key in FILTER_KEYS if data.get(key) not in (None, "", False)}

    @property
    def sort_key(self):
        return self.cleaned_data.get("sort") or DEFAULT_SORT

    @property
    def page_number(self):
        return self.cleaned_data.get("seite") or 1

    def query_string(self, *, sort=None, seite=None):
        """The canonical query string of this list state: only set filters, the sort unless it
        is the default, the page unless it is the first. Never the search term. Remembered per
        form (a list page asks for ~17 of them, its sort and page links)."""
        key = (sort or self.sort_key, seite)
        known = self.__dict__.setdefault("_query_strings", {})
        if key not in known:
            known[key] = filter_query_string(self.filters, sort=key[0], seite=seite)
        return known[key]


def filter_query_string(filters, *, sort=DEFAULT_SORT, seite=None):
    pairs = []
    for key in FILTER_KEYS:
        if key not in filters:
            continue
        value = filters[key]
        if value is True:
            value = "1"
        elif hasattr(value, "pk"):
            value = value.pk
        pairs.append((key, value))
    if sort and sort != DEFAULT_SORT:
        pairs.append(("sort", sort))
    if seite and seite > 1:
        pairs.append(("seite", seite))
    return urlencode(pairs)


class SearchForm(forms.Form):
    """The free-text term (Fall-ID, Nachname[, Vorname], KVNR, CRM ticket): a prefix search."""

    q = forms.CharField(
        label="Suche",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
        error_messages={
            "max_length": f"Der Suchbegriff darf höchstens {SEARCH_MAX_LENGTH} Zeichen haben."
        },
    )

    def clean_q(self):
        term = " ".join(self.cleaned_data["q"].split())
        if term and len(term) < SEARCH_MIN_LENGTH:
            raise forms.ValidationError(
                f"Bitte mindestens {SEARCH_MIN_LENGTH} Zeichen eingeben (Anfang von Fall-ID, "
                "Nachname, KVNR oder CRM-Ticket)."
            )
        return term
