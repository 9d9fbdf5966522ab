"""ICD entry (domain.md §3–5): one service for the inline entry, the ICD-Eingabe queue and the
coded-workbook upload.

``icd_check`` reads what someone typed (rules.parse_icd decides; the ICD-10-GM catalogue, when
one is loaded, adds titles and warnings) without writing anything. ``icd_save`` saves one case:
it locks the row, writes ``icd``, the CaseICDCode rows, who and when, one audit entry with the
old and new codes, and — when DAK staff saved — the ``icd_entered`` notification to the admins.
The workbook upload (imports.icd_import) locks its cases itself and calls ``icd_apply``, the
same saving code; as every import it writes one audit entry for the upload, not one per row
(domain.md §6), and sends its one ``icd_uploaded`` per upload instead of ``icd_entered``.

Empty input clears the codes: the case goes back into the ICD queue, nobody has entered them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import NotificationType, Role
from accounts.notifications import notify
from cases import rules
from cases.models import Case, replace_icd_codes
from coding.catalogue import CodeInfo, catalogue_lookup

ICD_SAVED = "case.icd_saved"
AUDIT_LABELS = {ICD_SAVED: "ICD-Codes gespeichert"}


class ICDRefused(rules.RuleError):
    """ICD input that is not saved; ``invalid_codes`` names the invalid codes as typed."""

    def __init__(self, message: str, invalid_codes: list[str] | None = None):
        super().__init__(message)
        self.invalid_codes = invalid_codes or []


class ICDAlreadyEntered(ICDRefused):
    """The queue's save of a case that someone else gave codes meanwhile."""


@dataclass
class ICDCheck:
    """What an input means: its normalised codes, or the error naming the invalid ones."""

    text: str | None = None  # the stored form, None for no codes
    codes: list[str] = field(default_factory=list)
    error: str | None = None
    invalid_codes: list[str] = field(default_factory=list)
    infos: list[CodeInfo] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [f"{info.code}: {info.warning}" for info in self.infos if info.warning]


@dataclass
class ICDSaved:
    case: Case
    codes: list[str]
    changed: bool
    warnings: list[str] = field(default_factory=list)


def icd_parse(text) -> list[str]:
    """Normalised codes of an input; ICDRefused (German, naming each invalid code) otherwise."""
    try:
        codes = rules.parse_icd(text)
        if codes:
            rules.icd_join(codes)  # refuses a list longer than the field
    except rules.ICDError as exc:
        raise ICDRefused(exc.message, exc.invalid_codes) from None
    except rules.RuleError as exc:
        raise ICDRefused(exc.message) from None
    return codes


def icd_check(*, text) -> ICDCheck:
    """The feedback while typing; never writes. Catalogue titles and warnings when loaded."""
    try:
        codes = icd_parse(text)
    except ICDRefused as exc:
        return ICDCheck(error=exc.message, invalid_codes=exc.invalid_codes)
    infos = list(catalogue_lookup(codes=codes).values())
    return ICDCheck(text=rules.icd_join(codes) if codes else None, codes=codes, infos=infos)


def stored_codes(case) -> list[str]:
    """The codes a case holds now; text that is not valid ICD (e.g. typed in the admin) counts
    as no codes, so a valid entry replaces it."""
    try:
        return rules.parse_icd(case.icd)
    except rules.RuleError:
        return []


def icd_apply(*, case, codes: list[str], actor, now=None) -> tuple[str, str] | None:
    """Store normalised codes on a case the caller has locked, inside the caller's transaction:
    ``icd``, the CaseICDCode rows, who and when and ``updated_by``. Returns the audit values
    (old, new) of the change, None (nothing written) when the case holds these codes already
    (order aside). The caller writes the audit entry (one per case, or one per import)."""
    new_text = rules.icd_join(codes) if codes else None
    if codes and case.icd and set(codes) == set(stored_codes(case)):
        return None
    if not codes and not case.icd:
        return None
    old_text = case.icd or None
    user = actor.user
    case.icd = new_text
    # Cleared codes put the case back into the ICD queue: nobody has entered them.
    case.icd_entered_by, case.icd_entered_at = (
        (user, now or timezone.now()) if codes else (None, None)
    )
    case.updated_by = user
    case.save(update_fields=["icd", "icd_entered_by", "icd_entered_at", "updated_by", "updated_at"])
    replace_icd_codes(case)
    return old_text, new_text


ALREADY_ENTERED = (
    "Für diesen Fall hat inzwischen jemand anderes ICD-Codes eingetragen ({codes}); "
    "er wurde nicht geändert."
)


def icd_save(*, case, text, actor, only_pending=False) -> ICDSaved:
    """Save what someone typed on one case (``case``: a Case or its pk) as ``actor``.

    Refuses invalid input with ICDRefused (nothing changed). The row is locked for the whole
    save, so two saves of one case run one after the other and both are audited in order.
    ``only_pending`` (the ICD-Eingabe queue): refuse when the case has codes by now, so a
    queue showing a case that someone else coded meanwhile never overwrites those codes."""
    codes = icd_parse(text)
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=pk)
        if only_pending and current.icd:
            raise ICDAlreadyEntered(ALREADY_ENTERED.format(codes=current.icd))
        change = icd_apply(case=current, codes=codes, actor=actor)
        if change is not None:
            old_text, new_text = change
            audit.record(
                action=ICD_SAVED,
                entity=current,
                old={"icd": old_text},
                new={"icd": new_text},
                actor=actor,
            )
        user = actor.user
        if change is not None and user is not None and user.role == Role.DAK_MITARBEITER:
            notify(
                NotificationType.ICD_ENTERED,
                actor=actor,
                title="ICD-Codes eingetragen",
                # No fall_id (it holds a surname) and no codes: the link opens the case.
                message=(
                    f"Für Fall {current.pk} (KW {current.kw:02d}/{current.jahr}) wurden "
                    + ("ICD-Codes eingetragen." if codes else "die ICD-Codes entfernt.")
                ),
                link=reverse("cases:detail", args=[current.pk]),
                obj=current,
            )
    warnings = [
        f"{info.code}: {info.warning}"
        for info in catalogue_lookup(codes=codes).values()
        if info.warning
    ]
    return ICDSaved(case=current, codes=codes, changed=change is not None, warnings=warnings)
