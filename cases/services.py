"""Case use cases written through the portal: a case entered by hand, an edit of a case.

The one place for the rules of such a write (domain.md §3–4): the form only parses input, these
functions decide — field rules and the coding and ICD rules of ``Case.clean``, dates, a CRM
ticket that belongs to another case, the duplicate check, optimistic concurrency — then save
and write the audit entry in the same transaction (domain.md §6). Keyword-only and with the
acting user as ``actor=`` (accounts.actor.Actor), so the shell calls them as views do.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import audit
from cases import audit_actions, rules
from cases.models import Case, Quelle, replace_icd_codes
from coding.gutachten import _notify_week_coded

# Every field staff may set on the case page, in the order of domain.md §3. Not here: fall_id
# (given once, never changed), jahr/kw and the duplicate key (derived from the values), quelle
# and import_log (where the case came from), and the who/when fields the services set.
EDITABLE_FIELDS = (
    "crm_ticket_id",
    "datum",
    "fallgruppe",
    "thema",
    "nachname",
    "vorname",
    "geburtsdatum",
    "kvnr",
    "geschlecht",
    "telefon",
    "email",
    "bearbeiter",
    "kontaktkanal",
    "kurzbeschreibung",
    "fragestellung",
    "behandelnde_klinik",
    "unterlagen",
    "unterlagen_angefordert_am",
    "unterlagen_eingang_am",
    "ablehnung",
    "ablehnungsgrund",
    "abbruch",
    "abbruchgrund",
    "abbruch_am",
    "gutachten",
    "gutachter",
    "gutachten_am",
    "gutachten_typ",
    "therapieaenderung",
    "ta_diagnosekorrektur",
    "ta_unterversorgung",
    "ta_uebertherapie",
    "icd",
    "abgerechnet",
    "abrechnungsdatum",
    "rechnungsnummer",
    "betrag",
    "bemerkung",
)
CODING_FIELDS = (
    "gutachten_typ",
    "therapieaenderung",
    "ta_diagnosekorrektur",
    "ta_unterversorgung",
    "ta_uebertherapie",
)
# Derived from datum: shown in the audit entry when an edit of datum moves the case's week.
DERIVED_FIELDS = ("jahr", "kw")
REQUIRED_FIELDS = ("datum", "fallgruppe", "nachname")
DUPLICATE_LIMIT = 20

_NOT_VALIDATED = tuple(f.name for f in Case._meta.fields if f.name not in EDITABLE_FIELDS)


@dataclass
class CaseSaved:
    """What a create or update did: the case as stored, the fields that changed (empty when
    the input changed nothing, then nothing was saved or audited) and German warnings."""

    case: Case
    changed: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Duplicate:
    case: Case
    reason: str


class CaseConflict(Exception):
    """The case was saved by someone else after the version an edit was based on.

    ``case`` is the case as stored now; ``changes`` lists (field, value in the edit's version,
    value now) as JSON values, for the fields that differ (empty when the edit's version is not
    known). Nothing was saved."""

    def __init__(self, case, changes):
        super().__init__("Der Fall wurde inzwischen geändert.")
        self.case = case
        self.changes = changes


class DuplicateSuspected(Exception):
    """A new case looks like existing ones (domain.md §4); nothing was saved. Creating it anyway
    needs the pks of these matches in ``confirmed_duplicates``."""

    def __init__(self, duplicates):
        super().__init__("Möglicherweise gibt es diesen Fall schon.")
        self.duplicates = duplicates


def editable_values(case):
    """The case's editable values as JSON values (the version an edit form is based on)."""
    return audit.to_json({name: getattr(case, name) for name in EDITABLE_FIELDS})


def edited_fields(*, basis, values):
    """The names among ``values`` whose value, as it would be stored, differs from ``basis``
    (editable_values of the version an edit started from): what the editor changed."""
    return [
        name
        for name, value in values.items()
        if name in basis and audit.to_json(_canonical(name, value, errors={})) != basis[name]
    ]


def case_problems(*, values, case=None):
    """The rule errors ({field: [German messages]}) that saving ``values`` on ``case`` (a new
    case when None) would raise, without saving anything: lets a form that could not parse
    every field still name every broken rule at once."""
    _refuse_unknown(values)
    target = Case(quelle=Quelle.MANUELL) if case is None else Case.objects.get(pk=case.pk)
    before = {} if case is None else _snapshot(target)
    edited = set(values) if case is None else set(edited_fields(basis=before, values=values))
    try:
        _apply_and_validate(target, values, changed=edited)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def case_duplicates(*, case, limit=DUPLICATE_LIMIT):
    """Existing cases that are the same case as ``case`` by domain.md §4: the same CRM ticket,
    or the same normalised nachname, vorname, geburtsdatum, fallgruppe and datum (the stored
    duplicate key, compared exactly, so no database collation decides). ``case`` must be
    normalised (``case.normalize()``)."""
    found = []
    seen = set()
    others = Case.objects.exclude(pk=case.pk) if case.pk else Case.objects.all()
    if case.crm_ticket_id:
        for match in others.filter(crm_ticket_id=case.crm_ticket_id)[:limit]:
            found.append(Duplicate(match, "gleiches CRM-Ticket"))
            seen.add(match.pk)
    for match in others.filter(duplicate_key=case.duplicate_key).order_by("pk")[:limit]:
        if match.pk not in seen:
            found.append(
                Duplicate(match, "gleiche Person (Name, Geburtsdatum), Fallgruppe und Datum")
            )
    return found[:limit]


def case_create(*, values, actor, confirmed_duplicates=()):
    """Enter a case by hand (quelle = manuell) with the rules of every portal write.

    Raises ValidationError (German messages per field) when a rule is broken, and
    DuplicateSuspected when the case looks like an existing one whose pk is not in
    ``confirmed_duplicates``; then nothing is saved. The fall_id comes from Case.save()."""
    _refuse_unknown(values)
    user = actor.user
    case = Case(quelle=Quelle.MANUELL, created_by=user, updated_by=user)
    with transaction.atomic():
        _apply_and_validate(case, values, changed=set(values))
        duplicates = case_duplicates(case=case)
        confirmed = {int(pk) for pk in confirmed_duplicates}
        if any(duplicate.case.pk not in confirmed for duplicate in duplicates):
            raise DuplicateSuspected(duplicates)
        now = timezone.now()
        if case.icd:
            case.icd_entered_by, case.icd_entered_at = user, now
        if _has_coding(case):
            case.coding_by, case.coding_at = user, now
        case.save()
        replace_icd_codes(case)
        stored = _snapshot(case)
        audit.record(
            action=audit_actions.CASE_CREATED,
            entity=case,
            new={
                "quelle": case.quelle,
                "fall_id": case.fall_id,
                **{k: v for k, v in stored.items() if v not in (None, "", False)},
            },
            actor=actor,
        )
    changed = [name for name in EDITABLE_FIELDS if stored.get(name) not in (None, "", False)]
    return CaseSaved(case=case, changed=changed, warnings=_warnings(case, set(changed)))


def case_update(*, case, values, based_on, actor, basis=None):
    """Change a case's editable fields; ``case`` is a Case or its pk.

    ``based_on`` is the ``updated_at`` of the version the edit was made on; when the case has
    been saved since (by anyone, an import included), CaseConflict is raised and nothing is
    saved: an edit never silently overwrites another. ``basis`` (editable_values of that
    version), if given, lets the conflict name what changed in between. Raises ValidationError
    for broken rules. One audit entry with the changed fields, old → new."""
    _refuse_unknown(values)
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        current = _lock_with_its_week(pk)
        if based_on is None or current.updated_at != based_on:
            raise CaseConflict(current, _changes_since(basis, current))
        was_pending_coding = current.gutachten and current.gutachten_typ is None
        old = _snapshot(current)
        edited = set(edited_fields(basis=old, values=values))
        _apply_and_validate(current, values, changed=edited)
        new = _snapshot(current)
        changed = [name for name in (*EDITABLE_FIELDS, *DERIVED_FIELDS) if old[name] != new[name]]
        if not changed:
            return CaseSaved(case=current, changed=[])
        user = actor.user
        now = timezone.now()
        if "icd" in changed:
            # Cleared codes put the case back into the ICD queue: nobody has entered them.
            entered = (user, now) if current.icd else (None, None)
            current.icd_entered_by, current.icd_entered_at = entered
        if set(CODING_FIELDS).intersection(changed):
            has_coding = _has_coding(current)
            current.coding_by, current.coding_at = (user, now) if has_coding else (None, None)
        current.updated_by = user
        current.save()
        if "icd" in changed:
            replace_icd_codes(current)
        audit.record(
            action=audit_actions.CASE_CHANGED,
            entity=current,
            old={name: old[name] for name in changed},
            new={name: new[name] for name in changed},
            actor=actor,
        )
        if was_pending_coding:
            _announce_week_if_coded(old["jahr"], old["kw"], actor=actor)
    return CaseSaved(case=current, changed=changed, warnings=_warnings(current, set(changed)))


# --- internals ---------------------------------------------------------------------------------


def _lock_with_its_week(pk):
    """The case, locked together with the uncoded Gutachten of its week, in primary-key order
    as the coding service (coding.gutachten) locks them. The week check after an edit is a
    locking read of the same rows; taking them all up front, in the card's order, keeps an
    edit and a coding card of one week from each holding a row the other waits for."""
    week = Case.objects.filter(pk=pk).values_list("jahr", "kw").first()
    if week is None:
        raise Case.DoesNotExist(f"Fall {pk} gibt es nicht.")
    jahr, kw = week
    locked = {
        row.pk: row
        for row in Case.objects.select_for_update()
        .filter(Q(pk=pk) | Q(jahr=jahr, kw=kw, gutachten=True, gutachten_typ__isnull=True))
        .order_by("pk")
    }
    return locked[pk]


def _announce_week_if_coded(jahr, kw, *, actor):
    """coding_completed once the week's pending-coding queue is empty (domain.md §5), whether
    the last Gutachten was coded on the card, in a batch or on the edit page."""
    if not Case.objects.pending_coding().filter(jahr=jahr, kw=kw).select_for_update().exists():
        _notify_week_coded(jahr, kw, actor=actor)


def _refuse_unknown(values):
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        # A programming error or a crafted request: such fields are never written.
        raise ValueError(f"Diese Felder sind nicht bearbeitbar: {', '.join(unknown)}")


def _snapshot(case):
    names = (*EDITABLE_FIELDS, *DERIVED_FIELDS)
    return audit.to_json({name: getattr(case, name) for name in names})


def _canonical(name, value, *, errors):
    """The value as the model stores it (so that comparing and auditing see what is saved):
    text parsed to dates/decimals, decimals to the field's places, '' as NULL where NULL is
    the empty value. A value that cannot be read goes to ``errors`` and comes back unchanged."""
    model_field = Case._meta.get_field(name)
    try:
        value = model_field.to_python(value)
    except ValidationError as exc:
        errors.setdefault(name, []).extend(exc.messages)
        return value
    if value == "" and model_field.null:
        return None
    if value is None and not model_field.null and isinstance(model_field, models.CharField):
        return ""
    if isinstance(value, decimal.Decimal):
        return value.quantize(decimal.Decimal(1).scaleb(-model_field.decimal_places))
    return value


def _apply_and_validate(case, values, *, changed):
    """Set values on case, normalise it and check every rule; ValidationError lists them all."""
    errors = {}
    for name, value in values.items():
        setattr(case, name, _canonical(name, value, errors=errors))
    if errors:
        raise ValidationError(errors)
    case.normalize()
    for name in REQUIRED_FIELDS:
        if getattr(case, name) in (None, ""):
            errors[name] = [f"{Case._meta.get_field(name).verbose_name} fehlt."]
    try:
        case.full_clean(
            exclude=(*_NOT_VALIDATED, *errors),
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for name in sorted(changed):
        value = getattr(case, name)
        if name in errors or value in (None, ""):
            continue
        message = _changed_value_problem(case, name, value)
        if message:
            errors.setdefault(name, []).append(message)
    if case.crm_ticket_id and "crm_ticket_id" not in errors:
        holder = (
            Case.objects.filter(crm_ticket_id=case.crm_ticket_id)
            .exclude(pk=case.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if holder is not None:
            errors["crm_ticket_id"] = [
                f"Dieses CRM-Ticket ist schon bei Fall Nr. {holder} eingetragen; ein Ticket "
                "gehört zu genau einem Fall."
            ]
    if errors:
        raise ValidationError(errors)


def _changed_value_problem(case, name, value):
    """A German message when a newly entered value breaks a rule that stored (imported) values
    may predate: dates within the portal's years, a birth date not in the future, an e-mail
    address that can receive mail."""
    label = str(Case._meta.get_field(name).verbose_name)
    try:
        if name == "geburtsdatum":
            rules.parse_geburtsdatum(value)
        elif isinstance(value, dt.date):
            rules.parse_datum(value, label=label)
        elif name == "email":
            validate_email(value)
    except rules.RuleError as exc:
        return exc.message
    except ValidationError:
        return "Bitte eine gültige E-Mail-Adresse eingeben (z. B. name@beispiel.de)."
    return None


def _has_coding(case):
    return any(getattr(case, name) for name in CODING_FIELDS)


def _warnings(case, changed):
    warnings = []
    if "kvnr" in changed and not case.kvnr_valid:
        warnings.append(
            "Die KVNR hat nicht die Form Buchstabe + neun Ziffern mit gültiger Prüfziffer; "
            "sie wurde wie eingegeben gespeichert und ist am Fall markiert."
        )
    if set(CODING_FIELDS).intersection(changed):
        _errors, coding_warnings = rules.coding_problems(
            **{name: getattr(case, name) for name in ("gutachten", *CODING_FIELDS)}
        )
        warnings.extend(coding_warnings)
    return warnings


def _changes_since(basis, current):
    if not basis:
        return []
    now = editable_values(current)
    return [
        (name, basis[name], now[name])
        for name in EDITABLE_FIELDS
        if name in basis and basis[name] != now[name]
    ]
