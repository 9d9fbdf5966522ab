"""Every figure of a weekly report (domain.md §7), computed in the database.

`report_figures(jahr=J, kw=K)` returns ONE plain, JSON-serialisable dict. The workbook writer
(`reports.workbook`), the report page, the dashboard and its API all read it; `WeeklyReport`
stores it as JSON. All keys are strings (KWs too: ``"1"`` … ``"53"``), so the structure is the
same before and after a JSON round trip, and dicts keep their documented order.

Structure::

    {
      "jahr": 2026, "kw": 5,              # the report week
      "weeks_in_year": 53,                # 52 or 53 (ISO weeks of jahr)
      "kws": [1, 2, 3, 4, 5],             # the KW rows: every KW from 1 to kw

      # Sheet 1: the period's totals, their shares of Erstberatungen, and per KW
      "gesamt":  {"erstberatungen", "unterlagen", "ablehnungen", "keine_rueckmeldung",
                  "gutachten"}                                    -> int
      "anteile": {same five keys}                                 -> float 0…1
      "per_kw":  {"1": {same five keys} -> int, …}                # zeros for empty weeks

      # Sheet 2 and the Fallgruppe part of sheet 3, five codes in domain order
      "fallgruppen":     [["onko", "Onkologie"], ["kardio", "Kardiologie"], …]
      "per_fallgruppe":  {"onko": {"anzahl", "gutachten", "keine_rm_ablehnung",
                                   "alternative", "bestaetigung"} -> int, …}
      "per_kw_fallgruppe": {"1": {"onko": {same five keys}, …}, …}

      # Sheet 3, group "Gesamt" (all Fallgruppen)
      "gutachten_typen":        {"gutachten", "alternative", "bestaetigung"} -> int
      "per_kw_gutachten_typen": {"1": {same three keys}, …}

      # Sheet 4
      "therapieaenderungen":        {"gutachten", "ta_ja", "ta_nein", "diagnosekorrektur",
                                     "unterversorgung", "uebertherapie"} -> int
      "per_kw_therapieaenderungen": {"1": {same six keys}, …}

      # Sheet 5: distinct ICD codes (CaseICDCode) of the period's onko cases, ascending,
      # with the number of those cases carrying each
      "icd_onko": {"C18.7": 15, …}

      # Previous year's full year (all its KWs)
      "vorjahr_jahr":   2025,
      "vorjahr_quelle": "faelle" | "zusammenfassung" | "keine",
                        # live cases when that year has any, else its YearlySummary,
                        # else nothing known (all figures zero; the workbook leaves D/E empty)
      "vorjahr":         {five sheet-1 keys} -> int
      "vorjahr_anteile": {five sheet-1 keys} -> float
      "vorjahr_per_kw":  {"1": {five keys}, …}   # only for "faelle", else {}
      "vorjahr_per_fallgruppe", "vorjahr_gutachten_typen", "vorjahr_therapieaenderungen":
                         like the keys without "vorjahr_" (zeros for "keine")
    }

Shares are fractions of the Erstberatungen of the same period (0.0 when that is 0).
Keine Rückmeldung = not unterlagen and not ablehnung and not abbruch; "Keine RM/Ablehnung" =
Keine Rückmeldung or Ablehnung (disjoint, so their sum).

Queries: one conditional-aggregation query grouped by (kw, fallgruppe) for the report year,
the same for the previous year, one grouped query for ICD onko, and (only when the previous
year has no cases) one YearlySummary lookup — never one query per KW.
"""

from django.db.models import Count, Q

from cases import rules
from cases.models import Case, CaseICDCode

TOTAL_KEYS = ("erstberatungen", "unterlagen", "ablehnungen", "keine_rueckmeldung", "gutachten")
FALLGRUPPE_KEYS = ("anzahl", "gutachten", "keine_rm_ablehnung", "alternative", "bestaetigung")
GUTACHTEN_KEYS = ("gutachten", "alternative", "bestaetigung")
TA_KEYS = (
    "gutachten",
    "ta_ja",
    "ta_nein",
    "diagnosekorrektur",
    "unterversorgung",
    "uebertherapie",
)
FALLGRUPPEN = tuple(rules.FALLGRUPPEN)

VORJAHR_FAELLE = "faelle"
VORJAHR_ZUSAMMENFASSUNG = "zusammenfassung"
VORJAHR_KEINE = "keine"

# The counted conditions, one conditional aggregate each (COUNT(CASE WHEN … THEN id END)).
_CONDITIONS = {
    "unterlagen": Q(unterlagen=True),
    "ablehnungen": Q(ablehnung=True),
    "keine_rueckmeldung": Q(unterlagen=False, ablehnung=False, abbruch=False),
    "gutachten": Q(gutachten=True),
    "alternative": Q(gutachten_typ="Alternative"),
    "bestaetigung": Q(gutachten_typ="Bestätigung"),
    "ta_ja": Q(therapieaenderung="Ja"),
    "ta_nein": Q(therapieaenderung="Nein"),
    "diagnosekorrektur": Q(ta_diagnosekorrektur=True),
    "unterversorgung": Q(ta_unterversorgung=True),
    "uebertherapie": Q(ta_uebertherapie=True),
}
_COUNTED = ("erstberatungen", *_CONDITIONS)


class ReportWeekError(ValueError):
    """A (jahr, kw) that has no report: the message is German and meant for the user."""


def check_report_week(jahr, kw) -> None:
    if isinstance(jahr, bool) or not isinstance(jahr, int) or not 2000 <= jahr <= 2100:
        raise ReportWeekError(f"Ungültiges Berichtsjahr: {jahr!r} (2000–2100).")
    weeks = rules.weeks_in_iso_year(jahr)
    if isinstance(kw, bool) or not isinstance(kw, int) or not 1 <= kw <= weeks:
        raise ReportWeekError(f"Das Jahr {jahr} hat keine KW {kw} (nur KW 1–{weeks}).")


def _grouped_query(jahr: int, kw: int | None):
    """The conditional-aggregation query grouped by (kw, fallgruppe) (the benchmark EXPLAINs it)."""
    cases = Case.objects.filter(jahr=jahr)
    if kw is not None:
        cases = cases.filter(kw__lte=kw)
    # Aliases prefixed: an annotation named like a field ("gutachten") would shadow it.
    aggregates = {"n_erstberatungen": Count("pk")}
    aggregates.update({f"n_{key}": Count("pk", filter=cond) for key, cond in _CONDITIONS.items()})
    return cases.order_by().values("kw", "fallgruppe").annotate(**aggregates)


def _grouped_counts(jahr: int, kw: int | None) -> dict[tuple[int, str], dict[str, int]]:
    """{(kw, fallgruppe): {counted key: n}} for jahr (kw ≤ `kw` unless None), one query."""
    rows = _grouped_query(jahr, kw)
    return {(row["kw"], row["fallgruppe"]): {k: row[f"n_{k}"] for k in _COUNTED} for row in rows}


def _zeros(keys) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _shares(totals: dict[str, int]) -> dict[str, float]:
    base = totals["erstberatungen"]
    return {key: (totals[key] / base if base else 0.0) for key in TOTAL_KEYS}


def _derive(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """The sheet figures of one (kw, fallgruppe) cell of raw counts."""
    return {
        "totals": {key: counts[key] for key in TOTAL_KEYS},
        "fallgruppe": {
            "anzahl": counts["erstberatungen"],
            "gutachten": counts["gutachten"],
            "keine_rm_ablehnung": counts["keine_rueckmeldung"] + counts["ablehnungen"],
            "alternative": counts["alternative"],
            "bestaetigung": counts["bestaetigung"],
        },
        "gutachten_typen": {key: counts[key] for key in GUTACHTEN_KEYS},
        "therapieaenderungen": {key: counts[key] for key in TA_KEYS},
    }


def _add(into: dict[str, int], values: dict[str, int]) -> None:
    for key, value in values.items():
        into[key] += value


def _assemble(grouped: dict, kws: list[int]) -> dict:
    """Per-KW and total figures from grouped counts; every KW of `kws` present (zeros)."""
    per_kw = {str(k): _zeros(TOTAL_KEYS) for k in kws}
    per_kw_fg = {str(k): {fg: _zeros(FALLGRUPPE_KEYS) for fg in FALLGRUPPEN} for k in kws}
    per_kw_gt = {str(k): _zeros(GUTACHTEN_KEYS) for k in kws}
    per_kw_ta = {str(k): _zeros(TA_KEYS) for k in kws}
    gesamt = _zeros(TOTAL_KEYS)
    per_fg = {fg: _zeros(FALLGRUPPE_KEYS) for fg in FALLGRUPPEN}
    gt = _zeros(GUTACHTEN_KEYS)
    ta = _zeros(TA_KEYS)
    for (kw, fallgruppe), counts in grouped.items():
        key = str(kw)
        if key not in per_kw or fallgruppe not in per_fg:
            continue  # cannot happen under the CHECK constraints; never break a report on it
        parts = _derive(counts)
        _add(per_kw[key], parts["totals"])
        _add(gesamt, parts["totals"])
        _add(per_kw_fg[key][fallgruppe], parts["fallgruppe"])
        _add(per_fg[fallgruppe], parts["fallgruppe"])
        _add(per_kw_gt[key], parts["gutachten_typen"])
        _add(gt, parts["gutachten_typen"])
        _add(per_kw_ta[key], parts["therapieaenderungen"])
        _add(ta, parts["therapieaenderungen"])
    return {
        "gesamt": gesamt,
        "anteile": _shares(gesamt),
        "per_kw": per_kw,
        "per_fallgruppe": per_fg,
        "per_kw_fallgruppe": per_kw_fg,
        "gutachten_typen": gt,
        "per_kw_gutachten_typen": per_kw_gt,
        "therapieaenderungen": ta,
        "per_kw_therapieaenderungen": per_kw_ta,
    }


def _icd_onko(jahr: int, kw: int) -> dict[str, int]:
    rows = (
        CaseICDCode.objects.filter(case__jahr=jahr, case__kw__lte=kw, case__fallgruppe="onko")
        .order_by()
        .values("icd_code")
        .annotate(n=Count("case_id", distinct=True))
    )
    return {row["icd_code"]: row["n"] for row in sorted(rows, key=lambda r: r["icd_code"])}


def summary_figures(summary) -> dict:
    """A YearlySummary in the vocabulary of this module (missing keys count as zero)."""
    per_fg = {
        fg: {k: int((summary.per_fallgruppe or {}).get(fg, {}).get(k, 0)) for k in FALLGRUPPE_KEYS}
        for fg in FALLGRUPPEN
    }
    gt = {k: int((summary.gutachten_typen or {}).get(k, 0)) for k in GUTACHTEN_KEYS}
    ta = {k: int((summary.therapieaenderungen or {}).get(k, 0)) for k in TA_KEYS}
    return {
        "gesamt": summary.totals(),
        "per_fallgruppe": per_fg,
        "gutachten_typen": gt,
        "therapieaenderungen": ta,
    }


def vorjahr_figures(jahr: int) -> dict:
    """The previous year's "vorjahr_*" keys of the figures (see the module docstring): live
    from its cases when it has any, else from its YearlySummary, else zeros ("keine")."""
    from reports.models import YearlySummary

    previous = jahr - 1
    grouped = _grouped_counts(previous, None)
    if grouped:
        weeks = rules.weeks_in_iso_year(previous)
        live = _assemble(grouped, list(range(1, weeks + 1)))
        quelle, figures, per_kw = VORJAHR_FAELLE, live, live["per_kw"]
    else:
        summary = YearlySummary.objects.filter(jahr=previous).first()
        if summary is not None:
            quelle, figures, per_kw = VORJAHR_ZUSAMMENFASSUNG, summary_figures(summary), {}
        else:
            quelle, per_kw = VORJAHR_KEINE, {}
            figures = {
                "gesamt": _zeros(TOTAL_KEYS),
                "per_fallgruppe": {fg: _zeros(FALLGRUPPE_KEYS) for fg in FALLGRUPPEN},
                "gutachten_typen": _zeros(GUTACHTEN_KEYS),
                "therapieaenderungen": _zeros(TA_KEYS),
            }
    return {
        "vorjahr_jahr": previous,
        "vorjahr_quelle": quelle,
        "vorjahr": figures["gesamt"],
        "vorjahr_anteile": _shares(figures["gesamt"]),
        "vorjahr_per_kw": per_kw,
        "vorjahr_per_fallgruppe": figures["per_fallgruppe"],
        "vorjahr_gutachten_typen": figures["gutachten_typen"],
        "vorjahr_therapieaenderungen": figures["therapieaenderungen"],
    }


def year_figures(jahr: int) -> dict:
    """The full-year figures of `jahr` from its cases (all its KWs), without the comparison
    and ICD parts: what a YearlySummary stores."""
    weeks = rules.weeks_in_iso_year(jahr)
    return _assemble(_grouped_counts(jahr, None), list(range(1, weeks + 1)))


def report_figures(*, jahr: int, kw: int) -> dict:
    """Every figure of the report for (jahr, kw); see the module docstring for the structure.
    Raises ReportWeekError (German message) for a week the year does not have."""
    check_report_week(jahr, kw)
    kws = list(range(1, kw + 1))
    figures = {
        "jahr": jahr,
        "kw": kw,
        "weeks_in_year": rules.weeks_in_iso_year(jahr),
        "kws": kws,
        "fallgruppen": [[code, label] for code, label in rules.FALLGRUPPEN.items()],
    }
    figures.update(_assemble(_grouped_counts(jahr, kw), kws))
    figures["icd_onko"] = _icd_onko(jahr, kw)
    figures.update(vorjahr_figures(jahr))
    return figures
