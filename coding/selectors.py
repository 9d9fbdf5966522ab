"""Reads for the Gutachten coding pages: the queue, its neighbours and the week's progress."""

from dataclasses import dataclass

from django.db.models import Count, Q

from cases.models import Case

# Only what the queue shows; kurzbeschreibung/fragestellung can be long, they are cut in the
# template, never loaded for more rows than a page holds.
QUEUE_COLUMNS = (
    "pk",
    "datum",
    "jahr",
    "kw",
    "nachname",
    "vorname",
    "fallgruppe",
    "kurzbeschreibung",
    "fragestellung",
    "gutachter",
)


@dataclass(frozen=True)
class QueueFilter:
    jahr: int | None = None
    kw: int | None = None
    fallgruppe: str | None = None

    def week_q(self):
        q = Q()
        if self.jahr is not None:
            q &= Q(jahr=self.jahr)
        if self.kw is not None:
            q &= Q(kw=self.kw)
        return q

    def q(self):
        q = self.week_q()
        if self.fallgruppe:
            q &= Q(fallgruppe=self.fallgruppe)
        return q


def coding_queue(*, filter):
    """Uncoded Gutachten of the filter, oldest first (datum, then pk so the order is total)."""
    # The pending-coding index (gutachten, gutachten_typ) serves the queue condition.
    return Case.objects.pending_coding().filter(filter.q()).order_by("datum", "pk")


def coding_next(*, filter, after):
    """The next uncoded case of the filter after ``after`` in queue order, else the first."""
    queue = coding_queue(filter=filter)
    later = queue.filter(Q(datum__gt=after.datum) | Q(datum=after.datum, pk__gt=after.pk))
    return later.exclude(pk=after.pk).first() or queue.exclude(pk=after.pk).first()


@dataclass(frozen=True)
class Progress:
    total: int
    coded: int
    bestaetigung: int
    alternative: int

    @property
    def percent(self):
        return round(100 * self.coded / self.total) if self.total else 0

    @property
    def bestaetigung_percent(self):
        return round(100 * self.bestaetigung / self.coded) if self.coded else 0

    @property
    def alternative_percent(self):
        return 100 - self.bestaetigung_percent if self.coded else 0


def coding_progress(*, filter):
    """X of Y Gutachten coded and the Bestätigung : Alternative split, in one aggregate query.

    Counts the Gutachten of the selected year/week, coded or not, over all Fallgruppen: the
    week is what coding_completed and the weekly report are about.
    """
    counts = Case.objects.filter(filter.week_q(), gutachten=True).aggregate(
        total=Count("pk"),
        coded=Count("pk", filter=Q(gutachten_typ__isnull=False)),
        bestaetigung=Count("pk", filter=Q(gutachten_typ="Bestätigung")),
        alternative=Count("pk", filter=Q(gutachten_typ="Alternative")),
    )
    return Progress(**counts)


def coding_years():
    """Years that have Gutachten, newest first, for the filter's choices."""
    return list(
        Case.objects.filter(gutachten=True)
        .order_by("-jahr")
        .values_list("jahr", flat=True)
        .distinct()
    )
