"""The preview page: totals, tabs per kind (HTMX swaps only the rows), warnings, fills, notices,
and the banner for a file imported before. A preview belongs to its uploader."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actor import Actor
from cases.tests.factories import make_case
from conftest import login_verified
from imports.models import ImportPreview, ImportType
from imports.previews import preview_create
from imports.services import import_commit, import_prepare
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def preview(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    return ImportPreview.objects.get()


@pytest.fixture
def other_admin_client(db):
    from accounts.models import Role, User

    other = User.objects.create_user(email="zweite.admin@anbieter.example", role=Role.ADMIN)
    return login_verified(Client(), other)


def url(preview, **query):
    base = reverse("imports:preview", args=[preview.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_shows_the_new_rows_first(admin_client, preview):
    page = admin_client.get(url(preview)).content.decode()
    assert "Vorschau: crm_edge_cases.csv" in page
    assert "Tonn, Regina" in page
    assert "28.04.1960" in page
    assert "Onkologie" in page
    assert "T-9005" not in page  # an error row sits in its own tab


def test_it_lists_the_unknown_column_as_a_notice(admin_client, preview):
    page = admin_client.get(url(preview)).content.decode()
    assert "Unbekannte Spalten werden ignoriert" in page
    assert "Kanal intern" in page


def test_the_error_tab_lists_each_error_with_its_message(admin_client, preview):
    page = admin_client.get(url(preview, art="fehler")).content.decode()
    assert "Zweitmeinung Orthopädie" in page
    assert "kann keiner Fallgruppe zugeordnet werden" in page
    assert "Nachname fehlt" in page
    assert "Erstellungsdatum" in page


def test_the_warnings_tab_shows_the_warnings_per_row(admin_client, preview):
    page = admin_client.get(url(preview, art="warnungen")).content.decode()
    assert "Das Geburtsdatum bleibt leer." in page
    assert "X123" in page
    assert "sie wird trotzdem übernommen" in page


def test_the_duplicate_tab_names_the_row_it_repeats(admin_client, preview):
    page = admin_client.get(url(preview, art="duplikat")).content.decode()
    assert "wie Zeile 2" in page


def test_an_htmx_tab_request_gets_only_the_rows(admin_client, preview):
    response = admin_client.get(url(preview, art="fehler"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="vorschau-zeilen"' in page
    assert "Import bestätigen" not in page
    assert "kann keiner Fallgruppe zugeordnet werden" in page
    assert 'hx-push-url="true"' in page
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(admin_client, preview):
    response = admin_client.get(
        url(preview, art="fehler"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_rows_are_paginated_by_fifty(admin_client, fixture_bytes):
    header = "Name,Erstellungsdatum,Modul,Hauptkontakt\r\n"
    lines = [
        f"T-{n},02.02.26,Zweitmeinung Onkologie,Person{n} | Vera | 01.01.1970 |\r\n"
        for n in range(120)
    ]
    upload(admin_client, "viele.csv", (header + "".join(lines)).encode())
    preview = ImportPreview.objects.get()
    first = admin_client.get(url(preview, art="neu")).content.decode()
    third = admin_client.get(url(preview, art="neu", seite=3)).content.decode()
    assert "1–50 von 120" in first
    assert "Person0," in first and "Person50," not in first
    assert "101–120 von 120" in third
    assert "Person119," in third


def test_an_update_shows_the_fields_it_would_fill(admin_client, fixture_bytes):
    case = make_case(
        nachname="Tonn",
        vorname="Regina",
        geburtsdatum=dt.date(1960, 4, 28),
        datum=dt.date(2026, 2, 2),
        fallgruppe="onko",
        thema="schon da",
    )
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    preview = ImportPreview.objects.get()
    assert preview.counts["aktualisierung"] == 1
    page = admin_client.get(url(preview, art="aktualisierung")).content.decode()
    assert f"Fall {case.fall_id}" in page
    assert "CRM-Ticket:</span> T-9001" in page
    assert "KVNR:</span> D410126355" in page
    assert "Bearbeiter:</span> S. Adam" in page
    assert "Thema:</span>" not in page


def test_it_warns_when_the_same_file_was_imported_before(admin_client, fixture_bytes):
    data = fixture_bytes("crm_edge_cases.csv")
    plan = import_prepare(import_type=ImportType.CRM_CSV, data=data, file_name="alt.csv")
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    upload(admin_client, "neu.csv", data)
    page = admin_client.get(url(ImportPreview.objects.get())).content.decode()
    assert "Genau diese Datei wurde bereits am" in page
    assert f"{log.created_at.astimezone():%d.%m.%Y}" in page
    assert "Kommandozeile" in page
    assert reverse("imports:log_detail", args=[log.pk]) in page


def test_a_new_file_shows_no_such_banner(admin_client, preview):
    assert "bereits am" not in admin_client.get(url(preview)).content.decode()


def test_another_admin_gets_404(other_admin_client, preview):
    assert other_admin_client.get(url(preview)).status_code == 404


def test_it_is_forbidden_for_dak_staff(dak_client, admin_user, fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    preview = preview_create(plan=plan, actor=Actor(user=admin_user))
    assert dak_client.get(url(preview)).status_code == 403


def test_it_rejects_post(admin_client, preview):
    assert admin_client.post(url(preview)).status_code == 405


def test_it_sends_anonymous_visitors_to_the_login(client, admin_user, fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    preview = preview_create(plan=plan, actor=Actor(user=admin_user))
    response = client.get(url(preview))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
