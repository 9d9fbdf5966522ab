import datetime as dt

import pytest

from cases.models import replace_icd_codes
from cases.tests.factories import make_case
from reports.figures import (
    VORJAHR_FAELLE,
    VORJAHR_KEINE,
    VORJAHR_ZUSAMMENFASSUNG,
    ReportWeekError,
    report_figures,
)
from reports.models import SummarySource, YearlySummary

pytestmark = pytest.mark.django_db


def test_a_week_with_no_data_gives_zero_rows_and_no_comparison():
    figures = report_figures(jahr=2031, kw=3)
    assert figures["per_kw"] == {str(k): dict.fromkeys(figures["gesamt"], 0) for k in (1, 2, 3)}
    assert figures["gesamt"]["erstberatungen"] == 0
    assert figures["anteile"]["gutachten"] == 0.0
    assert figures["icd_onko"] == {}
    assert figures["vorjahr_quelle"] == VORJAHR_KEINE
    assert figures["vorjahr"]["erstberatungen"] == 0


def test_empty_weeks_between_cases_are_zero_rows():
    make_case(datum=dt.date(2027, 1, 5), nachname="Größer", unterlagen=True)
    make_case(datum=dt.date(2027, 1, 27), nachname="Öztürk", fallgruppe="sd", ablehnung=True)
    figures = report_figures(jahr=2027, kw=4)
    assert figures["per_kw"]["1"]["erstberatungen"] == 1
    assert figures["per_kw"]["2"] == figures["per_kw"]["3"] == dict.fromkeys(TOTALS, 0)
    assert figures["per_kw"]["4"]["ablehnungen"] == 1
    assert figures["per_kw_fallgruppe"]["4"]["sd"]["keine_rm_ablehnung"] == 1


TOTALS = ("erstberatungen", "unterlagen", "ablehnungen", "keine_rueckmeldung", "gutachten")


def test_kw_53_only_in_a_year_that_has_it():
    make_case(datum=dt.date(2026, 12, 31), nachname="Weiß")  # 2026-KW53
    figures = report_figures(jahr=2026, kw=53)
    assert figures["weeks_in_year"] == 53
    assert list(figures["per_kw"])[-1] == "53"
    assert figures["per_kw"]["53"]["erstberatungen"] == 1
    with pytest.raises(ReportWeekError, match="keine KW 53"):
        report_figures(jahr=2025, kw=53)
    with pytest.raises(ReportWeekError):
        report_figures(jahr=2025, kw=0)


def test_cases_after_the_report_week_do_not_count():
    make_case(datum=dt.date(2027, 1, 5), nachname="Kühn")  # KW1
    make_case(datum=dt.date(2027, 1, 12), nachname="Kuhn")  # KW2
    assert report_figures(jahr=2027, kw=1)["gesamt"]["erstberatungen"] == 1


def test_the_previous_year_comes_from_its_summary_when_it_has_no_cases():
    YearlySummary.objects.create(
        jahr=2029,
        bis_kw=52,
        erstberatungen=200,
        unterlagen=100,
        ablehnungen=30,
        keine_rueckmeldung=50,
        gutachten=80,
        per_fallgruppe={"onko": {"anzahl": 90, "gutachten": 40}},
        gutachten_typen={"gutachten": 80, "alternative": 20, "bestaetigung": 50},
        therapieaenderungen={"gutachten": 80, "ta_ja": 25},
        source=SummarySource.IMPORTED,
    )
    figures = report_figures(jahr=2030, kw=1)
    assert figures["vorjahr_quelle"] == VORJAHR_ZUSAMMENFASSUNG
    assert figures["vorjahr"]["erstberatungen"] == 200
    assert figures["vorjahr_anteile"]["gutachten"] == pytest.approx(0.4)
    assert figures["vorjahr_per_fallgruppe"]["onko"]["anzahl"] == 90
    assert figures["vorjahr_per_fallgruppe"]["sd"]["anzahl"] == 0
    assert figures["vorjahr_therapieaenderungen"]["ta_ja"] == 25


def test_live_cases_of_the_previous_year_win_over_its_summary():
    YearlySummary.objects.create(jahr=2029, erstberatungen=200, source=SummarySource.IMPORTED)
    make_case(datum=dt.date(2029, 6, 1), nachname="Müller")
    figures = report_figures(jahr=2030, kw=1)
    assert figures["vorjahr_quelle"] == VORJAHR_FAELLE
    assert figures["vorjahr"]["erstberatungen"] == 1
    assert sum(w["erstberatungen"] for w in figures["vorjahr_per_kw"].values()) == 1


def test_icd_onko_counts_cases_of_onko_only():
    for case in (
        make_case(datum=dt.date(2027, 1, 5), nachname="Jäger", icd="C50.1, C79.5"),
        make_case(datum=dt.date(2027, 1, 6), nachname="Jäger", vorname="Jörg", icd="C50.1"),
        make_case(datum=dt.date(2027, 1, 6), nachname="Strauß", fallgruppe="kardio", icd="I25.1"),
        make_case(datum=dt.date(2027, 1, 13), nachname="Späth", icd="C61"),  # KW2
    ):
        replace_icd_codes(case)
    assert report_figures(jahr=2027, kw=1)["icd_onko"] == {"C50.1": 2, "C79.5": 1}
