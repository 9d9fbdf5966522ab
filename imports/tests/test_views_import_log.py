"""The import overview and the import log: admins only."""

import pytest
from django.urls import reverse

from accounts.actor import Actor
from cases.models import Case
from imports.models import ImportLog, ImportType
from imports.services import import_commit, import_prepare

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_log(fixture_bytes, admin_user):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV,
        data=fixture_bytes("crm_edge_cases.csv"),
        file_name="crm_edge_cases.csv",
    )
    [log] = import_commit(plan=plan, actor=Actor(user=admin_user))
    return log


@pytest.fixture
def command_log(db):
    return ImportLog.objects.create(
        file_name="Abrechnung_DAK.xlsx",
        import_type=ImportType.HISTORISCH,
        sheet="2025",
        sha256="0" * 64,
        rows_read=3,
        imported=3,
    )


def test_the_index_links_the_three_imports_and_the_log(admin_client):
    page = admin_client.get(reverse("imports:index")).content.decode()
    for name in ("imports:csv", "imports:historical", "imports:icd", "imports:log_list"):
        assert f'href="{reverse(name)}"' in page


def test_the_navigation_shows_the_import_entry_to_admins(admin_client):
    page = admin_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("imports:index")}"' in page


def test_the_list_shows_every_import_with_who_and_counts(admin_client, crm_log, command_log):
    page = admin_client.get(reverse("imports:log_list")).content.decode()
    assert "crm_edge_cases.csv" in page
    assert "CRM-Export (CSV)" in page
    assert "admin@anbieter.example" in page
    assert "Abrechnung_DAK.xlsx" in page
    assert "Kommandozeile" in page
    assert "2025" in page


def test_the_list_filters_by_type(admin_client, crm_log, command_log):
    page = admin_client.get(reverse("imports:log_list") + "?art=historisch").content.decode()
    assert "Abrechnung_DAK.xlsx" in page
    assert "crm_edge_cases.csv" not in page


def test_an_htmx_filter_request_gets_only_the_table(admin_client, crm_log, command_log):
    response = admin_client.get(
        reverse("imports:log_list") + "?art=crm_csv", headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="protokoll-tabelle"' in page
    assert "crm_edge_cases.csv" in page and "Abrechnung_DAK.xlsx" not in page


def test_the_list_is_paginated(admin_client):
    for n in range(30):
        ImportLog.objects.create(
            file_name=f"datei{n:02d}.csv", import_type=ImportType.CRM_CSV, sha256=f"{n:064d}"
        )
    first = admin_client.get(reverse("imports:log_list")).content.decode()
    second = admin_client.get(reverse("imports:log_list") + "?seite=2").content.decode()
    assert "1–25 von 30" in first
    assert "datei29.csv" in first and "datei04.csv" not in first
    assert "datei04.csv" in second


def test_the_detail_lists_counts_problems_and_the_created_cases(admin_client, crm_log):
    page = admin_client.get(reverse("imports:log_detail", args=[crm_log.pk])).content.decode()
    assert 'data-testid="log-imported">6<' in page
    assert 'data-testid="log-skipped">1<' in page
    assert 'data-testid="log-errors">3<' in page
    assert "kann keiner Fallgruppe zugeordnet werden" in page
    assert "Das Geburtsdatum bleibt leer." in page
    assert "Unbekannte Spalten werden ignoriert" in page
    for case in Case.objects.all():
        assert case.fall_id in page
    assert "/faelle/" not in page.split('data-testid="log-cases"')[1]


def test_the_detail_names_the_filled_fields_of_updates(admin_client, fixture_bytes, crm_log):
    Case.objects.filter(crm_ticket_id="T-9001").update(bearbeiter="")
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="b.csv"
    )
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    page = admin_client.get(reverse("imports:log_detail", args=[log.pk])).content.decode()
    cases = page.split('data-testid="log-cases"')[1].split("</table>")[0]
    assert "Aktualisierung" in cases  # the row outcome's own word
    assert "Bearbeiter" in page
    assert "Kommandozeile" in page
    assert "crm_edge_cases.csv" in page  # the earlier import of the same file


def test_an_unknown_log_is_404(admin_client):
    assert admin_client.get(reverse("imports:log_detail", args=[999])).status_code == 404


@pytest.mark.parametrize("name", ["imports:index", "imports:log_list"])
def test_pages_are_forbidden_for_dak_staff(dak_client, name):
    assert dak_client.get(reverse(name)).status_code == 403


def test_the_detail_is_forbidden_for_dak_staff(dak_client, command_log):
    assert dak_client.get(reverse("imports:log_detail", args=[command_log.pk])).status_code == 403


@pytest.mark.parametrize("name", ["imports:index", "imports:log_list"])
def test_pages_reject_post(admin_client, name):
    assert admin_client.post(reverse(name)).status_code == 405


def test_pages_send_anonymous_visitors_to_the_login(client, command_log):
    for url in (
        reverse("imports:index"),
        reverse("imports:log_list"),
        reverse("imports:log_detail", args=[command_log.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
