"""End to end under the Content-Security-Policy: DAK staff filter the case list and page through
it, the address follows, the back button restores each state, the search keeps the term out of
the address, and everything is reachable by keyboard."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user, password, path):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto(path)
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"**{path}")


@pytest.fixture
def many_cases():
    from cases.tests.test_list_views import bulk_cases

    kardio = bulk_cases(60, fallgruppe="kardio", nachname="Schmitt", datum=dt.date(2026, 2, 2))
    kardio += bulk_cases(10, fallgruppe="kardio", nachname="Zander", datum=dt.date(2026, 2, 3))
    bulk_cases(30, fallgruppe="onko", nachname="Otto", datum=dt.date(2026, 2, 4))
    return kardio


def go(page, step, query):
    """Back or forward; htmx keeps no copy of the list, so it fetches the page again (a history
    restore request): wait for that answer to be swapped in, then for the address."""
    with page.expect_response(
        lambda response: response.request.headers.get("hx-history-restore-request") == "true"
    ):
        step()
    expect(page.locator("body.htmx-request")).to_have_count(0)
    page.wait_for_url(f"**/faelle/{query}")


def shown_surnames(page):
    return page.locator("[data-testid=case-table] tbody tr td:nth-child(4)").all_inner_texts()


def test_filter_page_sort_and_go_back_with_the_address_following(
    page, dak_user, password, many_cases
):
    log_in(page, dak_user, password, "/faelle/")
    assert page.get_by_test_id("case-count").inner_text() == "100 Fälle"

    page.get_by_label("Fallgruppe").select_option("kardio")
    page.wait_for_url("**/faelle/?fallgruppe=kardio")
    assert page.get_by_test_id("case-count").inner_text() == "70 Fälle"
    assert set(shown_surnames(page)) == {"Schmitt", "Zander"}
    assert page.locator("#case-list-status").inner_text() == "70 Fälle"

    page.get_by_role("link", name="weiter").click()
    page.wait_for_url("**/faelle/?fallgruppe=kardio&seite=2")
    assert len(shown_surnames(page)) == 20
    # Focus moved to the results, so the keyboard continues there.
    assert page.evaluate("document.activeElement.id") == "case-results-heading"

    page.get_by_role("link", name=re.compile(r"^Nachname")).click()
    page.wait_for_url("**/faelle/?fallgruppe=kardio&sort=nachname")
    assert shown_surnames(page)[0] == "Schmitt"
    page.get_by_role("link", name=re.compile(r"^Nachname")).click()
    page.wait_for_url("**/faelle/?fallgruppe=kardio&sort=-nachname")
    assert shown_surnames(page)[0] == "Zander"

    # A filter change keeps the sort and starts at page 1.
    page.get_by_label("Jahr").fill("2026")
    page.get_by_label("Jahr").press("Enter")
    page.wait_for_url("**/faelle/?jahr=2026&fallgruppe=kardio&sort=-nachname")

    # Back and forward: htmx keeps no copy of the page, it asks the server for each state.
    go(page, page.go_back, "?fallgruppe=kardio&sort=-nachname")
    assert page.get_by_label("Jahr").input_value() == ""
    assert shown_surnames(page)[0] == "Zander"
    go(page, page.go_back, "?fallgruppe=kardio&sort=nachname")
    go(page, page.go_back, "?fallgruppe=kardio&seite=2")
    assert len(shown_surnames(page)) == 20
    assert page.get_by_label("Fallgruppe").input_value() == "kardio"
    go(page, page.go_back, "?fallgruppe=kardio")
    assert page.get_by_test_id("case-count").inner_text() == "70 Fälle"
    assert len(shown_surnames(page)) == 50
    go(page, page.go_forward, "?fallgruppe=kardio&seite=2")
    assert len(shown_surnames(page)) == 20


def test_the_search_works_by_keyboard_and_stays_out_of_the_address(
    page, dak_user, password, many_cases
):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, dak_user, password, "/faelle/?fallgruppe=kardio")

    page.get_by_label(re.compile(r"^Suche")).fill("zand")
    page.keyboard.press("Enter")
    page.get_by_test_id("active-search").wait_for()
    assert page.get_by_test_id("case-count").inner_text() == "10 Fälle"
    assert set(shown_surnames(page)) == {"Zander"}
    assert page.url.endswith("/faelle/?fallgruppe=kardio")
    assert not [url for url in requests if "zand" in url.lower()]

    # The search stays while a filter changes; the reset brings the whole group back.
    page.get_by_label("Fallgruppe").select_option("onko")
    page.wait_for_url("**/faelle/?fallgruppe=onko")
    assert page.get_by_test_id("case-count").inner_text() == "Keine Fälle"
    page.get_by_label("Fallgruppe").select_option("kardio")
    page.wait_for_url("**/faelle/?fallgruppe=kardio")
    reset = page.get_by_role("button", name="Suche zurücksetzen")
    reset.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("case-count")).to_have_text("70 Fälle")
    assert page.get_by_test_id("active-search").count() == 0


def test_sort_links_and_pages_are_reached_with_the_tab_key(page, dak_user, password, many_cases):
    log_in(page, dak_user, password, "/faelle/")
    page.get_by_role("link", name="Filter zurücksetzen").focus()
    # Each of the 50 rows holds two tab stops (the case link and its ICD field; Enter in the
    # field saves, so the row's save button is no extra stop): the pager follows within 130.
    reached = []
    for _ in range(130):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "weiter":
            break
    assert any(text.startswith("Fall-ID") for text in reached)
    assert reached[-1] == "weiter"
    page.keyboard.press("Enter")
    page.wait_for_url("**/faelle/?seite=2")
