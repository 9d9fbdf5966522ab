"""The start page's figures for one year (issue 13 "Dashboard"), for the page and the API alike.

`dashboard_figures(jahr)` returns one plain, JSON-safe dict (the API serialises it as it is,
`reports.api.DashboardSerializer` documents it); `dashboard_years()` the years to choose from.

The figures come from `reports.figures` — the year's full-year figures (`year_figures`, one
grouped query over the covering index) and the previous-year comparison as the weekly report
makes it (`vorjahr_figures`: live from that year's cases, else its YearlySummary) — nothing is
counted twice here. The two grouped queries read a year's whole index range (about 0.1 s each for a
year of 100,000 cases), so the result is cached per year for CACHE_SECONDS; `stand` says when it
was computed and the page shows it. The pending-ICD and pending-coding counts are cached with
it (the page's own tiles count them live).
"""

import datetime as dt

from django.core.cache import cache
from django.utils import timezone

from cases import rules
from cases.models import Case
from reports import figures as f

CACHE_SECONDS = 60
CACHE_PREFIX = "reports.dashboard.v1"

# The previous-year comparison table: the sheet-1 figures and the two Gutachten types.
COMPARISON_ROWS = (
    ("erstberatungen", "Erstberatungen"),
    ("unterlagen", "Unterlagen"),
    ("ablehnungen", "Ablehnungen"),
    ("keine_rueckmeldung", "Keine Rückmeldung"),
    ("gutachten", "Gutachten"),
    ("bestaetigung", "Bestätigung"),
    ("alternative", "Alternative"),
)
VORJAHR_QUELLEN = {
    f.VORJAHR_FAELLE: "aus den Fällen",
    f.VORJAHR_ZUSAMMENFASSUNG: "aus der Jahreszusammenfassung",
    f.VORJAHR_KEINE: "keine Daten",
}


def current_year(today: dt.date | None = None) -> int:
    """The ISO year of today in Europe/Berlin (the year a case of today gets)."""
    return rules.iso_week(today or rules.berlin_today())[0]


def _last_kw(jahr: int, per_kw: dict, today: dt.date) -> int:
    """The last KW the charts show: every KW of a past year; of the current year the KWs up to
    this week (or to the last KW with cases, should a later one have some)."""
    weeks = rules.weeks_in_iso_year(jahr)
    this_year, this_week = rules.iso_week(today)
    if jahr < this_year:
        return weeks
    with_cases = [int(k) for k, row in per_kw.items() if row["erstberatungen"]]
    floor = this_week if jahr == this_year else 1
    return max([floor, *with_cases])


def _totals(gesamt: dict, gutachten_typen: dict) -> dict[str, int]:
    """The comparison's figures: the sheet-1 totals and the two Gutachten types."""
    return {
        **gesamt,
        "bestaetigung": gutachten_typen["bestaetigung"],
        "alternative": gutachten_typen["alternative"],
    }


def compute_dashboard(jahr: int, today: dt.date | None = None) -> dict:
    """The figures without the cache (see `dashboard_figures`)."""
    today = today or rules.berlin_today()
    year = f.year_figures(jahr)
    vorjahr = f.vorjahr_figures(jahr)
    bis_kw = _last_kw(jahr, year["per_kw"], today)
    kws = list(range(1, bis_kw + 1))
    per_kw = year["per_kw"]
    live = vorjahr["vorjahr_quelle"] == f.VORJAHR_FAELLE
    vorjahr_per_kw = vorjahr["vorjahr_per_kw"]

    def vorjahr_value(kw: int, key: str):
        # A KW the previous year does not have (53) or a summary without weeks: no value.
        row = vorjahr_per_kw.get(str(kw))
        return row[key] if row is not None else None

    totals = _totals(year["gesamt"], year["gutachten_typen"])
    vorjahr_totals = _totals(vorjahr["vorjahr"], vorjahr["vorjahr_gutachten_typen"])
    # The previous year's KW 1 … bis_kw: only from its cases (a summary has no weeks), and only
    # the sheet-1 figures (the comparison keeps no Gutachten types per KW).
    same_period = None
    if live:
        same_period = dict.fromkeys(f.TOTAL_KEYS, 0)
        for kw in kws:
            row = vorjahr_per_kw.get(str(kw))
            if row is not None:
                for key in f.TOTAL_KEYS:
                    same_period[key] += row[key]
    comparison = [
        {
            "kennzahl": key,
            "bezeichnung": label,
            "wert": totals[key],
            "vorjahr_zeitraum": (
                same_period[key] if same_period is not None and key in same_period else None
            ),
            "vorjahr_gesamt": vorjahr_totals[key],
        }
        for key, label in COMPARISON_ROWS
    ]
    return {
        "jahr": jahr,
        "bis_kw": bis_kw,
        "stand": timezone.now().isoformat(timespec="seconds"),
        "kws": kws,
        "kpi": {
            "erstberatungen": year["gesamt"]["erstberatungen"],
            "gutachten": year["gesamt"]["gutachten"],
            "icd_offen": Case.objects.pending_icd().count(),
            "codierung_offen": Case.objects.pending_coding().count(),
        },
        "je_kw": {
            "erstberatungen": [per_kw[str(kw)]["erstberatungen"] for kw in kws],
            "gutachten": [per_kw[str(kw)]["gutachten"] for kw in kws],
        },
        "fallgruppen": [
            {
                "code": code,
                "bezeichnung": label,
                "anzahl": year["per_fallgruppe"][code]["anzahl"],
                "gutachten": year["per_fallgruppe"][code]["gutachten"],
                "bestaetigung": year["per_fallgruppe"][code]["bestaetigung"],
                "alternative": year["per_fallgruppe"][code]["alternative"],
            }
            for code, label in rules.FALLGRUPPEN.items()
        ],
        "vorjahr": {
            "jahr": vorjahr["vorjahr_jahr"],
            "quelle": vorjahr["vorjahr_quelle"],
            "quelle_text": VORJAHR_QUELLEN[vorjahr["vorjahr_quelle"]],
            "erstberatungen_je_kw": [vorjahr_value(kw, "erstberatungen") for kw in kws],
            "gutachten_je_kw": [vorjahr_value(kw, "gutachten") for kw in kws],
        },
        "vergleich": comparison,
    }


def dashboard_figures(jahr: int) -> dict:
    """The start page's figures for `jahr`, at most CACHE_SECONDS old (see the docstring)."""
    return cache.get_or_set(
        f"{CACHE_PREFIX}.jahr.{jahr}", lambda: compute_dashboard(jahr), CACHE_SECONDS
    )


def dashboard_years() -> dict:
    """{"jahre": the years with cases and the current year, newest first; "aktuell": the
    current year} — cached like the figures."""

    def compute():
        years = set(Case.objects.order_by().values_list("jahr", flat=True).distinct())
        return sorted(years | {current_year()}, reverse=True)

    years = cache.get_or_set(f"{CACHE_PREFIX}.jahre", compute, CACHE_SECONDS)
    return {"jahre": years, "aktuell": current_year()}
