"""Upload, discard and confirm of a preview are audited services (issue 11 §4, §5): one entry
each, on the preview, with ids and counts and never the file name."""

import json

import pytest
from django.urls import reverse

from accounts.actor import Actor
from accounts.models import AuditLog
from cases.models import Case
from imports import audit_actions
from imports.models import ImportLog, ImportPreview, ImportType, PreviewState
from imports.previews import PreviewClosed, preview_confirm, preview_create, preview_discard
from imports.services import import_commit, import_prepare
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db

# A file name as staff save it: it carries the patients' names.
FILE_NAME = "Müller_Weiß_Kühn KW06.csv"


def entries(action):
    return list(AuditLog.objects.filter(action=action))


def no_file_name_in_any_entry():
    stored = json.dumps([[e.old_values, e.new_values] for e in AuditLog.objects.all()])
    return "Müller" not in stored and "KW06" not in stored and ".csv" not in stored


@pytest.fixture
def uploaded(admin_client, fixture_bytes):
    response = upload(admin_client, FILE_NAME, fixture_bytes("crm_edge_cases.csv"))
    assert response.status_code == 302
    return ImportPreview.objects.get()


def test_an_upload_writes_one_entry_on_the_preview_with_counts(admin_user, uploaded):
    [entry] = entries(audit_actions.PREVIEW_CREATED)
    assert (entry.entity_type, entry.entity_id) == ("imports.importpreview", str(uploaded.pk))
    assert entry.user == admin_user
    assert entry.ip_address == "127.0.0.1"
    assert entry.new_values["art"] == ImportType.CRM_CSV
    assert entry.new_values["zeilen"] == 10
    assert (entry.new_values["neu"], entry.new_values["duplikat"]) == (6, 1)
    assert entry.new_values["fehler"] == 3
    assert no_file_name_in_any_entry()


def test_discarding_writes_one_entry_and_imports_nothing(admin_client, admin_user, uploaded):
    admin_client.post(reverse("imports:preview_discard", args=[uploaded.pk]))
    [entry] = entries(audit_actions.PREVIEW_DISCARDED)
    assert (entry.entity_type, entry.entity_id) == ("imports.importpreview", str(uploaded.pk))
    assert entry.user == admin_user
    assert (entry.old_values, entry.new_values) == ({"status": "offen"}, {"status": "verworfen"})
    assert not Case.objects.exists()
    assert no_file_name_in_any_entry()


def test_confirming_writes_one_entry_on_the_preview_and_one_on_the_import(
    admin_client, admin_user, uploaded
):
    admin_client.post(reverse("imports:preview_confirm", args=[uploaded.pk]))
    log = ImportLog.objects.get()
    [confirmed] = entries(audit_actions.PREVIEW_CONFIRMED)
    assert confirmed.entity_id == str(uploaded.pk)
    assert confirmed.user == admin_user
    assert confirmed.new_values["status"] == "bestaetigt"
    assert confirmed.new_values["import_log_ids"] == [log.pk]
    assert (confirmed.new_values["neu"], confirmed.new_values["fehler"]) == (6, 3)
    [imported] = entries(audit_actions.IMPORTED[ImportType.CRM_CSV])
    assert (imported.entity_type, imported.entity_id) == ("imports.importlog", str(log.pk))
    assert imported.new_values["neu"] == 6
    assert no_file_name_in_any_entry()


def test_a_second_confirm_is_refused_and_writes_no_entry(admin_client, uploaded):
    url = reverse("imports:preview_confirm", args=[uploaded.pk])
    admin_client.post(url)
    before = AuditLog.objects.count()
    admin_client.post(url)
    assert AuditLog.objects.count() == before
    assert Case.objects.count() == 6


def test_a_discarded_preview_cannot_be_discarded_again(admin_user, uploaded):
    actor = Actor(user=admin_user)
    preview_discard(preview=uploaded, actor=actor)
    with pytest.raises(PreviewClosed, match="verworfen"):
        preview_discard(preview=uploaded, actor=actor)
    assert len(entries(audit_actions.PREVIEW_DISCARDED)) == 1


def test_the_services_work_from_the_shell_without_a_request(admin_user, fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV,
        data=fixture_bytes("crm_edge_cases.csv"),
        file_name=FILE_NAME,
    )
    actor = Actor(user=admin_user)
    preview = preview_create(plan=plan, actor=actor)
    [log] = preview_confirm(preview=preview, actor=actor)
    assert preview.state == PreviewState.BESTAETIGT
    assert log.user == admin_user
    assert Case.objects.count() == 6
    [entry] = entries(audit_actions.PREVIEW_CREATED)
    assert entry.user == admin_user
    assert entry.ip_address is None


def test_a_preview_needs_a_user(fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data=fixture_bytes("crm_edge_cases.csv"), file_name="a.csv"
    )
    with pytest.raises(ValueError, match="user"):
        preview_create(plan=plan, actor=Actor.command_line())
    assert not ImportPreview.objects.exists()


def test_a_command_line_import_is_audited_without_a_user(fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.CRM_CSV,
        data=fixture_bytes("crm_edge_cases.csv"),
        file_name=FILE_NAME,
    )
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert log.actor_label == "Kommandozeile"
    [entry] = entries(audit_actions.IMPORTED[ImportType.CRM_CSV])
    assert entry.user is None
    assert entry.new_values["import_log_ids"] == [log.pk]
    assert no_file_name_in_any_entry()
