"""Excel-Sync pages: export download (audited, no-store, server-named), upload → preview of
every changed field, confirm/discard audited, unchanged workbook without a confirm button."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditLog
from cases.models import Case
from imports import audit_actions
from imports.models import ImportPreview, PreviewState
from imports.tests.sync_support import edit, exported, import_fixture

pytestmark = pytest.mark.django_db

SYNC = reverse("imports:sync")


def _upload(client, data, name="Abrechnung_DAK_alle.xlsx"):
    return client.post(SYNC, {"file": SimpleUploadedFile(name, data)})


def test_the_page_offers_export_per_year_and_upload(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    content = admin_client.get(SYNC).content.decode()
    assert "Excel-Sync" in content
    assert 'action="/import/sync/export/"' in content
    assert '<option value="2025">2025</option>' in content
    assert '<option value="" selected>alle Jahre</option>' in content
    assert 'type="file"' in content
    # The navigation names the page for admins.
    assert 'href="/import/sync/">Excel-Sync<' in content


def test_dak_staff_neither_see_nor_open_it(dak_client):
    assert dak_client.get(SYNC).status_code == 403
    assert dak_client.get(reverse("imports:sync_export")).status_code == 403
    assert "/import/sync/" not in dak_client.get("/").content.decode()


def test_export_download_is_audited_named_by_the_server_and_not_cached(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    response = admin_client.get(reverse("imports:sync_export"), {"jahr": "2025"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Abrechnung_DAK_2025_')
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["2025", "Sync"]
    entry = AuditLog.objects.get(action=audit.DOWNLOAD)
    assert entry.entity_type == "cases.case"
    assert entry.new_values["zeilen"] == Case.objects.filter(jahr=2025).count()
    assert entry.new_values["jahr"] == 2025
    # No patient data in the entry.
    assert "Tonn" not in str(entry.new_values)


def test_export_of_an_unknown_year_is_a_german_message(admin_client):
    response = admin_client.get(reverse("imports:sync_export"), {"jahr": "1999"}, follow=True)
    assert "Bitte wählen Sie" in response.content.decode()
    assert not AuditLog.objects.filter(action=audit.DOWNLOAD).exists()


def test_unchanged_workbook_says_keine_aenderungen_without_confirm(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    response = _upload(admin_client, exported())
    preview = ImportPreview.objects.get()
    assert response.status_code == 302 and response["Location"] == preview.get_absolute_url()
    content = admin_client.get(preview.get_absolute_url()).content.decode()
    assert "Keine Änderungen." in content
    assert 'data-testid="confirm-import"' not in content
    assert preview.rows.count() == 0
    assert AuditLog.objects.filter(
        action=audit_actions.PREVIEW_CREATED, entity_id=str(preview.pk)
    ).exists()


def test_preview_shows_every_changed_field_old_and_new_then_confirm(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    data = edit(exported(), {tonn.fall_id: {"Bemerkung": "Rückruf Straße", "Telefon": "0301"}})
    _upload(admin_client, data)
    preview = ImportPreview.objects.get()
    content = admin_client.get(preview.get_absolute_url()).content.decode()
    assert 'data-testid="confirm-import"' in content
    assert "<dt>Bemerkung</dt>" in content and "<dt>Telefon</dt>" in content
    assert "Rückruf Straße" in content
    assert tonn.fall_id in content
    # The preview page is a read of patient data.
    assert AuditLog.objects.filter(action=audit.READ, entity_id=str(preview.pk)).exists()
    response = admin_client.post(reverse("imports:sync_preview_confirm", args=[preview.pk]))
    assert response.status_code == 302
    tonn.refresh_from_db()
    assert (tonn.bemerkung, tonn.telefon) == ("Rückruf Straße", "0301")
    preview.refresh_from_db()
    assert preview.state == PreviewState.BESTAETIGT
    # A second confirm changes nothing and says why.
    again = admin_client.post(
        reverse("imports:sync_preview_confirm", args=[preview.pk]), follow=True
    )
    assert "bereits am" in again.content.decode()


def test_error_rows_are_listed_with_their_message(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    _upload(admin_client, edit(exported(), {tonn.fall_id: {"Fall-ID": "2025-04-onko-Niemand"}}))
    preview = ImportPreview.objects.get()
    content = admin_client.get(preview.get_absolute_url(), {"art": "fehler"}).content.decode()
    assert "Unbekannte Fall-ID" in content
    assert "2025-04-onko-Niemand" in content


def test_discard_is_audited_and_changes_nothing(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    _upload(admin_client, edit(exported(), {tonn.fall_id: {"Bemerkung": "verworfen"}}))
    preview = ImportPreview.objects.get()
    response = admin_client.post(reverse("imports:sync_preview_discard", args=[preview.pk]))
    assert response["Location"] == SYNC
    assert Case.objects.get(pk=tonn.pk).bemerkung == ""
    assert AuditLog.objects.filter(
        action=audit_actions.PREVIEW_DISCARDED, entity_id=str(preview.pk)
    ).exists()


@pytest.mark.parametrize(
    ("name", "data_of", "message"),
    [
        ("Abrechnung.xlsm", "export", "Makro"),
        ("Abrechnung_DAK_sample.xlsx", "sample", "kein Excel-Sync-Export"),
    ],
    ids=["macro-name", "not-an-export"],
)
def test_refused_files_get_one_german_message(admin_client, name, data_of, message):
    from imports.tests.reader_support import fixture

    data = exported() if data_of == "export" else fixture("Abrechnung_DAK_sample.xlsx")
    response = _upload(admin_client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportPreview.objects.exists()


def test_sync_previews_are_not_reachable_through_the_generic_preview_pages(admin_client):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    _upload(admin_client, exported())
    preview = ImportPreview.objects.get()
    assert admin_client.get(reverse("imports:preview", args=[preview.pk])).status_code == 404
    assert (
        admin_client.post(reverse("imports:preview_confirm", args=[preview.pk])).status_code == 404
    )
