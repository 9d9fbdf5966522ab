"""The start page's charts in Chromium at 1024 px under the Content-Security-Policy (the `page`
fixture fails on any violation or console error): DAK staff and an admin see four charts drawn
from /api/dashboard/ (answered 200, canvases with pixels, the charts holding the year's data);
the year selector reloads with another year; without JavaScript the hint and tables remain."""

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from tests.test_browser_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 900}
SHOTS = "/tmp/shots/dash"
CANVASES = ("chart-kw", "chart-fallgruppen", "chart-vorjahr", "chart-typen")

# Per canvas: how many pixels are not transparent (Chart.js draws on a transparent canvas).
PAINTED = """(ids) => ids.map((id) => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) painted++; }
  return {id: id, width: canvas.width, height: canvas.height, painted: painted};
})"""

CHART_DATA = """() => {
  const charts = window.portalCharts;
  const sum = (values) => values.reduce((a, b) => a + (b || 0), 0);
  return {
    kw: charts.kw.data.datasets.map((d) => sum(d.data)),
    fallgruppen: sum(charts.fallgruppen.data.datasets[0].data),
    vorjahr: charts.vorjahr.data.datasets.map((d) => sum(d.data)),
    typen: charts.typen.data.datasets.map((d) => sum(d.data)),
    labels: charts.fallgruppen.data.labels,
  };
}"""


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def year_cases():
    """The current year: 3 onko (KW 2, one Gutachten Bestätigung), 2 kardio (KW 5, one
    Gutachten Alternative); the previous year: 2 onko in KW 2."""
    from cases.tests.factories import make_case
    from reports.dashboard import current_year

    jahr = current_year()
    day = dt.date.fromisocalendar
    for i, (kw, group, typ) in enumerate(
        [(2, "onko", "Bestätigung"), (2, "onko", None), (2, "onko", None),
         (5, "kardio", "Alternative"), (5, "kardio", None)]
    ):  # fmt: skip
        coded = {"gutachten": True, "gutachten_typ": typ, "therapieaenderung": "Nein"}
        make_case(datum=day(jahr, kw, 3), fallgruppe=group, nachname=f"Muster{i}",
                  **(coded if typ else {}))  # fmt: skip
    for i in range(2):
        make_case(datum=day(jahr - 1, 2, 2), nachname=f"Vorjahr{i}")
    return jahr


def charts_drawn(page, jahr):
    with page.expect_response(lambda r: "/api/dashboard/" in r.url) as answer:
        page.goto(f"/?jahr={jahr}")
    assert answer.value.status == 200
    expect(page.locator("#charts.charts-ready")).to_be_visible()
    expect(page.get_by_test_id("charts-hint")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    painted = page.evaluate(PAINTED, list(CANVASES))
    for canvas in painted:
        assert canvas["width"] > 200 and canvas["height"] > 200, canvas
        assert canvas["painted"] > 1000, canvas
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return page.evaluate(CHART_DATA)


@pytest.mark.parametrize("role", ["dak", "admin"])
def test_the_charts_are_drawn_with_the_year_s_data(
    page, dak_user, admin_user, password, year_cases, role
):
    user = dak_user if role == "dak" else admin_user
    page.set_viewport_size(VIEWPORT)
    log_in(page, user, password, second_factor=role == "admin")
    data = charts_drawn(page, year_cases)
    assert data["kw"] == [5, 2]
    assert data["fallgruppen"] == 5
    assert data["vorjahr"] == [5, 2]
    assert data["typen"] == [1, 1]
    assert data["labels"][:2] == ["Onkologie", "Kardiologie"]
    shot(page, f"start-{role}")


def test_the_year_selector_reloads_the_charts_for_another_year(
    page, dak_user, password, year_cases
):
    page.set_viewport_size(VIEWPORT)
    log_in(page, dak_user, password)
    charts_drawn(page, year_cases)
    with page.expect_response(lambda r: f"/api/dashboard/?jahr={year_cases - 1}" in r.url):
        page.get_by_label("Jahr", exact=True).select_option(str(year_cases - 1))
    page.wait_for_url(f"**/?jahr={year_cases - 1}")
    expect(page.locator("#charts.charts-ready")).to_be_visible()
    assert page.evaluate(CHART_DATA)["kw"] == [2, 0]
    expect(page.get_by_test_id("kpi-cases")).to_have_text("2")
    shot(page, "vorjahr")


def test_without_javascript_the_hint_and_the_tables_remain(
    browser, live_server, dak_user, password, year_cases
):
    from django.test import Client

    client = Client()
    client.force_login(dak_user)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])  # fmt: skip
    page = context.new_page()
    page.set_viewport_size(VIEWPORT)
    page.goto("/")
    expect(page.get_by_test_id("charts-hint")).to_be_visible()
    expect(page.locator("#chart-kw")).to_be_hidden()
    expect(page.get_by_test_id("vergleich-table")).to_be_visible()
    expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()
    shot(page, "ohne-js")
    context.close()
