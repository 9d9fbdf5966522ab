"""End to end at 1024 px under the Content-Security-Policy: an admin opens a case, edits a field
with the keyboard and saves; an edit from a second page that is based on the older version is
refused with what changed in between; a manual case that looks like an existing one needs
"Trotzdem anlegen"."""

import datetime as dt

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}


def log_in_with_second_factor(page, user, password, path):
    from allauth.account.models import EmailAddress
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    device = TOTPDevice.objects.create(user=user, name="Authenticator-App", confirmed=True)
    page.goto(path)
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/konto/zwei-faktor/code/**")
    page.fill("input[name=code]", f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url(f"**{path}")


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def case(db):
    from cases.tests.factories import make_case

    return make_case(
        nachname="Weiß",
        vorname="Jürgen",
        geburtsdatum=dt.date(1958, 7, 14),
        datum=dt.date(2026, 3, 2),
        fallgruppe="kardio",
        kvnr="D410126356",
        telefon="030 1234567",
        icd="I25.1",
    )


def test_an_admin_edits_a_case_and_a_stale_second_page_is_refused(page, admin_user, password, case):
    from cases.models import Case

    page.set_viewport_size(VIEWPORT)
    detail = f"/faelle/{case.pk}/"
    log_in_with_second_factor(page, admin_user, password, detail)
    expect(page.get_by_test_id("fall-id")).to_have_text("2026-10-kardio-Weiß")
    expect(page.get_by_test_id("kvnr-warning")).to_be_visible()
    expect(page.get_by_test_id("icd-code")).to_have_text("I25.1")
    assert fits_the_width(page)

    # A second tab opens the same form before the first one saves.
    other = page.context.new_page()
    other.set_viewport_size(VIEWPORT)
    other.goto(f"/faelle/{case.pk}/bearbeiten/")

    page.get_by_test_id("case-edit-link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/faelle/{case.pk}/bearbeiten/")
    assert fits_the_width(page)
    phone = page.get_by_label("Telefon")
    phone.fill("040 7654321")
    phone.press("Enter")
    page.wait_for_url(f"**{detail}")
    expect(page.get_by_text("Der Fall wurde gespeichert (1 Feld geändert).")).to_be_visible()
    expect(page.get_by_test_id("value-telefon")).to_have_text("040 7654321")
    expect(page.get_by_test_id("case-history")).to_contain_text("Fall geändert")

    other.get_by_label("Telefon").fill("089 2223333")
    other.get_by_label("Bemerkung").fill("Rückruf am Montag")
    other.get_by_test_id("case-save").click()
    conflict = other.get_by_test_id("edit-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text(f"inzwischen von {admin_user.email}")
    row = conflict.get_by_role("row", name="Telefon")
    expect(row).to_contain_text("030 1234567")
    expect(row).to_contain_text("040 7654321")
    expect(row).to_contain_text("089 2223333")
    # The form holds the saved version and the untouched field's own change.
    expect(other.get_by_label("Telefon")).to_have_value("040 7654321")
    expect(other.get_by_label("Bemerkung")).to_have_value("Rückruf am Montag")
    assert Case.objects.get(pk=case.pk).telefon == "040 7654321"
    assert Case.objects.get(pk=case.pk).bemerkung == ""

    other.get_by_test_id("case-save").click()
    other.wait_for_url(f"**{detail}")
    expect(other.get_by_test_id("value-bemerkung")).to_have_text("Rückruf am Montag")
    expect(other.get_by_test_id("value-telefon")).to_have_text("040 7654321")
    other.close()


def test_a_manual_case_that_looks_like_an_existing_one_needs_a_confirmation(
    page, admin_user, password, case
):
    from cases.models import Case

    page.set_viewport_size(VIEWPORT)
    log_in_with_second_factor(page, admin_user, password, "/faelle/")
    page.get_by_test_id("case-create-link").click()
    page.wait_for_url("**/faelle/neu/")
    assert fits_the_width(page)
    page.locator("#id_datum").fill("2026-03-02")
    page.get_by_label("Fallgruppe").select_option("kardio")
    page.get_by_label("Nachname").fill("WEISS")
    page.get_by_label("Vorname").fill(" jürgen ")
    page.get_by_label("Geburtsdatum").fill("1958-07-14")
    page.get_by_label("ICD").fill("I25.1, I2X")
    page.get_by_test_id("case-save").click()

    errors = page.get_by_test_id("form-errors")
    expect(errors).to_be_focused()
    expect(errors).to_contain_text("Ungültiger ICD-Code: I2X")
    page.get_by_label("ICD").fill("I25.1")
    page.get_by_test_id("case-save").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_be_focused()
    expect(warning.get_by_test_id("duplicate-link")).to_have_attribute(
        "href", f"/faelle/{case.pk}/"
    )
    assert Case.objects.count() == 1
    page.get_by_test_id("case-create-anyway").click()
    expect(page.get_by_text("Der Fall wurde angelegt.")).to_be_visible()
    expect(page.get_by_test_id("fall-id")).to_have_text("2026-10-kardio-WEISS")
    assert Case.objects.count() == 2
