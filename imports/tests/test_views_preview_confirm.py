"""Confirming and discarding a preview: once, by its uploader, before it expires."""

import datetime as dt
import shutil
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.actor import Actor
from cases.models import Case
from conftest import login_verified
from imports.models import ImportLog, ImportPreview, ImportType
from imports.previews import PreviewClosed, preview_confirm, preview_create
from imports.services import import_prepare
from imports.tests.conftest import FIXTURES
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def preview(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    return ImportPreview.objects.get()


def confirm_url(preview):
    return reverse("imports:preview_confirm", args=[preview.pk])


def discard_url(preview):
    return reverse("imports:preview_discard", args=[preview.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_confirming_creates_the_cases_and_shows_the_log(admin_client, admin_user, preview):
    response = admin_client.post(confirm_url(preview))
    log = ImportLog.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:log_detail", args=[log.pk])
    assert Case.objects.count() == 6
    assert (log.imported, log.updated, log.skipped, log.errors) == (6, 0, 1, 3)
    assert log.user == admin_user
    assert messages_of(response) == [
        "Import abgeschlossen – neu: 6, Aktualisierung: 0, Duplikat: 1, Fehler: 3."
    ]
    preview.refresh_from_db()
    assert preview.state == "bestaetigt"
    assert preview.confirmed_at is not None
    assert preview.import_log_ids == [log.pk]


def test_the_log_page_after_confirming_lists_the_created_cases(admin_client, preview):
    response = admin_client.post(confirm_url(preview), follow=True)
    page = response.content.decode()
    for case in Case.objects.all():
        assert case.fall_id in page
    assert "Import abgeschlossen – neu: 6" in page


def test_confirming_twice_says_so_and_changes_nothing(admin_client, preview):
    admin_client.post(confirm_url(preview))
    response = admin_client.post(confirm_url(preview))
    assert response.status_code == 302
    assert response.url == reverse("imports:preview", args=[preview.pk])
    message = messages_of(response)[-1]
    assert "bereits am" in message and "bestätigt" in message
    assert Case.objects.count() == 6
    assert ImportLog.objects.count() == 1


def test_a_confirmed_preview_shows_its_state_and_no_buttons(admin_client, preview):
    admin_client.post(confirm_url(preview))
    page = admin_client.get(reverse("imports:preview", args=[preview.pk])).content.decode()
    assert "bereits am" in page
    assert 'data-testid="confirm-import"' not in page
    assert reverse("imports:log_detail", args=[ImportLog.objects.get().pk]) in page


def test_another_admin_can_neither_confirm_nor_discard_it(preview):
    from accounts.models import Role, User

    other = User.objects.create_user(email="zweite.admin@anbieter.example", role=Role.ADMIN)
    other_client = login_verified(Client(), other)
    assert other_client.post(confirm_url(preview)).status_code == 404
    assert other_client.post(discard_url(preview)).status_code == 404
    preview.refresh_from_db()
    assert preview.state == "offen"
    assert not Case.objects.exists()


def test_an_expired_preview_is_refused(admin_client, preview):
    ImportPreview.objects.filter(pk=preview.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = admin_client.post(confirm_url(preview))
    [message] = messages_of(response)
    assert "abgelaufen" in message
    assert not Case.objects.exists()
    assert not ImportLog.objects.exists()
    preview.refresh_from_db()
    assert preview.state == "offen"
    page = admin_client.get(reverse("imports:preview", args=[preview.pk])).content.decode()
    assert "abgelaufen" in page
    assert 'data-testid="confirm-import"' not in page


def test_discarding_closes_the_preview_without_importing(admin_client, preview):
    response = admin_client.post(discard_url(preview))
    assert response.status_code == 302
    assert response.url == reverse("imports:csv")
    [message] = messages_of(response)
    assert "verworfen" in message
    preview.refresh_from_db()
    assert preview.state == "verworfen"
    response = admin_client.post(confirm_url(preview))
    assert "verworfen" in messages_of(response)[0]
    assert not Case.objects.exists()


def test_a_confirmed_preview_cannot_be_discarded(admin_client, preview):
    admin_client.post(confirm_url(preview))
    response = admin_client.post(discard_url(preview))
    assert "bestätigt" in messages_of(response)[-1]
    preview.refresh_from_db()
    assert preview.state == "bestaetigt"


def test_a_failing_import_shows_the_message_and_writes_nothing(admin_client, preview):
    # The database refuses this row (CHECK on fallgruppe): the whole import is rolled back.
    row = preview.rows.filter(kind="neu").last()
    row.values["fallgruppe"] = "ortho"
    row.save()
    response = admin_client.post(confirm_url(preview))
    assert response.url == reverse("imports:preview", args=[preview.pk])
    assert "zurückgenommen" in messages_of(response)[0]
    assert not Case.objects.exists()
    assert not ImportLog.objects.exists()
    preview.refresh_from_db()
    assert preview.state == "offen"


def test_rows_that_became_duplicates_meanwhile_are_skipped(admin_client, fixture_bytes):
    upload(admin_client, "a.csv", fixture_bytes("crm_edge_cases.csv"))
    upload(admin_client, "b.csv", fixture_bytes("crm_edge_cases_win.csv"))
    first, second = ImportPreview.objects.order_by("created_at")
    admin_client.post(confirm_url(first))
    admin_client.post(confirm_url(second))
    assert Case.objects.count() == 6
    assert ImportLog.objects.get(file_name="b.csv").imported == 0


def _case_snapshot():
    skip = {"id", "import_log", "created_at", "updated_at", "created_by", "updated_by"}
    names = [f.attname for f in Case._meta.concrete_fields if f.name not in skip]
    return sorted(Case.objects.values_list(*names), key=repr)


def test_preview_then_confirm_equals_the_import_crm_command(admin_client, preview, tmp_path):
    admin_client.post(confirm_url(preview))
    web_cases = _case_snapshot()
    web_log = ImportLog.objects.values(
        "rows_read", "imported", "updated", "skipped", "errors", "warnings"
    ).get()

    Case.objects.all().delete()
    ImportLog.objects.all().delete()
    path = tmp_path / "crm_edge_cases.csv"
    shutil.copy(FIXTURES / "crm_edge_cases.csv", path)
    with pytest.raises(SystemExit) as exit_info:  # exit code 1: the file has rows in error
        call_command("import_crm", str(path))
    assert exit_info.value.code == 1

    assert _case_snapshot() == web_cases
    assert len(web_cases) == 6
    command_log = ImportLog.objects.values(
        "rows_read", "imported", "updated", "skipped", "errors", "warnings"
    ).get()
    assert command_log == web_log


@pytest.mark.parametrize("view", ["imports:preview_confirm", "imports:preview_discard"])
def test_it_rejects_get(admin_client, preview, view):
    assert admin_client.get(reverse(view, args=[preview.pk])).status_code == 405
    preview.refresh_from_db()
    assert preview.state == "offen"


@pytest.mark.parametrize("view", ["imports:preview_confirm", "imports:preview_discard"])
def test_it_is_forbidden_for_dak_staff(client, admin_user, dak_user, fixture_bytes, view):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    preview = preview_create(plan=plan, actor=Actor(user=admin_user))
    client.force_login(dak_user)
    assert client.post(reverse(view, args=[preview.pk])).status_code == 403
    preview.refresh_from_db()
    assert preview.state == "offen"
    assert not Case.objects.exists()


@pytest.mark.parametrize("view", ["imports:preview_confirm", "imports:preview_discard"])
def test_it_sends_anonymous_visitors_to_the_login(client, admin_user, fixture_bytes, view):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    preview = preview_create(plan=plan, actor=Actor(user=admin_user))
    response = client.post(reverse(view, args=[preview.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    preview.refresh_from_db()
    assert preview.state == "offen"


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirms_of_one_preview_import_it_once(admin_user, fixture_bytes):
    if connection.vendor != "mysql":
        pytest.skip("needs concurrent connections to a real MariaDB")
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    preview = preview_create(plan=plan, actor=Actor(user=admin_user))
    barrier = threading.Barrier(2)
    results = []

    def confirm():
        from django.db import connections

        try:
            barrier.wait()
            preview_confirm(
                preview=ImportPreview.objects.get(pk=preview.pk), actor=Actor(user=admin_user)
            )
            results.append("importiert")
        except PreviewClosed:
            results.append("abgelehnt")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["abgelehnt", "importiert"]
    assert Case.objects.count() == 6
    assert ImportLog.objects.count() == 1
