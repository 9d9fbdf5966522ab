from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, router, transaction
from django.db.models import Q

from cases import rules
from cases.fields import ExactCharField

TEXT_FIELDS = (
    "thema",
    "nachname",
    "vorname",
    "telefon",
    "email",
    "bearbeiter",
    "kurzbeschreibung",
    "fragestellung",
    "behandelnde_klinik",
    "ablehnungsgrund",
    "abbruchgrund",
    "gutachter",
    "rechnungsnummer",
    "bemerkung",
)


NORMALIZED_INPUTS = (
    *TEXT_FIELDS,
    "crm_ticket_id",
    "kvnr",
    "icd",
    "datum",
    "geburtsdatum",
    "fallgruppe",
)


def normalized_values(values: dict, *, duplicate_key: str | None = None) -> dict:
    """The stored form of a case's values (one implementation for save() and bulk imports):
    text trimmed, ticket trimmed and upper-cased (empty as NULL), KVNR/ICD upper-cased,
    jahr/kw from datum, duplicate key.
    Returns only the fields it sets; missing inputs count as empty. A caller that already
    computed the duplicate key of exactly these values may pass it."""
    out = {name: rules.clean_text(values.get(name)) for name in TEXT_FIELDS if name in values}
    out["crm_ticket_id"] = rules.normalize_ticket(values.get("crm_ticket_id"))
    out["kvnr"] = rules.normalize_kvnr(values.get("kvnr"))
    out["icd"] = rules.clean_text(values.get("icd")).upper() or None
    datum = values.get("datum")
    if datum:
        out["jahr"], out["kw"] = rules.iso_week(datum)
    out["duplicate_key"] = duplicate_key or rules.duplicate_key_digest(
        nachname=out.get("nachname", values.get("nachname")),
        vorname=out.get("vorname", values.get("vorname")),
        geburtsdatum=values.get("geburtsdatum"),
        fallgruppe=values.get("fallgruppe"),
        datum=datum,
    )
    return out


class Quelle(models.TextChoices):
    CRM_CSV = "crm_csv", "CRM-Import"
    HISTORISCH = "historisch", "Historischer Import"
    MANUELL = "manuell", "Manuell"


class Geschlecht(models.TextChoices):
    W = "w", "weiblich"
    M = "m", "männlich"
    D = "d", "divers"


class Kontaktkanal(models.TextChoices):
    TELEFON = "telefon", "Telefon"
    EMAIL = "email", "E-Mail"
    POST = "post", "Post"
    PORTAL = "portal", "Portal"


class CaseQuerySet(models.QuerySet):
    def with_status(self, status):
        """Filter by the derived status (domain.md §3), first match wins."""
        open_end = Q(abbruch=False, ablehnung=False)
        conditions = {
            "abgebrochen": Q(abbruch=True),
            "abgelehnt": Q(abbruch=False, ablehnung=True),
            "gutachten_codiert": open_end & Q(gutachten=True, gutachten_typ__isnull=False),
            "gutachten": open_end & Q(gutachten=True, gutachten_typ__isnull=True),
            "unterlagen": open_end & Q(gutachten=False, unterlagen=True),
            "offen": open_end & Q(gutachten=False, unterlagen=False),
        }
        if status not in conditions:
            raise ValueError(f"unknown status {status!r}")
        return self.filter(conditions[status])

    def pending_icd(self):
        # An empty ICD is stored as NULL (normalized_values; CHECK case_icd_not_empty), so one
        # IS NULL finds them all and the (icd, datum) index gives the list and the ICD queue
        # their page in date order. With "IS NULL OR = ''" MariaDB had to sort every pending
        # case first (~110 ms per page at 117,000 pending of 1,000,000).
        return self.filter(icd__isnull=True)

    def pending_coding(self):
        return self.filter(gutachten=True, gutachten_typ__isnull=True)


class Case(models.Model):
    # Identity and origin
    fall_id = ExactCharField("Fall-ID", max_length=100, unique=True, editable=False)
    crm_ticket_id = ExactCharField("CRM-Ticket", max_length=50, unique=True, null=True, blank=True)
    quelle = ExactCharField("Quelle", max_length=20, choices=Quelle.choices)
    import_log = models.ForeignKey(
        "imports.ImportLog",
        verbose_name="Import",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    datum = models.DateField("Datum")
    jahr = models.PositiveSmallIntegerField("Jahr", editable=False)
    kw = models.PositiveSmallIntegerField("KW", editable=False)
    fallgruppe = ExactCharField("Fallgruppe", max_length=10, choices=rules.FALLGRUPPE_CHOICES)
    thema = models.CharField("Thema", max_length=255, blank=True, default="", db_default="")

    # Insured person
    nachname = models.CharField("Nachname", max_length=100)
    vorname = models.CharField("Vorname", max_length=100, blank=True, default="", db_default="")
    geburtsdatum = models.DateField("Geburtsdatum", null=True, blank=True)
    kvnr = models.CharField("KVNR", max_length=20, null=True, blank=True, db_index=True)
    geschlecht = models.CharField(
        "Geschlecht",
        max_length=1,
        choices=Geschlecht.choices,
        blank=True,
        default="",
        db_default="",
    )
    telefon = models.CharField("Telefon", max_length=50, blank=True, default="", db_default="")
    email = models.CharField("E-Mail", max_length=254, blank=True, default="", db_default="")

    # Counselling
    bearbeiter = models.CharField(
        "Bearbeiter", max_length=100, blank=True, default="", db_default=""
    )
    kontaktkanal = models.CharField(
        "Kontaktkanal",
        max_length=10,
        choices=Kontaktkanal.choices,
        blank=True,
        default="",
        db_default="",
    )
    kurzbeschreibung = models.TextField("Kurzbeschreibung", blank=True, default="", db_default="")
    fragestellung = models.TextField("Fragestellung", blank=True, default="", db_default="")
    behandelnde_klinik = models.CharField(
        "Behandelnde Klinik", max_length=200, blank=True, default="", db_default=""
    )

    # Documents, end states
    unterlagen = models.BooleanField("Unterlagen", default=False, db_default=False)
    unterlagen_angefordert_am = models.DateField("Unterlagen angefordert", null=True, blank=True)
    unterlagen_eingang_am = models.DateField("Unterlagen Eingang", null=True, blank=True)
    ablehnung = models.BooleanField("Ablehnung", default=False, db_default=False)
    ablehnungsgrund = models.TextField("Ablehnungsgrund", blank=True, default="", db_default="")
    abbruch = models.BooleanField("Abbruch", default=False, db_default=False)
    abbruchgrund = models.TextField("Abbruchgrund", blank=True, default="", db_default="")
    abbruch_am = models.DateField("Abbruch am", null=True, blank=True)

    # Gutachten and its coding
    gutachten = models.BooleanField("Gutachten", default=False, db_default=False)
    gutachter = models.CharField("Gutachter", max_length=200, blank=True, default="", db_default="")
    gutachten_am = models.DateField("Gutachten am", null=True, blank=True)
    gutachten_typ = ExactCharField(
        "Gutachten-Typ", max_length=20, choices=rules.GUTACHTEN_TYP_CHOICES, null=True, blank=True
    )
    therapieaenderung = ExactCharField(
        "Therapieänderung",
        max_length=4,
        choices=rules.THERAPIEAENDERUNG_CHOICES,
        null=True,
        blank=True,
    )
    ta_diagnosekorrektur = models.BooleanField("Diagnosekorrektur", default=False, db_default=False)
    ta_unterversorgung = models.BooleanField("Unterversorgung", default=False, db_default=False)
    ta_uebertherapie = models.BooleanField("Übertherapie", default=False, db_default=False)
    # Who-did-it references to users carry no database constraint and no index: users are never
    # deleted (only deactivated), nothing filters cases by them, and each index and FK check
    # costs on every bulk import.
    coding_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="codiert von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    coding_at = models.DateTimeField("codiert am", null=True, blank=True)

    # ICD
    icd = models.CharField("ICD", max_length=255, null=True, blank=True)
    icd_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ICD erfasst von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    icd_entered_at = models.DateTimeField("ICD erfasst am", null=True, blank=True)

    # Billing and misc
    abgerechnet = models.BooleanField("Abgerechnet", default=False, db_default=False)
    abrechnungsdatum = models.DateField("Abrechnungsdatum", null=True, blank=True)
    rechnungsnummer = models.CharField(
        "Rechnungsnummer", max_length=50, blank=True, default="", db_default=""
    )
    betrag = models.DecimalField("Betrag", max_digits=10, decimal_places=2, null=True, blank=True)
    bemerkung = models.TextField("Bemerkung", blank=True, default="", db_default="")

    # Digest of the normalised (nachname, vorname, geburtsdatum, fallgruppe, datum), so that
    # duplicate detection never depends on a database collation (domain.md §4).
    duplicate_key = ExactCharField(max_length=64, db_index=True, editable=False)

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

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "Fall"
        verbose_name_plural = "Fälle"
        ordering = ["-datum", "-id"]
        indexes = [
            # (jahr, kw) as the spec asks, extended so that the list filtered by week and
            # Fallgruppe, newest first, reads the first page straight from the index.
            models.Index(fields=["jahr", "kw", "fallgruppe", "datum"], name="case_jahr_kw_idx"),
            models.Index(fields=["fallgruppe"], name="case_fallgruppe_idx"),
            # Newest first (the list's default order is datum, id) with the names beside the
            # keys: a name search reads a page's keys from this index alone, testing the name
            # on each entry instead of fetching the row (a common surname lies scattered among
            # the newest cases: ~700 entries for one page). See docs/decisions.md, "Case list".
            models.Index(fields=["datum", "id", "nachname", "vorname"], name="case_datum_name_idx"),
            models.Index(fields=["nachname", "vorname"], name="case_name_idx"),
            # ICD fehlt (icd IS NULL) newest or oldest first, and the sort by ICD.
            models.Index(fields=["icd", "datum"], name="case_icd_datum_idx"),
            models.Index(fields=["gutachten", "gutachten_typ"], name="case_pending_coding_idx"),
            # The case list's Quelle filter, newest first (manual cases are rare: without it the
            # list would read the whole table to find a page of them).
            models.Index(fields=["quelle", "datum"], name="case_quelle_datum_idx"),
            # Covering index of the report figures (reports.figures): a year's cases grouped by
            # (kw, fallgruppe) with every counted flag read from the index, in index order (no
            # row lookups, no temporary table).
            models.Index(
                fields=[
                    "jahr",
                    "kw",
                    "fallgruppe",
                    "unterlagen",
                    "ablehnung",
                    "abbruch",
                    "gutachten",
                    "gutachten_typ",
                    "therapieaenderung",
                    "ta_diagnosekorrektur",
                    "ta_unterversorgung",
                    "ta_uebertherapie",
                ],
                name="case_report_cover_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(fallgruppe__in=list(rules.FALLGRUPPEN)), name="case_fallgruppe_valid"
            ),
            models.CheckConstraint(condition=Q(kw__gte=1, kw__lte=53), name="case_kw_range"),
            models.CheckConstraint(
                condition=Q(jahr__gte=2000, jahr__lte=2100), name="case_jahr_range"
            ),
            models.CheckConstraint(condition=Q(quelle__in=Quelle.values), name="case_quelle_valid"),
            models.CheckConstraint(
                condition=Q(gutachten_typ__isnull=True)
                | Q(gutachten=True, gutachten_typ__in=["Bestätigung", "Alternative"]),
                name="case_gutachten_typ_needs_gutachten",
            ),
            models.CheckConstraint(
                condition=Q(therapieaenderung__isnull=True)
                | Q(gutachten=True, therapieaenderung__in=["Ja", "Nein"]),
                name="case_therapieaenderung_needs_gutachten",
            ),
            models.CheckConstraint(
                condition=Q(icd__isnull=True) | ~Q(icd=""),
                name="case_icd_not_empty",
                violation_error_message="Eine leere ICD wird als „keine ICD“ gespeichert.",
            ),
            models.CheckConstraint(
                # NULL = 'Ja' is unknown, which a CHECK lets pass: test for NULL explicitly.
                condition=Q(therapieaenderung__isnull=False, therapieaenderung="Ja")
                | Q(ta_diagnosekorrektur=False, ta_unterversorgung=False, ta_uebertherapie=False),
                name="case_ta_flags_need_ta_ja",
            ),
        ]

    def __str__(self):
        # fall_id carries a surname; the admin and pages show it to authorised users only.
        return self.fall_id or f"Fall {self.pk}"

    def save(self, *args, **kwargs):
        self.normalize()
        if self.fall_id or self.pk:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # fall_id is given once; a concurrent save may take the same id between our read and our
        # insert, so the unique key decides and we retry with the next suffix.
        for _attempt in range(20):
            [self.fall_id] = first_free_fall_ids(
                [(self.jahr, self.kw, self.fallgruppe, self.nachname)], using=using
            )
            try:
                with transaction.atomic(using=using):
                    return super().save(*args, **kwargs)
            except IntegrityError:
                taken = Case.objects.using(using).filter(fall_id=self.fall_id).exists()
                self.fall_id = ""
                if not taken:
                    raise
        raise IntegrityError("no free fall_id after 20 attempts")

    def clean(self):
        """Field-level German errors for the domain rules (used by the admin and forms)."""
        from django.core.exceptions import ValidationError

        errors = {}
        if self.icd:
            try:
                self.icd = rules.normalize_icd_text(self.icd)
            except rules.RuleError as exc:
                errors["icd"] = exc.message
        coding_errors, _warnings = rules.coding_problems(
            gutachten=self.gutachten,
            gutachten_typ=self.gutachten_typ,
            therapieaenderung=self.therapieaenderung,
            ta_diagnosekorrektur=self.ta_diagnosekorrektur,
            ta_unterversorgung=self.ta_unterversorgung,
            ta_uebertherapie=self.ta_uebertherapie,
        )
        if coding_errors:
            errors.setdefault("gutachten_typ", []).extend(coding_errors)
        if errors:
            raise ValidationError(errors)

    def normalize(self):
        """Trim text, upper-case KVNR/ICD, derive jahr/kw and the duplicate key from the values."""
        values = {name: getattr(self, name) for name in NORMALIZED_INPUTS}
        for name, value in normalized_values(values).items():
            setattr(self, name, value)

    @property
    def status(self):
        return rules.derive_status(
            abbruch=self.abbruch,
            ablehnung=self.ablehnung,
            gutachten=self.gutachten,
            gutachten_typ=self.gutachten_typ,
            unterlagen=self.unterlagen,
        )

    @property
    def status_label(self):
        return rules.STATUS_LABELS[self.status]

    @property
    def kvnr_valid(self):
        return not self.kvnr or rules.kvnr_is_valid(self.kvnr)


FALL_ID_LOOKUP_CHUNK = 5000


def _taken_fall_ids(candidates, using):
    """Those of `candidates` that some case holds: `=`/`IN` on the binary-collated column, so
    the database compares exactly like Python (no LIKE, no collation deciding Kühn = Kuhn).
    Plain SQL because the ORM spends more time preparing thousands of IN parameters than the
    database answering."""
    connection = connections[using]
    quote = connection.ops.quote_name
    column = quote(Case._meta.get_field("fall_id").column)
    table = quote(Case._meta.db_table)
    taken = set()
    with connection.cursor() as cursor:
        for start in range(0, len(candidates), FALL_ID_LOOKUP_CHUNK):
            chunk = candidates[start : start + FALL_ID_LOOKUP_CHUNK]
            cursor.execute(
                f"SELECT {column} FROM {table} "  # noqa: S608 - names from the model
                f"WHERE {column} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            taken.update(fall_id for (fall_id,) in cursor.fetchall())
    return taken


def first_free_fall_ids(items, *, reserved=None, existing=None, using=DEFAULT_DB_ALIAS):
    """The first free fall_id (domain.md §3) for each (jahr, kw, fallgruppe, nachname) of
    `items`, in order: the rule's id, else the lowest free suffix -2, -3, … The one place that
    decides fall_ids; Case.save(), the imports, the demo data and the bench generator use it.

    Items sharing a surname (exactly: Kühn and Kuhn are two stems) count up together in item
    order. `reserved`, if given, holds ids handed out but perhaps not saved yet; the ids given
    here are added to it. `existing`, if given, is every fall_id of the table (a caller that has
    loaded them all), so the database is not asked; otherwise it is asked exactly, in a few
    queries per call whatever the number of items: each round asks, for every stem still
    without enough free ids, about twice as many candidates as it still needs.
    """
    reserved = set() if reserved is None else reserved
    results = [None] * len(items)
    waiting = {}  # stem -> indexes of the items still without an id, in item order
    for index, (jahr, kw, fallgruppe, nachname) in enumerate(items):
        stem = (jahr, kw, fallgruppe, " ".join(str(nachname or "").split()))
        waiting.setdefault(stem, []).append(index)
    next_suffix = dict.fromkeys(waiting, 1)
    built = {stem: [] for stem in waiting}  # candidates 1..n of the stem, asked about
    taken = set()
    while waiting:
        candidates = []
        for stem, indexes in waiting.items():
            known = built[stem]
            first = len(known) + 1
            count = max(2 * len(indexes), len(known)) if first > 1 else len(indexes)
            fresh = [rules.build_fall_id(*stem, suffix=s) for s in range(first, first + count)]
            known.extend(fresh)
            candidates.extend(fresh)
        if existing is not None:
            taken.update(existing.intersection(candidates))
        else:
            taken.update(_taken_fall_ids(candidates, using))
        for stem in list(waiting):
            indexes = waiting[stem]
            known = built[stem]
            while indexes and next_suffix[stem] <= len(known):
                candidate = known[next_suffix[stem] - 1]
                next_suffix[stem] += 1
                # `reserved` also catches two stems whose cut surnames meet in one id.
                if candidate not in taken and candidate not in reserved:
                    reserved.add(candidate)
                    results[indexes.pop(0)] = candidate
            if not indexes:
                del waiting[stem]
    return results


def replace_icd_codes(case):
    """Make the case's CaseICDCode rows match its ICD field."""
    codes = rules.parse_icd(case.icd) if case.icd else []
    CaseICDCode.objects.filter(case=case).exclude(icd_code__in=codes).delete()
    existing = set(CaseICDCode.objects.filter(case=case).values_list("icd_code", flat=True))
    CaseICDCode.objects.bulk_create(
        CaseICDCode(case=case, icd_code=code, icd_hauptgruppe=rules.icd_hauptgruppe(code))
        for code in codes
        if code not in existing
    )


class CaseICDCode(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="icd_codes")
    icd_code = ExactCharField("ICD-Code", max_length=10)
    icd_hauptgruppe = ExactCharField("Hauptgruppe", max_length=3, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ICD-Code"
        verbose_name_plural = "ICD-Codes"
        constraints = [
            models.UniqueConstraint(fields=["case", "icd_code"], name="caseicd_unique_code"),
        ]
        indexes = [models.Index(fields=["icd_code"], name="caseicd_code_idx")]

    def __str__(self):
        return self.icd_code
