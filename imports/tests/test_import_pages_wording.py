"""The import pages say what the numbers mean and show everything a row would write: the
counters count what the tabs and tables list, no "nichts gespeichert" on rows that are
imported, no confirm button for a file that would change nothing, every field of a workbook
row on demand, focus and announcement after an upload, and where the Codiervorlage comes from."""

import re

import pytest
from django.urls import reverse

from imports.models import ImportLog, ImportPreview
from imports.tests.test_views_csv_upload import upload

pytestmark = pytest.mark.django_db

HISTORICAL = reverse("imports:historical")
WORKBOOK = "Abrechnung_DAK_edge_cases.xlsx"


def preview_page(client, preview, tab=None):
    url = reverse("imports:preview", args=[preview.pk]) + (f"?art={tab}" if tab else "")
    return client.get(url).content.decode()


@pytest.fixture
def workbook_preview(admin_client, fixture_bytes):
    upload(admin_client, WORKBOOK, fixture_bytes(WORKBOOK), url=HISTORICAL)
    return ImportPreview.objects.get()


def test_the_warning_counter_counts_the_rows_the_warnings_tab_lists(admin_client, workbook_preview):
    page = preview_page(admin_client, workbook_preview, "warnungen")
    counted = int(re.search(r'data-testid="count-warnungen">(\d+)<', page)[1])
    listed = page.split('data-testid="preview-rows"')[1].count("<tr>") - 1  # minus the header
    assert "Zeilen mit Warnungen" in page
    assert counted == listed == workbook_preview.rows.filter(has_warnings=True).count()
    # Several warnings in one row are one row: the counter is not a count of messages.
    messages = page.count("bi-exclamation-triangle")
    assert messages > counted


def test_the_import_log_counts_rows_and_says_the_table_lists_messages(
    admin_client, workbook_preview
):
    admin_client.post(reverse("imports:preview_confirm", args=[workbook_preview.pk]))
    log = ImportLog.objects.get(sheet="2025")
    page = admin_client.get(reverse("imports:log_detail", args=[log.pk])).content.decode()
    assert "Zeilen mit Warnungen" in page
    assert "eine Zeile kann mehrere Meldungen haben" in page
    assert "Meldungen zu Fehlern und Warnungen" in page
    rows_with_warnings = {p["row"] for p in log.details["warnings"]}
    assert log.warnings == len(rows_with_warnings)


def test_an_invalid_icd_on_an_imported_row_does_not_claim_nothing_was_saved(
    admin_client, workbook_preview
):
    page = preview_page(admin_client, workbook_preview, "warnungen")
    assert "Ungültiger ICD-Code: XYZ" in page
    assert "Das ICD-Feld bleibt leer" in page
    assert "nichts wurde gespeichert" not in page
    widerspruch = workbook_preview.rows.get(values__nachname="Widerspruch")
    assert widerspruch.kind == "neu"  # the row is imported, only its ICD stays empty


def test_each_workbook_row_shows_every_field_it_would_write_on_demand(
    admin_client, workbook_preview
):
    page = preview_page(admin_client, workbook_preview, "neu")
    tonn = page.split("Tonn, Regina")[1].split("</tr>")[0]
    assert "<details" in tonn and "Alle Felder des neuen Falls" in tonn
    for label, value in [
        ("ICD", "C50.1, C79.5"),
        ("Gutachten-Typ", "Bestätigung"),
        ("Therapieänderung", "Nein"),
        ("Gutachten", "Ja"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in tonn
    formel = page.split("Formel, =HYPERLINK")[1].split("</tr>")[0]
    assert "<dt>Betrag</dt><dd>1.234,56 €</dd>" in formel
    assert "<dt>Abgerechnet</dt><dd>Ja</dd>" in formel
    daum = page.split("Daum, Luana")[1].split("</tr>")[0]
    assert "<dt>Unterversorgung</dt><dd>Ja</dd>" in daum
    assert "<dt>Gutachten-Typ</dt><dd>Alternative</dd>" in daum


def test_a_preview_that_changes_nothing_offers_no_confirm_button(admin_client, fixture_bytes):
    data = fixture_bytes("crm_edge_cases.csv")
    upload(admin_client, "crm_edge_cases.csv", data)
    first = ImportPreview.objects.get()
    admin_client.post(reverse("imports:preview_confirm", args=[first.pk]))
    upload(admin_client, "crm_edge_cases.csv", data)
    second = ImportPreview.objects.exclude(pk=first.pk).get()
    assert (second.counts["neu"], second.counts["aktualisierung"]) == (0, 0)
    page = preview_page(admin_client, second)
    assert 'data-testid="confirm-import"' not in page
    assert "Diese Datei würde nichts ändern." in page
    assert "Es gibt deshalb nichts zu bestätigen." in page
    assert reverse("imports:preview_discard", args=[second.pk]) in page
    assert "Andere Datei hochladen" in page


def test_a_preview_with_new_rows_still_offers_the_confirm_button(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    page = preview_page(admin_client, ImportPreview.objects.get())
    assert 'data-testid="confirm-import"' in page
    assert "Diese Datei würde nichts ändern." not in page


def test_the_preview_result_is_the_focus_target_with_a_spoken_summary(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    page = preview_page(admin_client, ImportPreview.objects.get())
    assert 'aria-live="polite" data-upload-status' in page
    summary = re.search(r'data-upload-result\s+data-announce="([^"]*)"', page)[1]
    assert summary.startswith("Vorschau erstellt, noch nichts importiert: 6 neu")
    assert "3 Fehler" in summary


def test_the_icd_upload_result_is_announced(dak_client):
    from cases.tests.factories import make_case
    from imports.tests.test_views_icd_upload import post, workbook

    case = make_case(nachname="Weiß")
    page = post(dak_client, workbook([(case.fall_id, "C50.1")]), headers={"HX-Request": "true"})
    content = page.content.decode()
    assert "data-upload-result" in content
    assert 'data-announce="Hochgeladen: 1 gespeichert, 0 unverändert, 0 mit Fehlern."' in content


def test_the_icd_page_says_where_the_codiervorlage_comes_from(dak_client):
    page = dak_client.get(reverse("imports:icd")).content.decode()
    hint = page.split('data-testid="codiervorlage-hinweis"')[1]
    assert "Woher kommt die Codiervorlage?" in hint
    assert "Das Portal erstellt sie" in hint
    assert 'action="/faelle/codiervorlage/"' in hint
    assert "„Fall-ID“ und „ICD“" in hint
    assert "„ICD-Codierung“" in hint
