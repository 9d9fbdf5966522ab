"""The case list's free-text search: the term travels by POST into the session and never into a
URL; prefix search on Fall-ID, Nachname (with Vorname), KVNR and CRM ticket; German spellings.
The collation cases run on MariaDB, where they differ from SQLite."""

import datetime as dt
import re

import pytest
from django.db import connection

from accounts import audit
from accounts.models import AuditLog
from cases.tests.factories import make_case
from cases.tests.plans import analyze, plans
from cases.views.list import SEARCH_SESSION_KEY

pytestmark = pytest.mark.django_db

LIST = "/faelle/"
SEARCH = "/faelle/suche/"
RESET = "/faelle/suche/zuruecksetzen/"


def rows_of(response):
    return [int(pk) for pk in re.findall(r'href="/faelle/(\d+)/"', response.content.decode())]


def search(client, term, filter_query=""):
    """Search as the form does; returns the list page the redirect leads to."""
    response = client.post(SEARCH, {"q": term, "filter": filter_query})
    assert response.status_code == 303
    return client.get(response["Location"])


def found(client, term):
    return sorted(rows_of(search(client, term)))


@pytest.fixture
def mariadb():
    if connection.vendor != "mysql":
        pytest.skip("the collation of names exists on MariaDB only")


# --- the term stays out of URLs ----------------------------------------------------------------


def test_a_search_is_a_post_whose_redirect_carries_only_the_filters(dak_client):
    wanted = make_case(nachname="Kühn", datum=dt.date(2026, 2, 2))
    make_case(nachname="Schulz", datum=dt.date(2026, 2, 2))
    response = dak_client.post(SEARCH, {"q": "Kühn", "filter": "jahr=2026&sort=nachname"})
    assert response.status_code == 303
    assert response["Location"] == f"{LIST}?jahr=2026&sort=nachname"
    assert dak_client.session[SEARCH_SESSION_KEY] == "Kühn"
    page = dak_client.get(response["Location"])
    assert rows_of(page) == [wanted.pk]
    html = page.content.decode()
    assert "Suche: <strong>„Kühn“</strong>" in html
    # No link or form on the page carries the term in its address.
    for url in re.findall(r'(?:href|hx-get|hx-post|action)="([^"]*)"', html):
        assert "K%C3%BChn" not in url and "Kühn" not in url and "q=" not in url


def test_an_htmx_search_answers_with_the_results_and_an_address_without_the_term(dak_client):
    wanted = make_case(nachname="Weiß")
    make_case(nachname="Becker")
    response = dak_client.post(
        SEARCH, {"q": "Weiß", "filter": "fallgruppe=onko"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{LIST}?fallgruppe=onko"
    assert rows_of(response) == [wanted.pk]
    assert "<html" not in response.content.decode()


def test_the_search_stays_while_filters_and_pages_change_until_it_is_reset(dak_client):
    wanted = make_case(nachname="Kühn", fallgruppe="onko")
    make_case(nachname="Kühn", fallgruppe="kardio")
    make_case(nachname="Lange", fallgruppe="onko")
    search(dak_client, "Kühn")
    assert rows_of(dak_client.get(f"{LIST}?fallgruppe=onko")) == [wanted.pk]
    response = dak_client.post(RESET, {"filter": "fallgruppe=onko"})
    assert response.status_code == 303
    assert response["Location"] == f"{LIST}?fallgruppe=onko"
    assert SEARCH_SESSION_KEY not in dak_client.session
    assert len(rows_of(dak_client.get(response["Location"]))) == 2


def test_an_empty_term_clears_the_search(dak_client):
    make_case(nachname="Kühn")
    make_case(nachname="Lange")
    search(dak_client, "Kühn")
    assert len(rows_of(search(dak_client, "   "))) == 2


def test_a_term_in_the_address_is_taken_and_the_address_redirected_without_it(dak_client):
    wanted = make_case(nachname="Kühn")
    make_case(nachname="Lange")
    response = dak_client.get(f"{LIST}?q=K%C3%BChn&jahr=2026")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?jahr=2026"
    assert rows_of(dak_client.get(response["Location"])) == [wanted.pk]


def test_the_search_is_per_session(client, dak_user, admin_user):
    from conftest import login_verified

    make_case(nachname="Kühn")
    make_case(nachname="Lange")
    client.force_login(dak_user)
    search(client, "Kühn")
    other = login_verified(client.__class__(), admin_user)
    assert len(rows_of(other.get(LIST))) == 2


def test_a_too_short_term_gets_a_german_message_and_changes_nothing(dak_client):
    make_case(nachname="Kühn")
    make_case(nachname="Lange")
    search(dak_client, "Kühn")
    response = dak_client.post(SEARCH, {"q": "K", "filter": ""}, follow=True)
    assert "Bitte mindestens 2 Zeichen eingeben" in response.content.decode()
    assert dak_client.session[SEARCH_SESSION_KEY] == "Kühn"
    htmx = dak_client.post(SEARCH, {"q": "x" * 101}, headers={"HX-Request": "true"})
    assert "höchstens 100 Zeichen" in htmx.content.decode()
    assert 'aria-invalid="true"' in htmx.content.decode()


def test_a_tampered_filter_field_falls_back_to_the_plain_list(dak_client):
    response = dak_client.post(SEARCH, {"q": "Kühn", "filter": "kw=99&fallgruppe=<script>"})
    assert response.status_code == 303
    assert response["Location"] == LIST


def test_the_read_audit_says_a_search_was_active_but_not_the_term(dak_client):
    make_case(nachname="Kühn", kvnr="D410126355")
    search(dak_client, "D41012")
    entry = AuditLog.objects.filter(action=audit.READ).latest("pk")
    assert entry.new_values["suche"] is True
    assert "D41012" not in str(entry.new_values)


# --- what a term finds -------------------------------------------------------------------------


def test_fall_id_kvnr_and_ticket_by_their_beginning(dak_client):
    case = make_case(
        nachname="Lange",
        datum=dt.date(2026, 2, 2),
        kvnr="D410126355",
        crm_ticket_id="TK-4711",
    )
    make_case(nachname="Kurz", kvnr="A123456789", crm_ticket_id="TK-9000")
    assert found(dak_client, "2026-06-onko-La") == [case.pk]
    assert found(dak_client, case.fall_id) == [case.pk]
    assert found(dak_client, "d4101") == [case.pk]  # KVNR upper-cased like the stored value
    assert found(dak_client, "tk-47") == [case.pk]  # tickets too
    assert found(dak_client, " TK-4711 ") == [case.pk]
    assert found(dak_client, "4711") == []  # prefix, not contains


def test_surname_alone_or_with_first_name(dak_client):
    anna = make_case(nachname="Schmidt", vorname="Anna")
    bernd = make_case(nachname="Schmidt", vorname="Bernd")
    schmidtke = make_case(nachname="Schmidtke", vorname="Anna")
    assert found(dak_client, "Schmi") == sorted([anna.pk, bernd.pk, schmidtke.pk])
    assert found(dak_client, "Schmidt, An") == [anna.pk]
    assert found(dak_client, "Schmidt Bernd") == [bernd.pk]
    # A first name alone is not searched (no index serves it): it finds nothing.
    assert found(dak_client, "Anna") == []


def test_a_surname_with_a_space_is_found_whole(dak_client):
    case = make_case(nachname="von der Heide", vorname="Ute")
    make_case(nachname="von Bergen", vorname="Ute")
    assert found(dak_client, "von der  He") == [case.pk]
    assert found(dak_client, "von der Heide, Ute") == [case.pk]


def test_like_wildcards_in_the_term_are_plain_characters(dak_client):
    make_case(nachname="Lange")
    make_case(nachname="Lustig")
    assert found(dak_client, "L%") == []
    assert found(dak_client, "L_nge") == []


def test_german_spellings_both_ways(dak_client):
    umlaut = make_case(nachname="Müller")
    digraph = make_case(nachname="Mueller")
    eszett = make_case(nachname="Weiß")
    double_s = make_case(nachname="Weiss")
    assert found(dak_client, "Mueller") == sorted([umlaut.pk, digraph.pk])
    assert found(dak_client, "Müller") == sorted([umlaut.pk, digraph.pk])
    assert found(dak_client, "Weiss") == sorted([eszett.pk, double_s.pk])
    assert found(dak_client, "Weiß") == sorted([eszett.pk, double_s.pk])


def test_the_search_respects_the_filters(dak_client):
    onko = make_case(nachname="Kühn", fallgruppe="onko")
    make_case(nachname="Kühn", fallgruppe="kardio")
    assert rows_of(search(dak_client, "Kühn", "fallgruppe=onko")) == [onko.pk]


def test_a_name_search_pages_through_the_searched_list_in_its_order(dak_client):
    """A name search reads each page's keys first (the covering datum index, see
    test_mariadb_a_name_search_reads_its_keys_from_the_index_alone): page after page gives the
    database's order of the searched list, other names never among them."""
    from cases.models import Case
    from cases.selectors import search_condition
    from cases.tests.test_list_views import bulk_cases

    surnames = ["Müller", "Mueller", "Möller", "Weiß", "Müllerová", "Kuhn"]
    for number in range(130):
        bulk_cases(
            1,
            nachname=surnames[number % len(surnames)],
            datum=dt.date(2025, 1, 6) + dt.timedelta(days=number % 9),
        )
    expected = list(
        Case.objects.filter(search_condition("Müller"))
        .order_by("-datum", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) > 50  # the search spans pages
    page = search(dak_client, "Müller")
    seen = rows_of(page)
    for number in (2, 3):
        seen += rows_of(dak_client.get(f"{LIST}?seite={number}"))
    assert seen == expected


def test_a_name_search_reads_the_keys_of_its_page_first(dak_client):
    from django.test.utils import CaptureQueriesContext

    from cases.tests.test_list_views import bulk_cases

    bulk_cases(3, nachname="Weiß")
    bulk_cases(2, nachname="Schmitt")
    search(dak_client, "Weiss")
    with CaptureQueriesContext(connection) as queries:
        page = dak_client.get(LIST)
    assert len(rows_of(page)) == 3
    reads = [q["sql"] for q in queries if "cases_case" in q["sql"]]
    assert len(reads) == 2, reads
    # First the page's keys (only the id, the name condition, the list's order; the count
    # rides along as a column) ...
    assert re.match(r"SELECT \S+\.\S*id\S* AS \S*pk\S*, \(SELECT COUNT", reads[0]), reads[0]
    assert "LIKE" in reads[0]
    # ... then the rows by their keys alone, the name condition not tested again.
    assert " IN (" in reads[1]
    assert "LIKE" not in reads[1]


# --- MariaDB: the German, case- and accent-insensitive collation of names ---------------------


def test_mariadb_names_ignore_case_and_accents(dak_client, mariadb):
    mueller = make_case(nachname="Müller")
    muller = make_case(nachname="Muller")
    upper = make_case(nachname="MÜLLER")
    digraph = make_case(nachname="Mueller")
    make_case(nachname="Möller")
    everyone = sorted([mueller.pk, muller.pk, upper.pk, digraph.pk])
    # Staff get every spelling of the name they type, whatever its case or umlaut ...
    assert found(dak_client, "müller") == everyone
    assert found(dak_client, "MUELLER") == everyone
    # ... and a bare vowel finds the umlaut (the collation), but not the ue spelling.
    assert found(dak_client, "muller") == sorted([mueller.pk, muller.pk, upper.pk])


def test_mariadb_look_alike_surnames_are_both_found_but_stay_two_cases(dak_client, mariadb):
    kuehn = make_case(nachname="Kühn", datum=dt.date(2026, 2, 2))
    kuhn = make_case(nachname="Kuhn", datum=dt.date(2026, 2, 2))
    assert kuehn.fall_id != kuhn.fall_id
    assert found(dak_client, "Kuhn") == sorted([kuehn.pk, kuhn.pk])
    # The Fall-ID is an identifier: its prefix is compared exactly (binary collation).
    assert found(dak_client, kuehn.fall_id) == [kuehn.pk]
    assert found(dak_client, "2026-06-onko-kühn") == []


@pytest.mark.django_db(transaction=True)
def test_mariadb_reads_each_search_branch_through_its_index(mariadb):
    from cases.models import Case
    from cases.selectors import search_condition
    from cases.tests.test_list_views import bulk_cases

    surnames = ["Müller", "Schmidt", "Weiß", "Kühn", "Becker", "Wagner", "Hoffmann", "Schulz"]
    for number, (surname, ending) in enumerate(
        (surname, ending) for surname in surnames for ending in ("", "er", "ke", "s", "ow")
    ):
        bulk_cases(
            50,
            nachname=surname + ending,
            datum=dt.date(2025, 1, 6) + dt.timedelta(days=number),
        )
    analyze("cases_case")
    expected = {
        "Müllers": {"case_name_idx"},
        "Müllers, Jana": {"case_name_idx"},
        "D410126355": {"cases_case_kvnr_62333194", "crm_ticket_id"},
        "T-4711": {"cases_case_kvnr_62333194", "crm_ticket_id"},
        "2025-02-kardio-M": {"fall_id"},
    }
    for term, keys in expected.items():
        [plan] = plans(Case.objects.filter(search_condition(term)))
        assert plan["type"] != "ALL", (term, plan)
        assert set(plan["key"].split(",")) <= keys, (term, plan)


@pytest.mark.django_db(transaction=True)
def test_mariadb_a_name_search_reads_its_keys_from_the_index_alone(mariadb):
    """The keys of a name search's page come from (datum, id, nachname, vorname) in the list's
    order: no row fetched to test the name, no sort (a common surname lies scattered among the
    newest cases). Without the names in that index each tested entry would fetch its row."""
    from cases.filters import order_by
    from cases.models import Case
    from cases.selectors import search_condition
    from cases.tests.test_list_views import bulk_cases

    # Four names, so each has many more cases than a page (as a common surname among 1M):
    # the range of one name would then have to be sorted, and the newest entries are cheaper.
    surnames = ["Müller", "Weiß", "Kühn", "Schmidt"]
    for number in range(400):
        bulk_cases(
            12,
            nachname=surnames[number % len(surnames)],
            datum=dt.date(2024, 1, 1) + dt.timedelta(days=number),
        )
    analyze("cases_case")
    for term in ("Müller", "Weiss", "Kühn, Jana"):
        keys = (
            Case.objects.filter(search_condition(term))
            .order_by(*order_by("-datum"))
            .values_list("pk", flat=True)[:51]
        )
        [plan] = plans(keys)
        assert plan["key"] == "case_datum_name_idx", (term, plan)
        assert "Using index" in plan["Extra"], (term, plan)
        assert "filesort" not in plan["Extra"], (term, plan)


@pytest.mark.django_db(transaction=True)
def test_mariadb_counts_the_list_once_per_statement_beside_the_page(dak_client, mariadb):
    """The count is a column of the page's statement: MariaDB must evaluate it once (a
    SUBQUERY, not a DEPENDENT SUBQUERY per row) and still read the page in index order."""
    from django.test.utils import CaptureQueriesContext

    from cases.tests.test_list_views import bulk_cases

    for number in range(30):
        bulk_cases(40, nachname="Weiß", datum=dt.date(2025, 1, 6) + dt.timedelta(days=number))
    analyze("cases_case")
    with CaptureQueriesContext(connection) as queries:
        html = dak_client.get(LIST).content.decode()
    assert "mehr als 1.000 Fälle" in html
    [page] = [q["sql"] for q in queries if "cases_case" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    kinds = [row["select_type"] for row in rows]
    assert "SUBQUERY" in kinds, rows
    assert "DEPENDENT SUBQUERY" not in kinds, rows
    outer = rows[0]
    assert outer["key"] == "case_datum_name_idx", rows
    assert "filesort" not in (outer["Extra"] or ""), rows
