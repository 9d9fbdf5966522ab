"""End to end: an admin exports the Excel-Sync workbook, edits it, uploads it, reads every
changed field on the preview (old → new) and confirms; no CSP violation on the way."""

import io
import re
from pathlib import Path

import pytest

from tests.test_browser_import import log_in_with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/h13sync")


def test_an_admin_exports_edits_and_syncs_back(page, admin_user, password, tmp_path):
    from openpyxl import load_workbook

    from cases.models import Case
    from imports.tests.sync_support import edit, import_fixture

    SHOTS.mkdir(parents=True, exist_ok=True)
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    page.set_viewport_size({"width": 1024, "height": 800})
    log_in_with_second_factor(page, admin_user, password)
    page.goto("/import/sync/")
    assert page.get_by_role("heading", name="Excel-Sync", exact=True).is_visible()
    page.screenshot(path=str(SHOTS / "sync_page.png"), full_page=True)

    page.select_option("select[name=jahr]", "2025")
    with page.expect_download() as info:
        page.get_by_test_id("sync-export").click()
    download = info.value
    assert re.fullmatch(r"Abrechnung_DAK_2025_\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert load_workbook(io.BytesIO(data)).sheetnames == ["2025", "Sync"]

    edited = tmp_path / "Abrechnung_bearbeitet.xlsx"
    edited.write_bytes(
        edit(data, {tonn.fall_id: {"Bemerkung": "Befund nachgereicht", "Gutachter": "Dr. Weiß"}})
    )
    page.set_input_files("input[type=file]", str(edited))
    page.get_by_role("button", name="Hochladen und Änderungen prüfen").click()
    page.wait_for_url(re.compile(r".*/import/sync/vorschau/[0-9a-f-]+/$"))
    assert page.get_by_test_id("count-aktualisierung").inner_text() == "1"
    changes = page.get_by_test_id("row-changes").inner_text()
    assert "Bemerkung" in changes and "Befund nachgereicht" in changes
    assert "Gutachter" in changes and "Dr. Weiß" in changes
    page.screenshot(path=str(SHOTS / "sync_preview.png"), full_page=True)

    page.get_by_test_id("confirm-import").click()
    page.wait_for_url(re.compile(r".*/import/protokoll/\d+/$"))
    assert page.get_by_text("Excel-Sync übernommen: 1 Fälle geändert.").is_visible()
    page.screenshot(path=str(SHOTS / "sync_done.png"), full_page=True)
    tonn.refresh_from_db()
    assert (tonn.bemerkung, tonn.gutachter) == ("Befund nachgereicht", "Dr. Weiß")
