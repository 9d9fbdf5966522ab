"""End to end in Chromium at 1024 px under the Content-Security-Policy: an admin generates a
week's report on /berichte/, downloads it, generates it again and sees the changed cells; DAK
staff see and download reports without the form. Screenshots in /tmp/shots/h13rep/."""

import datetime as dt
import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.test_browser_pages import NARROW, log_in, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/h13rep")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def cases():
    from cases.tests.factories import make_case

    make_case(nachname="Müller", datum=dt.date(2026, 1, 27), fallgruppe="onko", gutachten=True)
    make_case(nachname="Muller", datum=dt.date(2026, 1, 28), fallgruppe="kardio")
    make_case(nachname="Weiß", datum=dt.date(2026, 2, 3), fallgruppe="sd", unterlagen=True)


def generate(page, jahr, kw):
    page.get_by_label("Jahr").fill(str(jahr))
    page.get_by_label("KW", exact=True).fill(str(kw))
    page.get_by_role("button", name="Bericht erstellen").click()
    page.wait_for_url(re.compile(r".*/berichte/\d+/$"))


def test_an_admin_generates_downloads_and_regenerates_a_report(page, admin_user, password):
    from accounts.models import AuditLog
    from cases.tests.factories import make_case
    from reports.models import WeeklyReport

    cases()
    page.set_viewport_size(NARROW)
    log_in(page, admin_user, password, second_factor=True)
    visit(page, "/berichte/")
    assert page.get_by_text("Noch kein Bericht erstellt.").is_visible()
    shot(page, "1_liste_leer_admin")

    generate(page, 2026, 6)
    report = WeeklyReport.objects.get()
    assert page.get_by_text("Berichtswesen KW 06/2026 erstellt.").is_visible()
    preview = page.get_by_test_id("preview")
    assert preview.locator("th", has_text="Gesamtübersicht").is_visible()
    assert preview.locator("tr").count() >= 14  # totals block, header, KW 1–6, Gesamt, Anteil
    visit(page, page.url.removeprefix(page.url.split("/berichte/")[0]))
    shot(page, "2_bericht_erste_fassung")

    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    download = info.value
    assert download.suggested_filename == "Berichtswesen_DAK_2026_KW06.xlsx"
    saved = Path(download.path())
    assert saved.read_bytes() == bytes(report.content)
    assert load_workbook(BytesIO(saved.read_bytes()))["Auswertung KW gesamt"]["B3"].value == 3
    assert AuditLog.objects.filter(action="download", user=admin_user).count() == 1

    # ICD and coding arrive late: the week generated again names what changed
    make_case(nachname="Kühn", datum=dt.date(2026, 2, 4), fallgruppe="onko", gutachten=True)
    visit(page, "/berichte/")
    generate(page, 2026, 6)
    report.refresh_from_db()
    assert report.version == 2 and report.changed_count > 0
    summary = page.get_by_test_id("changes-summary")
    assert summary.inner_text().startswith(f"Fassung 2: {report.changed_count} Werte geändert")
    changes = page.get_by_test_id("changes")
    assert changes.locator("tbody tr").count() == report.changed_count
    first = changes.locator("tbody tr").first.inner_text()
    assert "Auswertung KW gesamt" in first and "B3" in first
    visit(page, page.url.removeprefix(page.url.split("/berichte/")[0]))
    shot(page, "3_bericht_zweite_fassung_aenderungen")

    visit(page, "/berichte/")
    row = page.get_by_test_id("report-table").locator("tbody tr").first
    assert "KW 06/2026" in row.inner_text()
    assert str(report.changed_count) in row.inner_text()
    shot(page, "4_liste_admin")


def test_dak_staff_see_and_download_reports_without_the_form(page, dak_user, password):
    from accounts.actor import Actor
    from reports.services import report_generate

    cases()
    report = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    page.set_viewport_size(NARROW)
    log_in(page, dak_user, password)
    visit(page, "/berichte/")
    assert page.get_by_role("button", name="Bericht erstellen").count() == 0
    assert page.get_by_role("link", name="Berichte", exact=True).get_attribute("aria-current")
    shot(page, "5_liste_dak")
    page.get_by_role("link", name="KW 06/2026", exact=True).click()
    page.wait_for_url(f"**/berichte/{report.pk}/")
    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    assert info.value.suggested_filename == "Berichtswesen_DAK_2026_KW06.xlsx"
    shot(page, "6_bericht_dak")
