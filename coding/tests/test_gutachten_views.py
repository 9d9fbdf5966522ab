"""The coding pages per role: queue, coding card with save-and-next, batch with confirmation."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from cases.models import Case
from cases.tests.factories import make_case
from coding.gutachten import GUTACHTEN_CODED

pytestmark = pytest.mark.django_db

KW6 = dt.date(2026, 2, 2)  # Monday of KW 6/2026
KW7 = dt.date(2026, 2, 9)

QUEUE = reverse("coding:queue")
BATCH = reverse("coding:batch")


def card_url(case, query=""):
    url = reverse("coding:card", args=[case.pk])
    return f"{url}?{query}" if query else url


def gutachten_case(**fields):
    values = {
        "gutachten": True,
        "gutachter": "Zentrum Süd",
        "kurzbeschreibung": "Knoten rechts",
        "fragestellung": "OP nötig?",
        "datum": KW6,
    }
    values.update(fields)
    return make_case(**values)


CODED = {"gutachten_typ": "Bestätigung", "therapieaenderung": "Nein"}


# --- queue ----------------------------------------------------------------------------------------


def test_queue_lists_uncoded_gutachten_oldest_first(admin_client):
    later = gutachten_case(nachname="Weiß", datum=KW7)
    older = gutachten_case(nachname="Kühn", fragestellung="Chemotherapie sinnvoll?")
    gutachten_case(nachname="Bereits", gutachten_typ="Alternative", therapieaenderung="Nein")
    make_case(nachname="Ohnegutachten")
    response = admin_client.get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Kühn") < body.index("Weiß")
    assert "Chemotherapie sinnvoll?" in body
    assert "Zentrum Süd" in body
    assert "Bereits" not in body
    assert "Ohnegutachten" not in body
    assert card_url(older) in body and card_url(later) in body


def test_queue_filters_by_week_and_fallgruppe_in_the_url(admin_client):
    gutachten_case(nachname="Müller", fallgruppe="onko")
    gutachten_case(nachname="Muller", fallgruppe="kardio")
    gutachten_case(nachname="Späterwoche", fallgruppe="onko", datum=KW7)
    body = admin_client.get(QUEUE, {"jahr": 2026, "kw": 6, "fallgruppe": "onko"}).content.decode()
    assert "Müller" in body
    assert "Muller" not in body
    assert "Späterwoche" not in body


def test_queue_names_a_bad_week_in_german(admin_client):
    gutachten_case(nachname="Müller")
    response = admin_client.get(QUEUE, {"kw": "60"})
    assert response.status_code == 200
    assert "Die KW muss zwischen 1 und 53 liegen." in response.content.decode()


def test_progress_counts_the_selected_week(admin_client):
    gutachten_case(gutachten_typ="Bestätigung", therapieaenderung="Nein")
    gutachten_case(gutachten_typ="Bestätigung", therapieaenderung="Nein")
    gutachten_case(gutachten_typ="Alternative", therapieaenderung="Nein", fallgruppe="kardio")
    gutachten_case()
    gutachten_case(datum=KW7)  # another week
    make_case()  # no Gutachten: not counted
    # The Fallgruppe narrows the list, the progress stays the whole week's.
    body = admin_client.get(QUEUE, {"jahr": 2026, "kw": 6, "fallgruppe": "onko"}).content.decode()
    assert "3 von 4 codiert (75 %)" in body
    assert "Bestätigung : Alternative = 2 : 1 (67 % : 33 %)" in body
    assert '<progress id="fortschritt" class="w-100" max="4" value="3">' in body


def test_dak_staff_get_403_on_every_coding_page(dak_client):
    case = gutachten_case()
    assert dak_client.get(QUEUE).status_code == 403
    assert dak_client.get(card_url(case)).status_code == 403


def test_dak_staff_cannot_code_by_a_crafted_post(dak_client):
    case = gutachten_case()
    assert dak_client.post(card_url(case), CODED).status_code == 403
    response = dak_client.post(BATCH, {**CODED, "faelle": [case.pk], "bestaetigt": "1"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.gutachten_typ is None
    assert not AuditLog.objects.filter(action=GUTACHTEN_CODED).exists()


def test_anonymous_are_sent_to_the_login(client):
    case = gutachten_case()
    for response in (client.get(QUEUE), client.post(card_url(case), CODED)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    case.refresh_from_db()
    assert case.gutachten_typ is None


# --- coding card ----------------------------------------------------------------------------------


def test_card_shows_the_case_and_visible_shortcuts(admin_client):
    case = gutachten_case(nachname="Weiß", kurzbeschreibung="Verdacht auf Rezidiv")
    response = admin_client.get(card_url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Verdacht auf Rezidiv" in body
    for key in ("B", "A", "J", "N", "1", "2", "3", "Enter"):
        assert f"<kbd>{key}</kbd>" in body
    assert "js/coding.js" in body
    assert 'data-shortcut="b"' in body


def test_save_and_next_goes_to_the_next_case_of_the_same_filter(admin_client, admin_user):
    first = gutachten_case(nachname="Müller", fallgruppe="onko")
    gutachten_case(nachname="Kardio", fallgruppe="kardio")
    second = gutachten_case(nachname="Muller", fallgruppe="onko", datum=KW7)
    query = "fallgruppe=onko"
    response = admin_client.post(card_url(first, query), CODED)
    assert response.status_code == 302
    assert response["Location"] == card_url(second, query)
    first.refresh_from_db()
    assert (first.gutachten_typ, first.therapieaenderung) == ("Bestätigung", "Nein")
    assert first.coding_by == admin_user

    response = admin_client.post(card_url(second, query), CODED)
    assert response["Location"] == f"{QUEUE}?{query}"
    page = admin_client.get(response["Location"]).content.decode()
    assert "Keine weiteren uncodierten Gutachten in dieser Auswahl." in page


def test_card_refuses_flags_without_ja_with_a_german_message(admin_client):
    case = gutachten_case()
    response = admin_client.post(
        card_url(case),
        {"gutachten_typ": "Alternative", "therapieaenderung": "Nein", "ta_uebertherapie": "on"},
    )
    assert response.status_code == 400
    assert "nur bei Therapieänderung = Ja zulässig" in response.content.decode()
    case.refresh_from_db()
    assert case.gutachten_typ is None


def test_card_refuses_a_missing_type(admin_client):
    case = gutachten_case()
    response = admin_client.post(card_url(case), {"therapieaenderung": "Nein"})
    assert response.status_code == 400
    assert "Bitte den Gutachten-Typ wählen" in response.content.decode()


def test_card_saves_ja_without_flag_and_warns(admin_client):
    case = gutachten_case()
    response = admin_client.post(
        card_url(case), {"gutachten_typ": "Alternative", "therapieaenderung": "Ja"}, follow=True
    )
    case.refresh_from_db()
    assert case.therapieaenderung == "Ja"
    assert "aber keine Art angegeben" in response.content.decode()


def test_card_of_a_case_without_gutachten_is_not_found(admin_client):
    case = make_case(gutachten=False)
    assert admin_client.get(card_url(case)).status_code == 404
    assert admin_client.post(card_url(case), CODED).status_code == 404
    case.refresh_from_db()
    assert case.gutachten_typ is None


def test_opening_a_card_is_audited_as_a_read(admin_client):
    case = gutachten_case()
    admin_client.get(card_url(case))
    assert AuditLog.objects.filter(action="read", entity_id=str(case.pk)).exists()


# --- batch ----------------------------------------------------------------------------------------


def test_batch_first_lists_the_changes_and_saves_nothing(admin_client):
    cases = [gutachten_case(nachname=name) for name in ("Weiß", "Weiss", "Kühn")]
    response = admin_client.post(
        BATCH,
        {
            "faelle": [c.pk for c in cases],
            "gutachten_typ": "Alternative",
            **{"therapieaenderung": "Nein"},
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "3 Fälle erhalten Gutachten-Typ" in body
    assert body.count("Gutachten-Typ: — → Alternative") == 3
    assert not Case.objects.filter(gutachten_typ__isnull=False).exists()


def test_batch_confirmed_codes_all_with_one_entry_each(admin_client):
    cases = [gutachten_case(nachname=name) for name in ("Weiß", "Weiss", "Kühn")]
    response = admin_client.post(
        BATCH,
        {"faelle": [c.pk for c in cases], **CODED, "bestaetigt": "1"},
        follow=True,
    )
    assert "3 Fälle codiert." in response.content.decode()
    assert Case.objects.filter(gutachten_typ="Bestätigung").count() == 3
    assert AuditLog.objects.filter(action=GUTACHTEN_CODED).count() == 3


def test_batch_without_selection_says_so(admin_client):
    gutachten_case()
    response = admin_client.post(BATCH, CODED, follow=True)
    assert "Bitte mindestens einen Fall auswählen." in response.content.decode()
    assert not Case.objects.filter(gutachten_typ__isnull=False).exists()


def test_batch_with_a_case_without_gutachten_changes_nothing(admin_client):
    good = gutachten_case()
    bad = make_case(gutachten=False)
    response = admin_client.post(
        BATCH, {"faelle": [good.pk, bad.pk], **CODED, "bestaetigt": "1"}, follow=True
    )
    assert "nicht (mehr) in der Codierung" in response.content.decode()
    good.refresh_from_db()
    assert good.gutachten_typ is None


def test_one_case_is_counted_in_the_singular(admin_client):
    case = gutachten_case(nachname="Weiß")
    assert "1 uncodiertes Gutachten, älteste zuerst" in admin_client.get(QUEUE).content.decode()
    body = admin_client.post(BATCH, {"faelle": [case.pk], **CODED}).content.decode()
    assert "1 Fall erhält Gutachten-Typ" in body
    assert "1 Fall codieren" in body
    response = admin_client.post(
        BATCH, {"faelle": [case.pk], **CODED, "bestaetigt": "1"}, follow=True
    )
    assert "1 Fall codiert." in response.content.decode()
