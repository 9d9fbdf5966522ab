"""The start page's dashboard part, server-rendered: KPI cards for the chosen year, the year
selector (a plain GET form), the previous-year comparison table and the charts' data source."""

import datetime as dt
import re

import pytest

from cases.tests.factories import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dashboard_today")]


@pytest.fixture
def cases():
    make_case(datum=dt.date(2026, 1, 28), nachname="Ahrens", gutachten=True,
              gutachten_typ="Bestätigung", therapieaenderung="Nein")  # fmt: skip
    make_case(datum=dt.date(2026, 2, 4), nachname="Brandt", fallgruppe="kardio")
    make_case(datum=dt.date(2025, 1, 29), nachname="Claßen")
    make_case(datum=dt.date(2025, 9, 3), nachname="Dörr", gutachten=True)


def figure(content, testid):
    return re.search(rf'data-testid="{testid}">([^<]*)<', content).group(1)


def rows(content, testid):
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', content, re.DOTALL).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    ]


def test_the_current_year_by_default(dak_client, cases):
    content = dak_client.get("/").content.decode()
    assert "Erstberatungen 2026" in content and "Gutachten 2026" in content
    assert (figure(content, "kpi-cases"), figure(content, "kpi-gutachten")) == ("2", "1")
    assert 'data-api-url="/api/dashboard/?jahr=2026"' in content
    assert '<option value="2026" selected>2026</option>' in content
    assert rows(content, "vergleich-table")[:2] == [
        ["Kennzahl", "2026 (KW 1–8)", "2025 (KW 1–8)", "2025 gesamt"],
        ["Erstberatungen", "2", "1", "2"],
    ]


def test_the_year_selector_shows_another_year_without_javascript(dak_client, cases):
    content = dak_client.get("/", {"jahr": "2025"}).content.decode()
    assert 'method="get"' in content and "Anzeigen" in content
    assert (figure(content, "kpi-cases"), figure(content, "kpi-gutachten")) == ("2", "1")
    assert 'data-api-url="/api/dashboard/?jahr=2025"' in content
    assert "/faelle/?jahr=2025" in content
    kw_rows = rows(content, "kw-table")
    assert len(kw_rows) == 1 + 52
    assert kw_rows[5] == ["5", "1", "0", "–"]  # 2024 has no cases: no previous-year values
    assert "Vorjahr keine Daten" in content


@pytest.mark.parametrize("jahr", ["2019", "abc", "2101"])
def test_a_year_without_cases_or_no_year_gets_a_german_message(dak_client, cases, jahr):
    response = dak_client.get("/", {"jahr": jahr})
    assert response.status_code == 400
    content = response.content.decode()
    assert f"Für das Jahr {jahr} gibt es keine Fälle." in content
    assert "Gezeigt wird 2026." in content


def test_the_charts_area_says_what_to_do_without_javascript(dak_client, cases):
    content = dak_client.get("/").content.decode()
    assert "Die Diagramme brauchen JavaScript" in content
    assert content.count("<canvas ") == 4
    assert all('aria-label="' in c for c in re.findall(r"<canvas [^>]*>", content))
    assert "vendor/chartjs/chart.umd.min.js" in content and "js/dashboard.js" in content


def test_the_fallgruppen_table(dak_client, cases):
    groups = rows(dak_client.get("/").content.decode(), "fallgruppen-table")
    assert groups[1] == ["Onkologie", "1", "1", "1", "0"]
    assert groups[2] == ["Kardiologie", "1", "0", "0", "0"]


def test_chart_js_is_served_from_npm(client):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/chartjs/chart.umd.min.js")
