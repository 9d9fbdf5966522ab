"""ICD entry views: the inline save and check (case page, case list) and the ICD-Eingabe queue."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AuditLog
from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case
from coding.catalogue import catalogue_load
from coding.icd import ICD_SAVED
from coding.tests.catalogue_files import utf8_file

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CHECK = "/faelle/icd/pruefen/"
QUEUE = "/faelle/icd-eingabe/"


def save_url(case):
    return f"/faelle/{case.pk}/icd/"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_urls():
    case = make_case()
    assert reverse("cases:icd", args=[case.pk]) == save_url(case)
    assert reverse("cases:icd_check") == CHECK
    assert reverse("cases:icd_queue") == QUEUE


# --- inline save --------------------------------------------------------------------------


def test_htmx_save_on_the_case_page_answers_with_the_section_only(dak_client, dak_user):
    case = make_case(nachname="Schäfer")
    response = dak_client.post(
        save_url(case), {"icd": "c50.1;c79.5", "ansicht": "detail"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="icd-abschnitt"' in html and "<html" not in html
    assert re.findall(r'data-testid="icd-code">([^<]+)<', html) == ["C50.1", "C79.5"]
    assert "ICD-Codes gespeichert." in html
    case.refresh_from_db()
    assert (case.icd, case.icd_entered_by) == ("C50.1, C79.5", dak_user)


def test_htmx_save_with_invalid_codes_names_them_and_keeps_the_input(dak_client):
    case = make_case(icd="E11.90")
    response = dak_client.post(
        save_url(case), {"icd": "C50.1 Brust", "ansicht": "detail"}, headers=HTMX
    )
    # 200 so that htmx swaps the section with the error in it.
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ungültiger ICD-Code: Brust" in html
    assert 'value="C50.1 Brust"' in html and 'aria-invalid="true"' in html
    case.refresh_from_db()
    assert case.icd == "E11.90"


def test_without_javascript_the_save_redirects_back_with_a_message(dak_client):
    case = make_case()
    back = "/faelle/?jahr=2026&icd_fehlt=1"
    response = dak_client.post(save_url(case), {"icd": "c50.1", "weiter": back})
    assert response.status_code == 302 and response["Location"] == back
    assert messages_of(response) == ["ICD-Codes gespeichert: C50.1"]
    case.refresh_from_db()
    assert case.icd == "C50.1"


def test_without_javascript_invalid_codes_redirect_back_with_the_error(dak_client):
    case = make_case()
    response = dak_client.post(save_url(case), {"icd": "X1, C50.1"})
    assert response["Location"] == f"/faelle/{case.pk}/"
    assert messages_of(response)[0].startswith("Ungültiger ICD-Code: X1")
    case.refresh_from_db()
    assert case.icd is None


@pytest.mark.parametrize("target", ["//anderswo.example/", "https://anderswo.example/", "x"])
def test_the_way_back_stays_inside_the_portal(dak_client, target):
    case = make_case()
    response = dak_client.post(save_url(case), {"icd": "C50.1", "weiter": target})
    assert response["Location"] == f"/faelle/{case.pk}/"


def test_a_crafted_save_changes_only_the_icd(dak_client):
    case = make_case(nachname="Groß", vorname="Jörg")
    dak_client.post(
        save_url(case),
        {"icd": "C50.1", "nachname": "Kuhn", "gutachten_typ": "Alternative", "betrag": "1"},
    )
    after = Case.objects.get(pk=case.pk)
    assert (after.icd, after.nachname, after.gutachten_typ, after.betrag) == (
        "C50.1",
        "Groß",
        None,
        None,
    )


def test_the_save_refuses_get(dak_client):
    assert dak_client.get(save_url(make_case())).status_code == 405


def test_clearing_from_the_case_page(admin_client):
    case = make_case(icd="C50.1")
    response = admin_client.post(save_url(case), {"icd": ""}, headers=HTMX)
    assert "Die ICD-Codes wurden entfernt." in response.content.decode()
    case.refresh_from_db()
    assert case.icd is None
    assert not CaseICDCode.objects.filter(case=case).exists()


def test_the_list_row_save_answers_with_its_cell(dak_client):
    case = make_case()
    response = dak_client.post(
        save_url(case), {"icd": "c50.1", "ansicht": "zeile", "weiter": "/faelle/"}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="icd-zelle-{case.pk}"')
    assert 'value="C50.1"' in html and "gespeichert" in html
    assert 'name="weiter" value="/faelle/"' in html


# --- check while typing ---------------------------------------------------------------------


def test_the_check_names_invalid_codes_and_writes_nothing(dak_client):
    case = make_case()
    before = AuditLog.objects.count()
    response = dak_client.post(CHECK, {"icd": "C50.1, X1; 12"}, headers=HTMX)
    assert response.status_code == 200
    assert "Ungültige ICD-Codes: X1, 12" in response.content.decode()
    response = dak_client.post(CHECK, {"icd": "c50.1 c79.5"}, headers=HTMX)
    html = response.content.decode()
    assert re.search(r'data-testid="icd-check-text">C50.1, C79.5<', html)
    assert AuditLog.objects.count() == before
    case.refresh_from_db()
    assert case.icd is None


def test_the_check_of_an_empty_input_says_saving_clears(dak_client):
    html = dak_client.post(CHECK, {"icd": "  "}, headers=HTMX).content.decode()
    assert "Speichern entfernt die ICD-Codes" in html


def test_with_a_catalogue_the_check_shows_titles_and_warnings(dak_client):
    catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")
    html = dak_client.post(CHECK, {"icd": "C50.1 E11.9 Z99.9"}, headers=HTMX).content.decode()
    assert "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse" in html
    assert "E11.9</span> – Diabetes mellitus, Typ 2: Ohne Komplikationen" in html
    assert "Hinweis: kein endständiger Code – bitte genauer codieren" in html
    assert "Hinweis: nicht im ICD-10-GM-Katalog 2026" in html
    # Warnings, not errors: it would be saved.
    assert "Wird gespeichert als:" in html


def test_without_a_catalogue_the_check_shows_no_titles(dak_client):
    html = dak_client.post(CHECK, {"icd": "C50.1"}, headers=HTMX).content.decode()
    assert "Wird gespeichert als:" in html and "Hinweis" not in html and "Brustdrüse" not in html


# --- case page and list ---------------------------------------------------------------------


def test_the_case_page_shows_the_entry_and_the_titles_of_stored_codes(dak_client):
    catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")
    case = make_case(icd="C50.1, E11.9")
    html = dak_client.get(f"/faelle/{case.pk}/").content.decode()
    assert f'action="/faelle/{case.pk}/icd/"' in html and 'hx-post="/faelle/icd/pruefen/"' in html
    assert re.findall(r'data-testid="icd-title">([^<]+)<', html) == [
        "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse",
        "Diabetes mellitus, Typ 2: Ohne Komplikationen",
    ]
    assert "kein endständiger Code" in html


def test_every_list_row_has_its_inline_entry(dak_client):
    cases = [make_case(vorname=name) for name in ("Änne", "Jürgen")]
    html = dak_client.get("/faelle/?jahr=2026").content.decode()
    for case in cases:
        assert f'id="icd-zelle-{case.pk}"' in html
        assert f'hx-post="/faelle/{case.pk}/icd/" hx-target="#icd-zelle-{case.pk}"' in html
    assert html.count('name="weiter" value="/faelle/?jahr=2026"') == 2


# --- the queue --------------------------------------------------------------------------------


@pytest.fixture
def week():
    """Three pending cases of KW 6/2026 (out of order) and others the queue leaves out."""
    cases = {
        "zweiter": make_case(nachname="Öztürk", datum=dt.date(2026, 2, 4)),
        "erster": make_case(nachname="Weiß", datum=dt.date(2026, 2, 2)),
        "dritter": make_case(nachname="Müller", datum=dt.date(2026, 2, 6), fallgruppe="galle"),
    }
    make_case(nachname="Fertig", datum=dt.date(2026, 2, 1), icd="C50.1")
    make_case(nachname="Andere Woche", datum=dt.date(2026, 3, 2))
    return cases


def shown_case(response):
    match = re.search(r'data-case="(\d+)"', response.content.decode())
    return int(match.group(1)) if match else None


def position(response):
    text = re.search(r'data-testid="icd-queue-position">([^<]+)<', response.content.decode())
    return " ".join(text.group(1).split())


def test_the_queue_starts_with_the_oldest_pending_case_of_the_filter(dak_client, week):
    response = dak_client.get(f"{QUEUE}?jahr=2026&kw=6")
    assert shown_case(response) == week["erster"].pk
    assert position(response) == "Fall 1 von 3"
    html = response.content.decode()
    for label in ("Fall-ID", "Fallgruppe", "Datum", "Kurzbeschreibung", "Fragestellung"):
        assert f"<dt>{label}</dt>" in html
    assert week["erster"].fall_id in html
    # The list's filter fields, filled from the address.
    assert 'name="kw" value="6"' in html


def test_the_queue_uses_the_list_filters(dak_client, week):
    response = dak_client.get(f"{QUEUE}?jahr=2026&kw=6&fallgruppe=galle")
    assert shown_case(response) == week["dritter"].pk
    assert position(response) == "Fall 1 von 1"
    assert "KW: bitte eine Zahl" in dak_client.get(f"{QUEUE}?kw=99").content.decode()


def test_save_and_next_then_skip_then_done(dak_client, dak_user, week):
    response = dak_client.get(f"{QUEUE}?jahr=2026&kw=6")
    first = week["erster"]
    response = dak_client.post(
        QUEUE, {"fall": first.pk, "icd": "c50.1", "filter": "jahr=2026&kw=6", "erledigt": "0"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?jahr=2026&kw=6&nach={first.pk}&erledigt=1"
    first.refresh_from_db()
    assert (first.icd, first.icd_entered_by) == ("C50.1", dak_user)

    response = dak_client.get(response["Location"])
    assert shown_case(response) == week["zweiter"].pk
    assert position(response) == "Fall 2 von 3 · in diesem Durchgang gespeichert: 1"
    skip = re.search(r'href="([^"]+)" id="icd-queue-skip"', response.content.decode()).group(1)
    assert skip.replace("&amp;", "&") == (
        f"{QUEUE}?jahr=2026&kw=6&nach={week['zweiter'].pk}&erledigt=1"
    )

    response = dak_client.get(skip.replace("&amp;", "&"))
    assert shown_case(response) == week["dritter"].pk
    assert position(response) == "Fall 3 von 3 · in diesem Durchgang gespeichert: 1"
    response = dak_client.post(
        QUEUE,
        {"fall": week["dritter"].pk, "icd": "K55.0", "filter": "jahr=2026&kw=6", "erledigt": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert 'data-testid="icd-queue-done"' in html and "gespeichert: 2" in html
    # The skipped case is still pending and comes back when starting again.
    assert shown_case(dak_client.get(f"{QUEUE}?jahr=2026&kw=6")) == week["zweiter"].pk


def test_invalid_codes_in_the_queue_show_the_same_case_again_with_the_error(dak_client, week):
    first = week["erster"]
    response = dak_client.post(
        QUEUE, {"fall": first.pk, "icd": "C50.1 Q", "filter": "jahr=2026", "erledigt": "0"}
    )
    assert response.status_code == 200
    assert shown_case(response) == first.pk
    html = response.content.decode()
    assert "Ungültiger ICD-Code: Q" in html and 'value="C50.1 Q"' in html
    first.refresh_from_db()
    assert first.icd is None


def test_empty_input_in_the_queue_moves_on_without_saving(dak_client, week):
    first = week["erster"]
    response = dak_client.post(QUEUE, {"fall": first.pk, "icd": "", "filter": "", "erledigt": "0"})
    assert response["Location"] == f"{QUEUE}?nach={first.pk}"
    assert not AuditLog.objects.filter(action=ICD_SAVED).exists()


def test_the_queue_never_overwrites_codes_entered_meanwhile(dak_client, week):
    first = week["erster"]
    Case.objects.filter(pk=first.pk).update(icd="E11.90")
    response = dak_client.post(
        QUEUE, {"fall": first.pk, "icd": "C50.1", "filter": "", "erledigt": "0"}
    )
    assert response["Location"] == f"{QUEUE}?nach={first.pk}"
    assert "inzwischen jemand anderes" in messages_of(response)[0]
    first.refresh_from_db()
    assert first.icd == "E11.90"


def test_the_queue_addresses_carry_no_names_or_codes(dak_client, week):
    response = dak_client.post(
        QUEUE, {"fall": week["erster"].pk, "icd": "C50.1", "filter": "jahr=2026", "erledigt": "0"}
    )
    location = response["Location"]
    assert "Wei" not in location and "C50" not in location
    html = dak_client.get(location).content.decode()
    for href in re.findall(r'href="(/faelle/icd-eingabe/[^"]*)"', html):
        assert "Öztürk" not in href and "%C3" not in href


def test_showing_a_case_in_the_queue_is_an_audited_read(dak_client, dak_user, week):
    dak_client.get(QUEUE)
    entry = AuditLog.objects.filter(action="read", entity_id=str(week["erster"].pk)).get()
    assert entry.user == dak_user
    # Which page showed it, no values of the case.
    assert (entry.old_values, entry.new_values) == ({}, {"ansicht": "ICD-Eingabe"})


def test_an_empty_queue_says_so(dak_client):
    make_case(icd="C50.1")
    html = dak_client.get(QUEUE).content.decode()
    assert "Keine Fälle ohne ICD-Codes." in html


def test_the_queue_page_uses_the_static_script_and_no_inline_code(dak_client, week):
    html = dak_client.get(QUEUE).content.decode()
    assert '<script src="/static/js/icd_queue.js" defer></script>' in html
    assert "onclick" not in html and "style=" not in html
