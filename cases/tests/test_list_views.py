"""The case list (/faelle/): who sees it, each filter, invalid filters, sort, paging, HTMX
partial against full page, the read audit and the no-store header."""

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog
from cases import rules
from cases.models import Case, Quelle, normalized_values
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db

LIST = "/faelle/"
_SUFFIXES = itertools.count(1)


def rows_of(response):
    """The case primary keys of the table, in the order shown (from the detail links)."""
    html = response.content.decode()
    return [int(pk) for pk in re.findall(r'href="/faelle/(\d+)/"', html)]


def bulk_cases(count, **values):
    """Many cases at once, written as the imports write them (no per-row save)."""
    base = {
        "datum": dt.date(2026, 3, 2),
        "fallgruppe": "kardio",
        "nachname": "Schmitt",
        "vorname": "Jana",
        "quelle": Quelle.CRM_CSV,
        **values,
    }
    objects = []
    for _ in range(count):
        row = {**base, **normalized_values(base)}
        row["fall_id"] = rules.build_fall_id(
            row["jahr"], row["kw"], row["fallgruppe"], row["nachname"], suffix=next(_SUFFIXES)
        )
        objects.append(Case(**row))
    return Case.objects.bulk_create(objects)


# --- access ------------------------------------------------------------------------------------


def test_dak_staff_see_every_case_with_its_columns(dak_client):
    case = make_case(
        nachname="Weiß",
        vorname="Jürgen",
        datum=dt.date(2026, 2, 4),
        fallgruppe="sd",
        icd="E04.1",
        gutachten=True,
        gutachten_typ="Alternative",
    )
    response = dak_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("Fall-ID", "KW", "Datum", "Nachname", "Vorname", "Fallgruppe", "Status"):
        assert f">{header}" in html
    assert "Gutachten/Typ" in html
    assert case.fall_id in html
    assert "Weiß" in html and "Jürgen" in html
    assert 'title="KW 6/2026">6<' in html and "04.02.2026" in html
    assert "Schilddrüse" in html and "Gutachten codiert" in html
    assert "E04.1" in html and "Alternative" in html
    assert rows_of(response) == [case.pk]


def test_admins_see_the_list_and_each_row_links_to_the_case_by_primary_key(admin_client):
    case = make_case(nachname="Kühn")
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert f'href="{reverse("cases:detail", args=[case.pk])}"' in response.content.decode()


def test_the_list_is_never_cached(dak_client):
    make_case()
    response = dak_client.get(LIST)
    assert "no-store" in response["Cache-Control"]


def test_anonymous_visitors_go_to_the_login(client):
    make_case()
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def spread():
    """Cases that differ in one filter each."""
    return {
        "kw5": make_case(datum=dt.date(2026, 1, 26), nachname="Fünf"),
        "kw6": make_case(datum=dt.date(2026, 2, 2), nachname="Sechs", fallgruppe="kardio"),
        "kw8": make_case(datum=dt.date(2026, 2, 16), nachname="Acht", quelle=Quelle.CRM_CSV),
        "2025": make_case(datum=dt.date(2025, 2, 3), nachname="Vorjahr", icd="C50.1"),
        # 31.12.2024 is ISO 2025-KW01: the list follows the ISO year, not the calendar year.
        "silvester": make_case(datum=dt.date(2024, 12, 31), nachname="Silvester", icd="I10"),
    }


def pks(*cases):
    return sorted(case.pk for case in cases)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jahr=2026", ("kw5", "kw6", "kw8")),
        ("jahr=2025", ("2025", "silvester")),
        ("jahr=2026&kw=6", ("kw6",)),
        ("kw=6", ("kw6", "2025")),
        ("jahr=2026&kw_von=6&kw_bis=8", ("kw6", "kw8")),
        ("jahr=2026&kw_von=6", ("kw6", "kw8")),
        ("jahr=2026&kw_bis=5", ("kw5",)),
        ("jahr=2025&kw=1", ("silvester",)),
        ("fallgruppe=kardio", ("kw6",)),
        ("quelle=crm_csv", ("kw8",)),
        ("icd_fehlt=1", ("kw5", "kw6", "kw8")),
        ("icd_fehlt=1&jahr=2025", ()),
    ],
)
def test_each_filter_narrows_the_list(dak_client, spread, query, expected):
    response = dak_client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert sorted(rows_of(response)) == pks(*(spread[name] for name in expected))


def test_an_empty_icd_counts_as_missing(dak_client):
    missing = make_case(nachname="Leer", icd="")
    make_case(nachname="Codiert", icd="C50")
    assert rows_of(dak_client.get(f"{LIST}?icd_fehlt=1")) == [missing.pk]


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("offen", {}),
        ("unterlagen", {"unterlagen": True}),
        ("gutachten", {"unterlagen": True, "gutachten": True}),
        ("gutachten_codiert", {"gutachten": True, "gutachten_typ": "Bestätigung"}),
        ("abgelehnt", {"ablehnung": True, "unterlagen": True}),
        ("abgebrochen", {"abbruch": True, "ablehnung": True}),
    ],
)
def test_the_status_filter_follows_the_derived_status(dak_client, status, fields):
    wanted = make_case(nachname="Gesucht", **fields)
    for other_status, other_fields in [
        ("offen", {}),
        ("unterlagen", {"unterlagen": True}),
        ("gutachten", {"gutachten": True}),
        ("abgebrochen", {"abbruch": True}),
    ]:
        if other_status != status:
            make_case(nachname="Anders", **other_fields)
    response = dak_client.get(f"{LIST}?status={status}")
    assert rows_of(response) == [wanted.pk]
    assert dict(rules.STATUS_CHOICES)[status] in response.content.decode()


def test_codierung_fehlt_lists_gutachten_without_typ(admin_client):
    uncoded = make_case(nachname="Offen", gutachten=True)
    make_case(nachname="Fertig", gutachten=True, gutachten_typ="Alternative")
    make_case(nachname="Ohne")
    response = admin_client.get(f"{LIST}?codierung_fehlt=1")
    assert rows_of(response) == [uncoded.pk]
    assert "nicht codiert" in response.content.decode()


def test_the_import_filter_lists_the_cases_that_import_created(dak_client):
    from imports.models import ImportLog, ImportType

    log = ImportLog.objects.create(file_name="x.csv", import_type=ImportType.CRM_CSV, sha256="a")
    other = ImportLog.objects.create(file_name="y.csv", import_type=ImportType.CRM_CSV, sha256="b")
    created = [make_case(nachname="Neu", import_log=log) for _ in range(2)]
    make_case(nachname="Anderer Import", import_log=other)
    make_case(nachname="Manuell")
    response = dak_client.get(f"{LIST}?import={log.pk}")
    assert sorted(rows_of(response)) == pks(*created)
    html = response.content.decode()
    assert "aus dem Import vom" in html and "CRM-Import" in html
    # The filter stays in the form when the other filters change.
    assert f'name="import" value="{log.pk}"' in html


# --- invalid filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("jahr=abc", "Jahr: bitte eine Jahreszahl von 2000 bis 2100 eingeben."),
        ("jahr=1999", "Jahr: bitte eine Jahreszahl von 2000 bis 2100 eingeben."),
        ("kw=54", "KW: bitte eine Zahl von 1 bis 53 eingeben."),
        ("kw=0", "KW: bitte eine Zahl von 1 bis 53 eingeben."),
        ("jahr=2025&kw=53", "Das Jahr 2025 hat keine KW 53 (nur 1–52)."),
        ("kw_von=9&kw_bis=3", "KW bis darf nicht vor KW von liegen."),
        ("kw=4&kw_von=3", "Bitte entweder eine einzelne KW oder einen Bereich"),
        ("fallgruppe=ONKO", "Fallgruppe: „ONKO“ gibt es nicht."),
        ("status=fertig", "Status: „fertig“ gibt es nicht."),
        ("quelle=excel", "Quelle: „excel“ gibt es nicht."),
        ("sort=geburtsdatum", "Nach „geburtsdatum“ kann die Liste nicht sortieren."),
        ("seite=0", "Seite: bitte eine Zahl ab 1 angeben."),
        ("seite=zwei", "Seite: bitte eine Zahl ab 1 angeben."),
        ("import=999999", "Einen Import Nr. 999999 gibt es nicht."),
        ("import=x", "Import: bitte die Nummer eines Imports angeben."),
    ],
)
def test_an_invalid_filter_gets_a_german_message_and_lists_nothing(dak_client, query, message):
    make_case(nachname="Zeigen")
    response = dak_client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Bitte prüfen Sie die Filter" in html
    assert rows_of(response) == []


def test_2026_has_a_week_53(dak_client):
    case = make_case(datum=dt.date(2026, 12, 29))
    assert rows_of(dak_client.get(f"{LIST}?jahr=2026&kw=53")) == [case.pk]


def test_a_plain_form_submit_is_redirected_to_the_short_address(dak_client):
    response = dak_client.get(f"{LIST}?jahr=2026&kw=&kw_von=&fallgruppe=&status=&sort=-datum")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?jahr=2026"


# --- sort and paging ---------------------------------------------------------------------------


def test_sorting_by_surname_and_back(dak_client):
    by_name = {
        name: make_case(nachname=name) for name in ("Zimmermann", "Adler", "Müller", "Becker")
    }
    expected = [by_name[name].pk for name in ("Adler", "Becker", "Müller", "Zimmermann")]
    response = dak_client.get(f"{LIST}?sort=nachname")
    assert rows_of(response) == expected
    assert 'aria-sort="ascending"' in response.content.decode()
    assert rows_of(dak_client.get(f"{LIST}?sort=-nachname")) == expected[::-1]


def test_sorting_by_fall_id_fallgruppe_icd_and_gutachten(dak_client):
    onko = make_case(fallgruppe="onko", nachname="Berg", icd="C50")
    galle = make_case(fallgruppe="galle", nachname="Adam", icd="K80.2")
    kardio = make_case(
        fallgruppe="kardio", nachname="Cohn", icd="I10", gutachten=True, gutachten_typ="Alternative"
    )
    assert rows_of(dak_client.get(f"{LIST}?sort=fallgruppe")) == [galle.pk, kardio.pk, onko.pk]
    assert rows_of(dak_client.get(f"{LIST}?sort=icd")) == [onko.pk, kardio.pk, galle.pk]
    assert rows_of(dak_client.get(f"{LIST}?sort=-gutachten"))[0] == kardio.pk
    by_fall_id = sorted([onko, galle, kardio], key=lambda case: case.fall_id)
    assert rows_of(dak_client.get(f"{LIST}?sort=fall_id")) == [c.pk for c in by_fall_id]


def test_newest_first_by_default_and_the_header_says_so(dak_client):
    old = make_case(datum=dt.date(2026, 1, 5))
    new = make_case(datum=dt.date(2026, 3, 2))
    response = dak_client.get(LIST)
    assert rows_of(response) == [new.pk, old.pk]
    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    # The Datum header offers the other direction; sort links keep the filters.
    assert 'href="/faelle/?sort=datum"' in html
    assert (
        'href="/faelle/?jahr=2026&amp;sort=nachname"'
        in dak_client.get(f"{LIST}?jahr=2026").content.decode()
    )
    assert rows_of(dak_client.get(f"{LIST}?sort=datum")) == [old.pk, new.pk]


def test_equal_values_keep_one_order_across_pages(dak_client):
    cases = bulk_cases(120)  # same datum, same surname: only the primary key orders them
    seen = []
    for page in (1, 2, 3):
        seen += rows_of(dak_client.get(f"{LIST}?sort=nachname&seite={page}", follow=True))
    assert seen == sorted(case.pk for case in cases)
    seen = []
    for page in (1, 2, 3):
        seen += rows_of(dak_client.get(f"{LIST}?seite={page}", follow=True))
    assert seen == sorted((case.pk for case in cases), reverse=True)


def test_the_first_pages_and_the_deeper_ones_page_through_the_same_order(dak_client):
    """The first pages are read with one query, deeper ones keys first: page after page gives
    the database's order of the whole list (its collation: Kühn and Kuhn sort as one name on
    MariaDB), no row lost or shown twice where the two ways meet."""
    from cases.filters import order_by
    from cases.views.list import DIRECT_OFFSET_LIMIT, PAGE_SIZE

    pages = DIRECT_OFFSET_LIMIT // PAGE_SIZE + 2
    surnames = ["Müller", "Mueller", "Weiß", "Weiss", "Kühn", "Kuhn", "Groß", "Schmidt"]
    for number in range(pages * PAGE_SIZE - 7):
        bulk_cases(
            1,
            nachname=surnames[number % len(surnames)],
            datum=dt.date(2025, 1, 6) + dt.timedelta(days=number % 40),
        )
    for sort in ("-datum", "nachname", "-fallgruppe"):
        seen = []
        for page in range(1, pages + 1):
            seen += rows_of(dak_client.get(f"{LIST}?sort={sort}&seite={page}", follow=True))
        assert seen == list(Case.objects.order_by(*order_by(sort)).values_list("pk", flat=True))


def test_fifty_rows_a_page_with_weiter_while_a_next_row_exists(dak_client):
    bulk_cases(51)
    first = dak_client.get(LIST)
    assert len(rows_of(first)) == 50
    html = first.content.decode()
    assert "51 Fälle" in html
    assert 'href="/faelle/?seite=2" hx-get="/faelle/?seite=2" rel="next">weiter' in html
    second = dak_client.get(f"{LIST}?seite=2")
    assert len(rows_of(second)) == 1
    assert 'rel="next"' not in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_exactly_fifty_rows_have_no_next_page(dak_client):
    bulk_cases(50)
    response = dak_client.get(LIST)
    assert len(rows_of(response)) == 50
    assert "weiter</a>" not in response.content.decode()


def test_beyond_a_thousand_the_list_says_more_than_a_thousand(dak_client):
    cases = bulk_cases(1001)
    assert "mehr als 1.000 Fälle" in dak_client.get(LIST).content.decode()
    cases[0].delete()
    html = dak_client.get(LIST).content.decode()
    assert "1.000 Fälle" in html
    assert "mehr als" not in html


def test_a_page_and_its_count_are_read_together_and_deep_pages_count_nothing(dak_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bulk_cases(1001)
    for query, statements, counts in (
        ("", 1, True),  # rows and count in one statement
        ("?seite=5", 1, True),
        ("?seite=6", 2, True),  # keys (with the count), then the rows
        ("?seite=20", 2, False),  # beyond the counted rows: "mehr als" without counting
    ):
        with CaptureQueriesContext(connection) as queries:
            html = dak_client.get(f"{LIST}{query}").content.decode()
        reads = [q["sql"] for q in queries if "cases_case" in q["sql"]]
        assert len(reads) == statements, (query, reads)
        assert any("COUNT(*)" in sql for sql in reads) is counts, (query, reads)
        assert "mehr als 1.000 Fälle" in html


@pytest.mark.parametrize(("matching", "shown"), [(1000, "1.000 Fälle"), (1001, "mehr als 1.000")])
def test_a_searched_list_is_counted_too(dak_client, matching, shown):
    """A name search reads its keys first; the count rides along with them."""
    from cases.views.list import SEARCH_SESSION_KEY

    bulk_cases(matching, nachname="Weiß")
    bulk_cases(30, nachname="Weber")
    session = dak_client.session
    session[SEARCH_SESSION_KEY] = "Weiss"
    session.save()
    html = dak_client.get(LIST).content.decode()
    assert re.search(rf'data-testid="case-count">\s*{re.escape(shown)}', html)


def test_a_page_past_the_end_says_so(dak_client):
    make_case()
    response = dak_client.get(f"{LIST}?seite=7")
    assert "Auf Seite 7 gibt es keine Fälle (mehr)." in response.content.decode()


def test_very_deep_pages_ask_for_filters(dak_client):
    make_case()
    response = dak_client.get(f"{LIST}?seite=2001")
    assert "Seiten nach 2.000 zeigt die Liste nicht an" in response.content.decode()


# --- HTMX ------------------------------------------------------------------------------------


def test_htmx_gets_only_the_results_and_the_canonical_address(dak_client):
    case = make_case(datum=dt.date(2026, 2, 2), fallgruppe="galle")
    make_case(datum=dt.date(2026, 2, 2), fallgruppe="onko")
    response = dak_client.get(
        f"{LIST}?jahr=2026&kw=&fallgruppe=galle&status=", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="case-results"')
    assert "<html" not in html and 'id="case-filter"' not in html
    assert rows_of(response) == [case.pk]
    assert response["HX-Push-Url"] == f"{LIST}?jahr=2026&fallgruppe=galle"
    assert "HX-Request" in response["Vary"]


def test_the_same_address_without_htmx_is_the_whole_page(dak_client):
    make_case(fallgruppe="galle")
    response = dak_client.get(f"{LIST}?fallgruppe=galle")
    html = response.content.decode()
    assert "<html" in html and 'id="case-filter"' in html and 'id="case-results"' in html
    assert 'hx-history="false"' in html
    # The filter form shows the state of the address.
    assert '<option value="galle" selected>' in html


def test_the_back_button_gets_the_whole_page(dak_client):
    make_case()
    response = dak_client.get(
        f"{LIST}?jahr=2026",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_a_sorted_list_keeps_its_sort_when_a_filter_changes(dak_client):
    make_case()
    html = dak_client.get(f"{LIST}?sort=nachname").content.decode()
    # The hidden sort belongs to the filter form although it sits in the swapped results.
    assert '<input type="hidden" name="sort" value="nachname" form="case-filter">' in html


# --- audit -----------------------------------------------------------------------------------


def test_each_list_page_is_audited_as_a_read_without_names(dak_client, dak_user):
    shown = [make_case(nachname="Weiß", vorname="Jürgen", kvnr="D410126355") for _ in range(2)]
    dak_client.get(f"{LIST}?fallgruppe=onko")
    entry = AuditLog.objects.get(action=audit.READ)
    assert entry.user == dak_user
    assert entry.entity_type == "cases.case"
    assert entry.new_values["faelle"] == sorted((c.pk for c in shown), reverse=True)
    assert entry.new_values["filter"] == "fallgruppe=onko"
    assert entry.new_values["suche"] is False
    stored = str(entry.new_values) + str(entry.old_values)
    for value in ("Weiß", "Jürgen", "D410126355", shown[0].fall_id):
        assert value not in stored


def test_an_empty_list_writes_no_read_entry(dak_client):
    dak_client.get(LIST)
    assert not AuditLog.objects.filter(action=audit.READ).exists()


def test_the_audit_log_names_what_a_list_read_stored_in_german(admin_client):
    case = make_case()
    admin_client.get(f"{LIST}?fallgruppe=onko")
    html = admin_client.get(reverse("accounts:audit_list")).content.decode()
    for label in ("Angezeigte Fälle", "Filter", "mit Suche", "Ansicht"):
        assert f">{label}</th>" in html
    assert "fallgruppe=onko" in html and str(case.pk) in html


def test_each_row_shows_its_values_formatted_and_escaped(dak_client):
    coded = make_case(
        nachname="<b>Groß</b>",
        vorname="",
        datum=dt.date(2026, 2, 3),
        fallgruppe="kardio",
        gutachten=True,
        gutachten_typ="Alternative",
        icd="I25.1",
    )
    html = dak_client.get(LIST).content.decode()
    row = re.search(
        rf'<tr>\s*<td class="cell-fall-id"><a href="/faelle/{coded.pk}/">.*?</tr>', html, re.S
    )
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[0], re.S)
    ]
    assert cells[:7] == [
        coded.fall_id.replace("<", "&lt;").replace(">", "&gt;"),
        "6",
        "03.02.2026",
        "&lt;b&gt;Groß&lt;/b&gt;",
        "–",
        "Kardiologie",
        coded.status_label,
    ]
    assert cells[8] == "Alternative"
    assert 'title="KW 6/2026"' in row[0]
    assert f'action="/faelle/{coded.pk}/icd/"' in row[0]
    assert f'id="icd-eingabe-{coded.pk}" value="I25.1"' in row[0]


def test_a_row_icd_form_saves_without_javascript_under_the_csrf_check(dak_user):
    """The page's forms share one CSRF field (masked once per page): each row's form still
    passes Django's check when posted as a plain form, and returns to the list."""
    from django.test import Client

    case = make_case(nachname="Kühn", icd="")
    client = Client(enforce_csrf_checks=True)
    client.force_login(dak_user)
    html = client.get(f"{LIST}?jahr={case.jahr}").content.decode()
    form = re.search(rf'<form method="post" action="/faelle/{case.pk}/icd/".*?</form>', html, re.S)[
        0
    ]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert set(fields) == {"csrfmiddlewaretoken", "ansicht", "weiter"}
    response = client.post(f"/faelle/{case.pk}/icd/", {**fields, "icd": "i10"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?jahr={case.jahr}"
    case.refresh_from_db()
    assert case.icd == "I10"
    refused = Client(enforce_csrf_checks=True)
    refused.force_login(dak_user)
    assert refused.post(f"/faelle/{case.pk}/icd/", {"icd": "C50"}).status_code == 403


def test_a_filter_value_with_markup_is_shown_escaped(dak_client):
    html = dak_client.get(f"{LIST}?fallgruppe=<i>onko</i>").content.decode()
    assert "„&lt;i&gt;onko&lt;/i&gt;“ gibt es nicht" in html
    assert "<i>onko</i>" not in html


def test_the_page_masks_its_csrf_token_once_per_template_engine(dak_client, monkeypatch):
    """base.html (Django) and the rows (Jinja2) each mask the token once; 50 row forms or the
    Jinja2 backend's own lazy token leaking into base.html would mask it at every use."""
    from django.middleware import csrf

    make_case(nachname="Weiß", icd="")
    calls = []
    mask = csrf._mask_cipher_secret
    monkeypatch.setattr(csrf, "_mask_cipher_secret", lambda secret: calls.append(1) or mask(secret))
    html = dak_client.get(LIST).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # logout, search, the row's ICD form
    assert len(calls) == 2


def test_the_filter_forms_share_their_fixed_choices_but_not_their_fields():
    """Copying the choices for every request was most of the filter form's cost; a form that
    gets other choices must still not change another form's."""
    from cases.filters import CaseFilterForm

    first, second = CaseFilterForm({}), CaseFilterForm({})
    assert first.fields["sort"] is not second.fields["sort"]
    assert first.fields["status"].choices is second.fields["status"].choices
    first.fields["status"].choices = [("", "alle"), ("offen", "Offen")]
    assert len(second.fields["status"].choices) == len(rules.STATUS_CHOICES) + 1
    assert len(CaseFilterForm({}).fields["status"].choices) == len(rules.STATUS_CHOICES) + 1
