"""After an upload the result gets the focus and is announced (aria-live), in Chromium under
the Content-Security-Policy: the preview of a CRM export and the result of an ICD upload."""

import io
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.test_browser_import import EDGE_CASES, log_in_with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def live_region(page):
    return page.locator("[data-upload-status]")


def test_the_preview_gets_the_focus_and_its_totals_are_announced(page, admin_user, password):
    log_in_with_second_factor(page, admin_user, password)
    page.set_input_files("input[type=file]", str(EDGE_CASES))
    page.get_by_role("button", name="Hochladen und prüfen").click()
    page.wait_for_url(re.compile(r".*/import/vorschau/[0-9a-f-]+/$"))
    expect(page.locator("#pruefergebnis")).to_be_focused()
    expect(live_region(page)).to_have_text(
        re.compile(r"^Vorschau erstellt, noch nichts importiert: 6 neu, .*3 Fehler")
    )
    # Switching tabs afterwards leaves the focus where the user put it.
    page.get_by_role("link", name=re.compile(r"^Fehler")).click()
    page.wait_for_url("**?art=fehler")
    expect(page.locator("#pruefergebnis")).not_to_be_focused()


def test_a_rejected_upload_moves_the_focus_to_the_german_message(page, admin_user, password):
    log_in_with_second_factor(page, admin_user, password)
    with tempfile.TemporaryDirectory() as folder:
        wrong = Path(folder) / "liste.pdf"
        wrong.write_bytes(b"%PDF-1.4")
        page.set_input_files("input[type=file]", str(wrong))
        page.get_by_role("button", name="Hochladen und prüfen").click()
        expect(page.get_by_test_id("upload-error")).to_be_focused()
    assert "andere Endung" in page.get_by_test_id("upload-error").inner_text()


def test_the_icd_result_gets_the_focus_and_is_announced(page, dak_user, password):
    from openpyxl import Workbook

    from cases.tests.factories import make_case

    case = make_case(nachname="Weiß", vorname="Jürgen")
    book = Workbook()
    sheet = book.active
    sheet.title = "ICD-Codierung"
    sheet.append(["Fall-ID", "ICD"])
    sheet.append([case.fall_id, "C50.1"])
    data = io.BytesIO()
    book.save(data)
    page.goto("/konto/login/")
    page.fill("input[name=login]", dak_user.email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    page.goto("/import/icd/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "Codiervorlage.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": data.getvalue(),
            }
        ],
    )
    page.get_by_role("button", name="Hochladen und speichern").click()
    expect(page.get_by_test_id("icd-result")).to_be_focused()
    expect(live_region(page)).to_have_text(
        "Hochgeladen: 1 gespeichert, 0 unverändert, 0 mit Fehlern."
    )
