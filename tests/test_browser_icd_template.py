"""The Codiervorlage in Chromium under the Content-Security-Policy: downloaded from the case list
(its filter) and from the ICD upload page's Jahr/KW/Fallgruppe form."""

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/h12tpl")


def log_in(page, user, password):
    page.goto("/konto/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def fall_ids(download):
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))["ICD-Codierung"]
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_template_downloads_from_the_list_and_from_the_upload_page(page, dak_user, password):
    from cases.tests.factories import make_case

    onko = make_case(nachname="Weiß", vorname="Jürgen", datum=dt.date(2026, 2, 2))
    kardio = make_case(nachname="Öztürk", fallgruppe="kardio", datum=dt.date(2026, 2, 3))
    make_case(nachname="Kühn", datum=dt.date(2026, 2, 4), icd="C50.1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1024, "height": 800})
    log_in(page, dak_user, password)

    page.goto("/faelle/?fallgruppe=kardio")
    page.screenshot(path=str(SHOTS / "list-template-link.png"))
    with page.expect_download() as info:
        page.get_by_test_id("icd-template-download").click()
    download = info.value
    assert download.suggested_filename == f"Codiervorlage_{dt.date.today():%Y-%m-%d}.xlsx"
    assert fall_ids(download) == [kardio.fall_id]

    page.goto("/import/icd/")
    page.fill("#vorlage_jahr", "2026")
    page.fill("#vorlage_kw", "6")
    page.select_option("#vorlage_fallgruppe", "onko")
    page.screenshot(path=str(SHOTS / "upload-template-form.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Codiervorlage herunterladen").click()
    assert fall_ids(info.value) == [onko.fall_id]
