"""Gutachten coding (domain.md §3–5): one service for the coding card and the batch.

Both the card (one case) and the batch (several cases of the backlog) go through
``gutachten_code_batch``: the rules of ``cases.rules.coding_problems`` decide, every case gets
its own audit entry with the old and new coding, and a week whose last uncoded Gutachten is
coded sends ``coding_completed`` to the DAK staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import NotificationType, Role
from accounts.notifications import notify
from cases import rules
from cases.models import Case

GUTACHTEN_CODED = "case.gutachten_coded"
AUDIT_LABELS = {GUTACHTEN_CODED: "Gutachten codiert"}

CODING_FIELDS = (
    "gutachten_typ",
    "therapieaenderung",
    "ta_diagnosekorrektur",
    "ta_unterversorgung",
    "ta_uebertherapie",
)


class CodingError(rules.RuleError):
    """A coding that is refused; ``errors`` are German messages, nothing was saved."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass
class CodingResult:
    cases: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (jahr, kw) of every week whose pending-coding queue this coding emptied.
    completed_weeks: list[tuple[int, int]] = field(default_factory=list)


def coding_check(
    *, gutachten_typ, therapieaenderung, ta_diagnosekorrektur, ta_unterversorgung, ta_uebertherapie
):
    """(errors, warnings) of a coding as the card and the batch submit it."""
    errors, warnings = rules.coding_problems(
        gutachten=True,
        gutachten_typ=gutachten_typ,
        therapieaenderung=therapieaenderung,
        ta_diagnosekorrektur=ta_diagnosekorrektur,
        ta_unterversorgung=ta_unterversorgung,
        ta_uebertherapie=ta_uebertherapie,
    )
    # Coding means deciding both: an empty choice would leave the case half coded.
    if not gutachten_typ:
        errors.insert(0, "Bitte den Gutachten-Typ wählen (Bestätigung oder Alternative).")
    if not therapieaenderung:
        errors.insert(
            1 if not gutachten_typ else 0, "Bitte Therapieänderung wählen (Ja oder Nein)."
        )
    return errors, warnings


def gutachten_code(
    *,
    case,
    gutachten_typ,
    therapieaenderung,
    ta_diagnosekorrektur=False,
    ta_unterversorgung=False,
    ta_uebertherapie=False,
    actor,
):
    """Code one Gutachten (the coding card); raises CodingError, returns a CodingResult."""
    return gutachten_code_batch(
        cases=[case],
        gutachten_typ=gutachten_typ,
        therapieaenderung=therapieaenderung,
        ta_diagnosekorrektur=ta_diagnosekorrektur,
        ta_unterversorgung=ta_unterversorgung,
        ta_uebertherapie=ta_uebertherapie,
        actor=actor,
    )


def gutachten_code_batch(
    *,
    cases,
    gutachten_typ,
    therapieaenderung,
    ta_diagnosekorrektur=False,
    ta_unterversorgung=False,
    ta_uebertherapie=False,
    actor,
):
    """Give several cases the same coding in one transaction: all of them or none."""
    user = actor.user
    # Coding is the provider's work (domain.md §2); the views check too, this holds for shells.
    if user is not None and getattr(user, "role", None) != Role.ADMIN:
        raise CodingError(["Nur Administratoren dürfen Gutachten codieren."])
    pks = sorted({case.pk for case in cases})
    if not pks:
        raise CodingError(["Bitte mindestens einen Fall auswählen."])
    values = {
        "gutachten_typ": gutachten_typ or None,
        "therapieaenderung": therapieaenderung or None,
        "ta_diagnosekorrektur": bool(ta_diagnosekorrektur),
        "ta_unterversorgung": bool(ta_unterversorgung),
        "ta_uebertherapie": bool(ta_uebertherapie),
    }
    errors, warnings = coding_check(**values)
    if errors:
        raise CodingError(errors)

    result = CodingResult(warnings=warnings)
    with transaction.atomic():
        weeks = set(Case.objects.filter(pk__in=pks).values_list("jahr", "kw"))
        # One locking read in primary-key order over the cases to code and every uncoded
        # Gutachten of their weeks: two admins finishing the same week queue up here, so the
        # second sees the first one's coding and exactly one of them sends coding_completed.
        week_q = Q()
        for jahr, kw in weeks:
            week_q |= Q(jahr=jahr, kw=kw, gutachten=True, gutachten_typ__isnull=True)
        locked = {
            case.pk: case
            for case in Case.objects.select_for_update()
            .filter(Q(pk__in=pks) | week_q)
            .order_by("pk")
        }
        missing = [pk for pk in pks if pk not in locked]
        if missing:
            raise CodingError([f"Fall {pk} gibt es nicht (mehr)." for pk in missing])
        without = [pk for pk in pks if not locked[pk].gutachten]
        if without:
            raise CodingError(
                [f"Fall {pk} hat kein Gutachten und kann nicht codiert werden." for pk in without]
            )
        now = timezone.now()
        emptied = set()
        for pk in pks:
            case = locked[pk]
            old = {name: getattr(case, name) for name in CODING_FIELDS}
            if old["gutachten_typ"] is None:
                emptied.add((case.jahr, case.kw))
            for name, value in values.items():
                setattr(case, name, value)
            case.coding_by = user
            case.coding_at = now
            case.updated_by = user
            case.save(
                update_fields=[*CODING_FIELDS, "coding_by", "coding_at", "updated_by", "updated_at"]
            )
            audit.record(
                action=GUTACHTEN_CODED, entity=case, old=old, new=dict(values), actor=actor
            )
            result.cases.append(case)
        for jahr, kw in sorted(emptied):
            # A locking read sees the latest committed rows whatever the isolation level.
            still_pending = Case.objects.pending_coding().filter(jahr=jahr, kw=kw)
            if not still_pending.select_for_update().exists():
                result.completed_weeks.append((jahr, kw))
                _notify_week_coded(jahr, kw, actor=actor)
    return result


def _notify_week_coded(jahr, kw, *, actor):
    link = f"{reverse('cases:list')}?jahr={jahr}&kw={kw}"
    notify(
        NotificationType.CODING_COMPLETED,
        actor=actor.user,
        title=f"Codierung abgeschlossen: {jahr} KW {kw:02d}",
        message=f"Alle Gutachten der KW {kw:02d}/{jahr} sind codiert.",
        link=link,
    )
