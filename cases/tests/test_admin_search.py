"""The Django-admin case search keeps the search term out of every URL (issue 11 §2): the term
is posted, kept in the session and never appears in a redirect, a link or a form action."""

import re
from urllib.parse import unquote_plus

import pytest
from django.urls import reverse

from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_case_changelist")
SEARCH = reverse("admin:cases_case_search")


@pytest.fixture
def cases():
    return {
        "weiss": make_case(nachname="Weiß", vorname="Jürgen", kvnr="X110000004"),
        "kuehn": make_case(nachname="Kühn", vorname="Anna"),
        "kuhn": make_case(nachname="Kuhn", vorname="Bernd"),
    }


def urls_in(response):
    """Every URL the page or the redirect hands to the browser, decoded."""
    found = [response.get("Location", "")]
    found += re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', response.content.decode())
    return [unquote_plus(url) for url in found]


def listed(response):
    return {case.pk for case in response.context["cl"].result_list}


def test_a_posted_search_filters_the_list_and_no_url_carries_the_term(admin_client, cases):
    response = admin_client.post(SEARCH, {"q": " Weiß "})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    page = admin_client.get(CHANGELIST)
    assert listed(page) == {cases["weiss"].pk}
    # The box shows the term (the form posts it again); no link, action or redirect has it.
    assert 'value="Weiß"' in page.content.decode()
    for url in urls_in(response) + urls_in(page):
        assert "Weiß" not in url and "Wei%C3%9F" not in url


def test_a_kvnr_search_works_the_same(admin_client, cases):
    admin_client.post(SEARCH, {"q": "X110000004"})
    page = admin_client.get(CHANGELIST)
    assert listed(page) == {cases["weiss"].pk}
    assert not any("X110000004" in url for url in urls_in(page))


def test_a_search_term_in_the_url_is_moved_into_the_session_and_dropped(admin_client, cases):
    response = admin_client.get(CHANGELIST, {"q": "Kühn", "fallgruppe__exact": "onko"})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?fallgruppe__exact=onko"
    page = admin_client.get(response["Location"])
    assert cases["kuehn"].pk in listed(page)
    assert cases["weiss"].pk not in listed(page)
    assert not any("Kühn" in url for url in urls_in(page))


def test_the_list_filters_stay_in_the_url_and_paging_starts_again(admin_client, cases):
    response = admin_client.post(SEARCH, {"q": "Kuhn", "fallgruppe__exact": "onko", "p": "3"})
    assert response["Location"] == f"{CHANGELIST}?fallgruppe__exact=onko"


def test_lifting_the_search_shows_every_case_again(admin_client, cases):
    admin_client.post(SEARCH, {"q": "Weiß"})
    admin_client.post(SEARCH, {"q": "Weiß", "_aufheben": "Suche aufheben"})
    page = admin_client.get(CHANGELIST)
    assert listed(page) == {case.pk for case in cases.values()}
    assert 'value="Weiß"' not in page.content.decode()


def test_an_empty_search_shows_every_case(admin_client, cases):
    admin_client.post(SEARCH, {"q": "Weiß"})
    admin_client.post(SEARCH, {"q": "   "})
    assert listed(admin_client.get(CHANGELIST)) == {case.pk for case in cases.values()}


def test_the_search_url_only_takes_a_post(admin_client):
    assert admin_client.get(SEARCH).status_code == 405


def test_the_search_is_for_admins_only(dak_client):
    response = dak_client.post(SEARCH, {"q": "Weiß"})
    assert response.status_code in (302, 403)
    assert "admin_search:cases.case" not in dak_client.session
