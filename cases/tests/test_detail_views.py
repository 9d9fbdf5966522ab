"""The case page, its edit form and the form for a manual case, per role: what each one sees,
what a crafted request achieves (nothing, for DAK staff), the audit entries, the refused stale
edit with two sessions, and the duplicate warning before a manual case is saved."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog, Role, User
from cases import audit_actions
from cases.models import Case, Quelle
from cases.tests.factories import make_case
from conftest import login_verified
from imports.models import ImportLog

pytestmark = pytest.mark.django_db


def page_text(response):
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(text.split())


def form_data(form, **changes):
    """What the browser would send for this (unbound) form, with some fields changed."""
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.html_name] = "on"
            continue
        if field.widget_type == "select":
            data[field.html_name] = "" if value is None else str(value)
            continue
        shown = field.field.widget.format_value(field.field.prepare_value(value))
        data[field.html_name] = "" if shown is None else shown
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def edit_page(client, case):
    response = client.get(reverse("cases:edit", args=[case.pk]))
    assert response.status_code == 200
    return response.context["form"]


def case_entries(case, action):
    return AuditLog.objects.filter(entity_type="cases.case", entity_id=str(case.pk), action=action)


@pytest.fixture
def case():
    return make_case(
        nachname="Kühn",
        vorname="Jörg",
        geburtsdatum=dt.date(1961, 4, 3),
        datum=dt.date(2026, 3, 2),
        fallgruppe="onko",
        kvnr="D410126355",
        telefon="030 1234567",
        icd="C50.1, C79.5",
        kurzbeschreibung="Erstdiagnose im Januar.\nOP geplant.",
    )


@pytest.fixture
def second_admin():
    return User.objects.create_user(
        email="zweite.admin@anbieter.example", password="x-Zweites-Passwort-26", role=Role.ADMIN
    )


# --- the case page ---------------------------------------------------------------------------


def test_the_case_page_shows_every_section_status_and_history(admin_client, case):
    response = admin_client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    text = page_text(response)
    for title in ("Fall", "Person", "Beratung", "Unterlagen / Abschluss", "Gutachten", "ICD"):
        assert f">{title}</h2>" in response.content.decode()
    assert "Abrechnung" in text and "Verlauf" in text
    assert "2026-10-onko-Kühn" in text
    assert "Status: Offen" in text
    assert "KW 10/2026" in text
    assert "Erstdiagnose im Januar.<br>OP geplant." in response.content.decode()
    assert "03.04.1961" in text
    assert "C50.1 C79.5" in text
    assert "Bearbeiten" in text
    assert "Prüfziffer ungültig" not in text


def test_opening_a_case_is_audited_as_a_read_without_values(dak_client, dak_user, case):
    dak_client.get(reverse("cases:detail", args=[case.pk]))
    [entry] = case_entries(case, audit.READ)
    assert entry.user == dak_user
    assert entry.old_values == {} and entry.new_values == {}


def test_an_invalid_kvnr_is_flagged_on_the_page(admin_client):
    flagged = make_case(kvnr="D410126356")
    text = page_text(admin_client.get(reverse("cases:detail", args=[flagged.pk])))
    assert "Die KVNR dieses Falls ist ungültig" in text
    assert "D410126356 Prüfziffer ungültig" in text


def test_the_history_shows_edits_with_german_field_names_and_the_creating_import(
    admin_client, admin_user, case
):
    log = ImportLog.objects.create(import_type="crm_csv", sha256="a" * 64, user=admin_user)
    Case.objects.filter(pk=case.pk).update(import_log=log)
    case.refresh_from_db()
    form = edit_page(admin_client, case)
    admin_client.post(
        reverse("cases:edit", args=[case.pk]),
        form_data(form, kontaktkanal="telefon", unterlagen=True),
    )
    text = page_text(admin_client.get(reverse("cases:detail", args=[case.pk])))
    assert "Fall geändert" in text
    # "wird zu" is the arrow's text for screen readers.
    assert "Kontaktkanal – → wird zu Telefon" in text
    assert "Unterlagen nein → wird zu ja" in text
    assert (
        f"{admin_user.email} Angelegt durch Import (CRM-Export (CSV)) Importprotokoll Nr. {log.pk}"
        in text
    )
    # Reads are in the audit log, not in the case's history.
    assert "Angesehen" not in text


@pytest.mark.django_db(transaction=True)
def test_mariadb_finds_a_much_read_case_s_history_without_reading_its_reads(dak_user):
    """Every view of a case writes a read entry; the history (changes only) must not step
    over them, nor over the changes of other cases: the entity index carries the action
    (accounts migration 0006)."""
    from django.db import connection

    if connection.vendor != "mysql":
        pytest.skip("the plan is MariaDB's")
    from cases.tests.plans import analyze, plans
    from cases.views.detail import _history_entries

    case = make_case(nachname="Weiß")
    other = make_case(nachname="Weiss")
    AuditLog.objects.bulk_create(
        [
            AuditLog(action=audit.READ, entity_type="cases.case", entity_id=str(pk), user=dak_user)
            for pk in [case.pk] * 400 + [other.pk] * 400
        ]
        + [
            AuditLog(action="case.icd_saved", entity_type="cases.case", entity_id=str(pk))
            for pk in [case.pk] * 3 + [other.pk] * 300
        ]
    )
    analyze("accounts_auditlog")
    entries = _history_entries(case)
    assert [entry.action for entry in entries] == ["case.icd_saved"] * 3
    plan = plans(entries)[0]
    assert plan["key"] == "auditlog_entity_action_idx", plan
    assert int(plan["rows"]) < 50, plan


def test_dak_staff_see_the_case_without_any_way_to_edit_it(dak_client, case):
    response = dak_client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bearbeiten" not in page_text(response)
    assert reverse("cases:edit", args=[case.pk]) not in body
    assert '<form method="post" novalidate' not in body
    assert "C50.1" in body


def test_the_case_pages_are_not_stored_by_browsers(admin_client, case):
    for url in (
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:edit", args=[case.pk]),
        reverse("cases:create"),
    ):
        assert "no-store" in admin_client.get(url)["Cache-Control"], url


def test_an_unknown_case_is_a_404(admin_client):
    assert admin_client.get(reverse("cases:detail", args=[999999])).status_code == 404


# --- what DAK staff cannot do, even by crafting requests ----------------------------------------


def test_dak_staff_cannot_open_the_edit_or_create_form(dak_client, case):
    assert dak_client.get(reverse("cases:edit", args=[case.pk])).status_code == 403
    assert dak_client.get(reverse("cases:create")).status_code == 403


def test_a_crafted_edit_by_dak_staff_is_refused_and_changes_nothing(dak_client, admin_user, case):
    # A complete, valid form as an admin's page would send it.
    admin = login_verified(Client(), admin_user)
    data = form_data(edit_page(admin, case), nachname="Kuhn", telefon="0")
    data.update(fall_id="2026-10-onko-Kuhn", icd="Z00.0")
    before = Case.objects.values().get(pk=case.pk)
    response = dak_client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 403
    assert Case.objects.values().get(pk=case.pk) == before
    assert not case_entries(case, audit_actions.CASE_CHANGED).exists()


def test_a_crafted_post_to_the_case_page_changes_nothing(dak_client, case):
    before = Case.objects.values().get(pk=case.pk)
    response = dak_client.post(
        reverse("cases:detail", args=[case.pk]), {"nachname": "Kuhn", "icd": "Z00.0"}
    )
    assert response.status_code == 405
    assert Case.objects.values().get(pk=case.pk) == before


def test_a_crafted_create_by_dak_staff_is_refused(dak_client):
    response = dak_client.post(
        reverse("cases:create"),
        {"datum": "2026-03-02", "fallgruppe": "onko", "nachname": "Weiß"},
    )
    assert response.status_code == 403
    assert not Case.objects.exists()


# --- admins edit -------------------------------------------------------------------------------


def test_an_admin_edit_is_saved_and_audited_once_with_old_and_new(admin_client, admin_user, case):
    form = edit_page(admin_client, case)
    response = admin_client.post(
        reverse("cases:edit", args=[case.pk]),
        form_data(form, telefon="040 7654321", betrag="1.234,50", gutachten=True),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    assert "Der Fall wurde gespeichert (3 Felder geändert)." in page_text(response)
    case.refresh_from_db()
    assert case.telefon == "040 7654321"
    assert str(case.betrag) == "1234.50"
    assert case.gutachten is True
    [entry] = case_entries(case, audit_actions.CASE_CHANGED)
    assert entry.user == admin_user
    assert entry.old_values == {"telefon": "030 1234567", "betrag": None, "gutachten": False}
    assert entry.new_values == {"telefon": "040 7654321", "betrag": "1234.50", "gutachten": True}


def test_derived_and_fixed_fields_cannot_be_posted(admin_client, case):
    data = form_data(edit_page(admin_client, case), datum="2024-12-31")
    data.update(fall_id="2025-01-onko-Kuhn", jahr="2030", kw="7", quelle="crm_csv")
    admin_client.post(reverse("cases:edit", args=[case.pk]), data)
    case.refresh_from_db()
    assert case.fall_id == "2026-10-onko-Kühn"
    assert (case.jahr, case.kw, case.quelle) == (2025, 1, Quelle.MANUELL)


def test_rule_errors_are_german_field_errors_and_save_nothing(admin_client, case):
    form = edit_page(admin_client, case)
    response = admin_client.post(
        reverse("cases:edit", args=[case.pk]),
        form_data(
            form,
            icd="C50.1, C5O.1",
            gutachten_typ="Alternative",
            geburtsdatum="31.02.1961",
            betrag="zwölf",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Ungültiger ICD-Code: C5O.1" in errors["icd"][0]
    assert "nur zulässig, wenn ein Gutachten vorliegt" in errors["gutachten_typ"][0]
    assert "ist kein gültiges Datum" in errors["geburtsdatum"][0]
    assert errors["betrag"] == ["Bitte eine Zahl eingeben."]
    assert "Nicht gespeichert" in page_text(response)
    case.refresh_from_db()
    assert (case.icd, case.gutachten_typ) == ("C50.1, C79.5", None)


def test_domain_rules_checked_after_parsing_are_field_errors_too(admin_client, case):
    form = edit_page(admin_client, case)
    response = admin_client.post(
        reverse("cases:edit", args=[case.pk]), form_data(form, icd="C50.1 X1")
    )
    assert "Ungültiger ICD-Code: X1" in response.context["form"].errors["icd"][0]
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_stale_edit_is_refused_showing_what_changed_in_between(admin_user, second_admin, case):
    first, second = login_verified(Client(), admin_user), login_verified(Client(), second_admin)
    form_first = edit_page(first, case)
    form_second = edit_page(second, case)

    saved = second.post(
        reverse("cases:edit", args=[case.pk]),
        form_data(form_second, telefon="040 111", bearbeiter="Frau Weiß"),
    )
    assert saved.status_code == 302

    response = first.post(
        reverse("cases:edit", args=[case.pk]),
        form_data(form_first, telefon="089 222", bemerkung="Rückruf am Montag"),
    )
    assert response.status_code == 200
    text = page_text(response)
    assert f"Nicht gespeichert: Dieser Fall wurde inzwischen von {second_admin.email}" in text
    assert "Telefon 030 1234567 040 111 089 222" in text
    assert "Bearbeiter – Frau Weiß nicht geändert" in text
    case.refresh_from_db()
    assert (case.telefon, case.bearbeiter, case.bemerkung) == ("040 111", "Frau Weiß", "")
    assert case_entries(case, audit_actions.CASE_CHANGED).count() == 1

    # The form now holds the saved version and keeps the first admin's untouched change; saving
    # it again is a deliberate decision on the current version.
    fresh = response.context["form"]
    assert fresh["telefon"].value() == "040 111"
    assert fresh["bemerkung"].value() == "Rückruf am Montag"
    again = first.post(reverse("cases:edit", args=[case.pk]), form_data(fresh))
    assert again.status_code == 302
    case.refresh_from_db()
    assert (case.telefon, case.bearbeiter, case.bemerkung) == (
        "040 111",
        "Frau Weiß",
        "Rückruf am Montag",
    )


def test_a_tampered_version_is_refused(admin_client, case):
    data = form_data(edit_page(admin_client, case), telefon="0")
    data["basis"] = data["basis"][:-3] + "xyz"
    response = admin_client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 200
    assert "Das Formular ist unvollständig oder wurde verändert" in page_text(response)
    case.refresh_from_db()
    assert case.telefon == "030 1234567"


def test_opening_the_edit_form_is_audited_as_a_read(admin_client, case):
    edit_page(admin_client, case)
    [entry] = case_entries(case, audit.READ)
    assert entry.new_values == {"ansicht": "Bearbeiten"}


# --- admins create a case by hand --------------------------------------------------------------


NEW_CASE = {
    "datum": "02.03.26",
    "fallgruppe": "kardio",
    "nachname": "Weiß",
    "vorname": "Jürgen",
    "geburtsdatum": "14.07.58",
    "kontaktkanal": "telefon",
}


def test_an_admin_creates_a_manual_case(admin_client, admin_user):
    response = admin_client.post(reverse("cases:create"), NEW_CASE, follow=True)
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    assert "Der Fall wurde angelegt." in page_text(response)
    assert (case.fall_id, case.quelle) == ("2026-10-kardio-Weiß", Quelle.MANUELL)
    assert case.geburtsdatum == dt.date(1958, 7, 14)
    assert case.created_by == admin_user
    assert case_entries(case, audit_actions.CASE_CREATED).count() == 1


def test_a_missing_required_field_is_a_german_error(admin_client):
    response = admin_client.post(reverse("cases:create"), {**NEW_CASE, "nachname": ""})
    assert response.context["form"].errors["nachname"] == ["Dieses Feld ist zwingend erforderlich."]
    assert not Case.objects.exists()


def test_a_likely_duplicate_is_shown_and_needs_trotzdem_anlegen(admin_client):
    existing = make_case(
        nachname="WEISS ",
        vorname="jürgen",
        geburtsdatum=dt.date(1958, 7, 14),
        fallgruppe="kardio",
        datum=dt.date(2026, 3, 2),
    )
    warned = admin_client.post(reverse("cases:create"), NEW_CASE)
    assert warned.status_code == 200
    text = page_text(warned)
    assert "Möglicherweise gibt es diesen Fall schon" in text
    assert reverse("cases:detail", args=[existing.pk]) in warned.content.decode()
    assert Case.objects.count() == 1

    # Submitting again without the confirmation only warns again.
    data = {**NEW_CASE, "confirmed_duplicates": str(existing.pk)}
    assert admin_client.post(reverse("cases:create"), data).status_code == 200
    assert Case.objects.count() == 1

    created = admin_client.post(reverse("cases:create"), {**data, "trotzdem_anlegen": "1"})
    assert created.status_code == 302
    assert Case.objects.count() == 2
    assert Case.objects.exclude(pk=existing.pk).get().fall_id == "2026-10-kardio-Weiß"


def test_a_surname_with_an_umlaut_is_not_a_duplicate_of_one_without(admin_client):
    make_case(
        nachname="Kuhn",
        vorname="Jürgen",
        geburtsdatum=dt.date(1958, 7, 14),
        fallgruppe="kardio",
        datum=dt.date(2026, 3, 2),
    )
    response = admin_client.post(reverse("cases:create"), {**NEW_CASE, "nachname": "Kühn"})
    assert response.status_code == 302
    assert sorted(Case.objects.values_list("fall_id", flat=True)) == [
        "2026-10-kardio-Kuhn",
        "2026-10-kardio-Kühn",
    ]


def test_the_case_list_offers_the_manual_case_to_admins_only(admin_user, dak_client):
    admin = login_verified(Client(), admin_user)
    create = reverse("cases:create")
    assert f'href="{create}"' in admin.get(reverse("cases:list")).content.decode()
    assert f'href="{create}"' not in dak_client.get(reverse("cases:list")).content.decode()


def test_the_case_page_masks_its_csrf_token_once_per_template_engine(dak_client, monkeypatch):
    """base.html (Django) and the ICD section (Jinja2) each mask it once: the Jinja2 backend's
    own lazy token does not leak into base.html (dak_portal.jinja2.render_fragment)."""
    from django.middleware import csrf

    case = make_case(nachname="Kühn")
    calls = []
    mask = csrf._mask_cipher_secret
    monkeypatch.setattr(csrf, "_mask_cipher_secret", lambda secret: calls.append(1) or mask(secret))
    html = dak_client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 2  # logout, the ICD form
    assert len(calls) == 2
