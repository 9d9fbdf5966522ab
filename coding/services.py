"""ICD coding use cases: saving codes on a case (used by the coded-workbook upload)."""

from django.utils import timezone

from cases import rules
from cases.models import replace_icd_codes


def stored_codes(case) -> set[str]:
    """The codes a case holds now; text that is not valid ICD (e.g. typed in the admin) counts
    as no codes, so a valid upload replaces it."""
    try:
        return set(rules.parse_icd(case.icd))
    except rules.RuleError:
        return set()


def case_icd_set(*, case, codes: list[str], user, now=None) -> bool:
    """Store normalised ICD codes on a case with who and when; False when nothing changed.

    The caller validates (rules.parse_icd) and owns the transaction and the audit entry.
    """
    text = rules.icd_join(codes) if codes else None
    if case.icd and set(codes) == stored_codes(case):
        return False
    case.icd = text
    case.icd_entered_by = user
    case.icd_entered_at = now or timezone.now()
    case.updated_by = user
    case.save(update_fields=["icd", "icd_entered_by", "icd_entered_at", "updated_by", "updated_at"])
    replace_icd_codes(case)
    return True
