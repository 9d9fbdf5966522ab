import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.figures import VORJAHR_FAELLE, report_figures
from reports.tests.conftest import EXPECTED_WEEKS, expected_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("jahr", "kw"), EXPECTED_WEEKS)
def test_figures_of_the_imported_sample_equal_the_expected_report(sample_cases, jahr, kw):
    expected = expected_report(jahr, kw)
    figures = report_figures(jahr=jahr, kw=kw)
    assert figures["gesamt"] == expected["gesamt"]
    assert figures["vorjahr"] == expected["vorjahr"]
    assert figures["vorjahr_quelle"] == VORJAHR_FAELLE
    # every KW row from 1 to kw; weeks the expected file leaves out are zero rows
    assert list(figures["per_kw"]) == [str(k) for k in range(1, kw + 1)]
    for key, row in figures["per_kw"].items():
        assert row == expected["per_kw"].get(key, dict.fromkeys(row, 0)), key
    assert figures["per_fallgruppe"] == expected["per_fallgruppe"]
    assert figures["therapieaenderungen"] == expected["therapieaenderungen"]
    assert figures["icd_onko"] == expected["icd_onko"]
    assert list(figures["icd_onko"]) == sorted(expected["icd_onko"])


def test_per_kw_parts_add_up_to_the_totals(sample_cases):
    figures = report_figures(jahr=2025, kw=52)
    for fg, total in figures["per_fallgruppe"].items():
        for key, value in total.items():
            assert sum(week[fg][key] for week in figures["per_kw_fallgruppe"].values()) == value
    for key, value in figures["therapieaenderungen"].items():
        assert sum(week[key] for week in figures["per_kw_therapieaenderungen"].values()) == value
    gt = figures["gutachten_typen"]
    assert gt["gutachten"] == figures["gesamt"]["gutachten"]
    assert gt["alternative"] == sum(f["alternative"] for f in figures["per_fallgruppe"].values())
    assert gt["bestaetigung"] == sum(f["bestaetigung"] for f in figures["per_fallgruppe"].values())
    assert figures["anteile"]["unterlagen"] == pytest.approx(163 / 296)


def test_the_figures_are_plain_json_and_survive_a_round_trip(sample_cases):
    figures = report_figures(jahr=2026, kw=5)
    assert json.loads(json.dumps(figures)) == figures


def test_a_few_queries_whatever_the_number_of_weeks(sample_cases):
    with CaptureQueriesContext(connection) as few_weeks:
        report_figures(jahr=2025, kw=2)
    with CaptureQueriesContext(connection) as all_weeks:
        report_figures(jahr=2025, kw=52)
    assert len(all_weeks) == len(few_weeks) <= 4
