import pytest

from reports.figures import report_figures
from reports.tests.conftest import EXPECTED_WEEKS, expected_report
from reports.tests.workbook_cells import figures_from_cells
from reports.workbook import write_berichtswesen

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("jahr", "kw"), EXPECTED_WEEKS)
def test_the_written_workbook_shows_the_expected_figures(sample_cases, jahr, kw):
    expected = expected_report(jahr, kw)
    cells = figures_from_cells(write_berichtswesen(report_figures(jahr=jahr, kw=kw)))
    assert cells["jahr"] == jahr
    assert cells["gesamt"] == expected["gesamt"]
    assert cells["vorjahr"] == expected["vorjahr"]
    assert list(cells["per_kw"]) == [str(k) for k in range(1, kw + 1)]
    for key, row in cells["per_kw"].items():
        assert row == expected["per_kw"].get(key, dict.fromkeys(row, 0)), key
    assert cells["per_fallgruppe"] == expected["per_fallgruppe"]
    assert cells["therapieaenderungen"] == expected["therapieaenderungen"]
    assert cells["icd_onko"] == expected["icd_onko"]
    assert list(cells["icd_onko"]) == sorted(expected["icd_onko"])


def test_the_sample_years_workbook_reads_back_to_the_same_figures(sample_cases):
    from reports.summaries import read_berichtswesen

    figures = report_figures(jahr=2025, kw=52)
    read = read_berichtswesen(write_berichtswesen(figures))
    assert (read["jahr"], read["bis_kw"]) == (2025, 52)
    for key in ("gesamt", "per_fallgruppe", "gutachten_typen", "therapieaenderungen"):
        assert read[key] == figures[key], key
