"""Querysets of cases, already reduced to what the user may see (domain.md §2: every logged-in
user, admin or DAK staff, sees every case; anyone else none)."""

import datetime as dt

from django.db.models import Max, Min, Q

from accounts.permissions import LOGGED_IN, user_may
from cases import rules
from cases.filters import DEFAULT_SORT, order_by
from cases.models import Case

# What a list row shows and what its status needs; nothing else is read.
LIST_FIELDS = (
    "id",
    "fall_id",
    "jahr",
    "kw",
    "datum",
    "nachname",
    "vorname",
    "fallgruppe",
    "icd",
    "unterlagen",
    "ablehnung",
    "abbruch",
    "gutachten",
    "gutachten_typ",
)

# German spellings staff type for one another: "Mueller" for "Müller", "Weiss" for "Weiß".
# MariaDB's collation already ignores case and accents in LIKE (muller% finds Müller), but it
# compares LIKE character by character, so ue ≠ ü and ss ≠ ß there.
_TO_UMLAUT = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß"))


def case_visible(*, user):
    """Every case for a logged-in user, none for anyone else."""
    if user is None or not user_may(user, LOGGED_IN):
        return Case.objects.none()
    return Case.objects.all()


def case_list(*, user, filters, search="", sort=DEFAULT_SORT):
    """The cases of the list: visible to `user`, filtered, searched and in a stable order."""
    cases = filter_cases(case_visible(user=user), filters)
    if search:
        cases = cases.filter(search_condition(search))
    return cases.order_by(*order_by(sort))


def filter_cases(cases, filters):
    """Apply validated structured filters (CaseFilterForm.filters)."""
    jahr = filters.get("jahr")
    kw = filters.get("kw")
    kw_von = kw if kw is not None else filters.get("kw_von")
    kw_bis = kw if kw is not None else filters.get("kw_bis")
    if jahr is not None:
        cases = cases.filter(jahr=jahr)
    if kw_von is not None:
        cases = cases.filter(kw=kw_von) if kw_von == kw_bis else cases.filter(kw__gte=kw_von)
    if kw_bis is not None and kw_bis != kw_von:
        cases = cases.filter(kw__lte=kw_bis)
    if jahr is not None or kw_von is not None or kw_bis is not None:
        cases = cases.filter(_week_dates(cases, jahr, kw_von, kw_bis))
    if "fallgruppe" in filters:
        cases = cases.filter(fallgruppe=filters["fallgruppe"])
    if "status" in filters:
        cases = cases.with_status(filters["status"])
    if "quelle" in filters:
        cases = cases.filter(quelle=filters["quelle"])
    if filters.get("icd_fehlt"):
        cases = cases.pending_icd()
    if filters.get("codierung_fehlt"):
        cases = cases.pending_coding()
    if "import" in filters:
        cases = cases.filter(import_log=filters["import"])
    return cases


def _week_dates(cases, jahr, kw_von, kw_bis):
    """The chosen weeks as date ranges (one per year; without a Jahr, each year the table
    holds). jahr/kw are derived from datum, so this selects the same cases, and with it the
    database reads the newest of them straight off the datum index instead of sorting all."""
    if jahr is not None:
        years = [jahr]
    else:
        bounds = cases.model.objects.aggregate(first=Min("jahr"), last=Max("jahr"))
        if bounds["first"] is None:
            return Q()
        years = range(bounds["first"], bounds["last"] + 1)
    condition = Q(pk__in=[])
    for year in years:
        weeks = rules.weeks_in_iso_year(year)
        first_week = kw_von or 1
        if first_week > weeks:
            continue
        last_week = min(kw_bis or weeks, weeks)
        first = rules.monday_of_iso_week(year, first_week)
        last = rules.monday_of_iso_week(year, last_week) + dt.timedelta(days=6)
        condition |= Q(datum__range=(first, last))
    return condition


def spelling_variants(text):
    """The term as typed, with ae/oe/ue/ss written as ä/ö/ü/ß, and the other way round."""
    text = text.lower()
    to_umlaut = text
    from_umlaut = text
    for digraph, umlaut in _TO_UMLAUT:
        to_umlaut = to_umlaut.replace(digraph, umlaut)
        from_umlaut = from_umlaut.replace(umlaut, digraph)
    return list(dict.fromkeys([text, to_umlaut, from_umlaut]))


def search_condition(term):
    """A prefix search whose branches an index serves; which columns it searches follows from
    the term's shape, so that no OR spans a name index and identifier indexes (MariaDB could
    then neither stop early nor keep the name index's order; docs/decisions.md, "Case list"):

    - starts with a digit: the Fall-ID (``2026-06-onko-Mü``), compared exactly as shown;
    - starts with a letter and holds a digit: the KVNR or the CRM ticket, upper-cased like the
      stored values, then compared exactly;
    - no digit: the Nachname (case and accents ignored on MariaDB, German spellings both
      ways), or "Nachname, Vorname" / "Nachname Vorname" through the (nachname, vorname)
      index. A first name alone is not searched: no index serves it.
    """
    term = " ".join(term.split())
    # istartswith is LIKE under the column's own collation on MariaDB: binary (exact) for the
    # identifiers, German for the names. Django's startswith would be LIKE BINARY, a different
    # collation than the index's.
    if not is_name_search(term):
        return _identifier_condition(term)
    condition = Q()
    for variant in spelling_variants(term):
        condition |= Q(nachname__istartswith=variant)
    separator = "," if "," in term else " "
    surname, _, first_name = (part.strip() for part in term.partition(separator))
    if surname and first_name:
        for variant in spelling_variants(surname):
            condition |= Q(nachname__iexact=variant, vorname__istartswith=first_name)
    return condition


def is_name_search(term):
    """True if ``term`` searches names (it holds no digit); otherwise it is an identifier."""
    return not any(character.isdigit() for character in term)


def _identifier_condition(term):
    if term[:1].isdigit():
        return Q(fall_id__istartswith=term)
    return Q(kvnr__istartswith=term.upper()) | Q(
        crm_ticket_id__istartswith=rules.normalize_ticket(term)
    )
