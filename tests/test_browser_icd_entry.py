"""End to end at 1024 px under the Content-Security-Policy: DAK staff enter ICD codes inline on
the case page (an invalid code named while typing, then valid codes with their catalogue titles
saved without reloading the page), in a case-list row, and work two cases through the
ICD-Eingabe queue with the keyboard alone (Enter saves and moves on, Esc skips)."""

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from tests.test_browser_case_list import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}
SHOTS = "/tmp/shots/h12icd"


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def catalogue(db):
    from coding.catalogue import catalogue_load
    from coding.tests.catalogue_files import utf8_file

    return catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")


def test_icd_codes_are_entered_inline_on_the_case_page(page, dak_user, password, catalogue):
    from cases.models import Case
    from cases.tests.factories import make_case

    case = make_case(nachname="Weiß", vorname="Jürgen", datum=dt.date(2026, 3, 2))
    page.set_viewport_size(VIEWPORT)
    detail = f"/faelle/{case.pk}/"
    log_in(page, dak_user, password, detail)
    expect(page.get_by_test_id("icd-none")).to_be_visible()

    field = page.get_by_label("ICD-Codes eintragen")
    field.focus()
    page.keyboard.type("C50.1, Brust")
    feedback = page.get_by_test_id("icd-feedback")
    expect(feedback).to_contain_text("Ungültiger ICD-Code: Brust")
    shot(page, "detail-invalid")
    # Saving anyway is refused with the same message; nothing is stored.
    # htmx:load is sent for the swapped-in section once htmx has set up its triggers (the
    # promise is kept, not awaited here: "undefined" is what evaluate returns).
    page.evaluate(
        "window.icdSettled = new Promise((done) => document.body.addEventListener('htmx:load',"
        " (event) => { if (event.target.id === 'icd-abschnitt') done(); })); undefined"
    )
    page.keyboard.press("Enter")
    # The check while typing already shows the message; the refused save is the swapped-in
    # section whose field is marked invalid. Wait until htmx has set it up: keys typed into
    # the new field before that would not count as a change, and no check would be sent.
    page.evaluate("window.icdSettled")
    expect(page.get_by_label("ICD-Codes eintragen")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("icd-section")).to_contain_text("Ungültiger ICD-Code: Brust")
    assert Case.objects.get(pk=case.pk).icd is None

    field = page.get_by_label("ICD-Codes eintragen")
    field.fill("")
    field.focus()
    page.keyboard.type("c50.1; e11.9")
    expect(feedback).to_contain_text("Wird gespeichert als: C50.1, E11.9")
    expect(feedback).to_contain_text("Zentraler Drüsenkörper der Brustdrüse")
    expect(feedback).to_contain_text("Hinweis: kein endständiger Code")
    shot(page, "detail-valid")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("icd-saved")).to_contain_text("ICD-Codes gespeichert.")
    expect(page.get_by_test_id("icd-code")).to_have_text(["C50.1", "E11.9"])
    expect(page.get_by_test_id("icd-title").first).to_have_text(
        "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse"
    )
    assert page.url.endswith(detail)  # swapped in place, no reload
    assert fits_the_width(page)
    shot(page, "detail-saved")
    saved = Case.objects.get(pk=case.pk)
    assert (saved.icd, saved.icd_entered_by) == ("C50.1, E11.9", dak_user)


def test_icd_codes_are_entered_in_a_row_of_the_case_list(page, dak_user, password):
    from cases.models import Case
    from cases.tests.factories import make_case

    cases = [
        make_case(nachname=name, datum=dt.date(2026, 2, 2 + n))
        for n, name in enumerate(("Öztürk", "Schäfer"))
    ]
    page.set_viewport_size(VIEWPORT)
    log_in(page, dak_user, password, "/faelle/?jahr=2026")
    field = page.locator(f"#icd-eingabe-{cases[1].pk}")
    field.focus()
    page.keyboard.type("k55.0 X")
    expect(page.locator(f"#icd-rueckmeldung-{cases[1].pk}")).to_contain_text(
        "Ungültiger ICD-Code: X"
    )
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(page.locator(f"#icd-zelle-{cases[1].pk}")).to_contain_text("gespeichert")
    expect(page.locator(f"#icd-eingabe-{cases[1].pk}")).to_have_value("K55.0")
    assert fits_the_width(page)
    shot(page, "list-row-saved")
    assert Case.objects.get(pk=cases[1].pk).icd == "K55.0"
    assert Case.objects.get(pk=cases[0].pk).icd is None


def test_two_cases_are_worked_through_the_queue_by_keyboard(page, dak_user, password, catalogue):
    from cases.models import Case
    from cases.tests.factories import make_case

    first = make_case(
        nachname="Groß",
        vorname="Änne",
        datum=dt.date(2026, 2, 2),
        kurzbeschreibung="Knoten in der linken Brust, Zweitmeinung zur OP.",
        fragestellung="Ist die brusterhaltende Operation angezeigt?",
    )
    second = make_case(nachname="Kühn", datum=dt.date(2026, 2, 3), fallgruppe="galle")
    third = make_case(nachname="Müßig", datum=dt.date(2026, 2, 4), fallgruppe="kardio")
    page.set_viewport_size(VIEWPORT)
    log_in(page, dak_user, password, "/")
    # From the start page's pending-ICD tile.
    page.get_by_role("link", name="Zur ICD-Eingabe").click()
    page.wait_for_url("**/faelle/icd-eingabe/")
    position = page.get_by_test_id("icd-queue-position")
    expect(position).to_have_text("Fall 1 von 3")
    expect(page.get_by_test_id("icd-queue-card")).to_contain_text("Knoten in der linken Brust")
    assert fits_the_width(page)
    shot(page, "queue-first")

    # The field has the focus: type, Enter saves and opens the next case.
    page.keyboard.type("c50.1")
    expect(page.get_by_test_id("icd-feedback")).to_contain_text("Zentraler Drüsenkörper")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("icd-queue-card")).to_have_attribute("data-case", str(second.pk))
    expect(position).to_have_text("Fall 2 von 3 · in diesem Durchgang gespeichert: 1")
    expect(page.get_by_text("ICD-Codes gespeichert (C50.1)")).to_be_visible()
    shot(page, "queue-second")

    # Esc skips the second case.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("icd-queue-card")).to_have_attribute("data-case", str(third.pk))
    expect(position).to_have_text("Fall 3 von 3 · in diesem Durchgang gespeichert: 1")
    assert "Kühn" not in page.url and "Müßig" not in page.url
    page.keyboard.type("I25.1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("icd-queue-done")).to_contain_text("gespeichert: 2")
    shot(page, "queue-done")

    assert Case.objects.get(pk=first.pk).icd == "C50.1"
    assert Case.objects.get(pk=second.pk).icd is None
    assert Case.objects.get(pk=third.pk).icd == "I25.1"
    # Starting again brings back the skipped case.
    page.get_by_test_id("icd-queue-restart").click()
    expect(page.get_by_test_id("icd-queue-card")).to_have_attribute("data-case", str(second.pk))
