"""End to end in Chromium under the CSP: an admin codes two Gutachten with the keyboard alone,
and batch-codes three cases from the queue."""

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def gutachten_case(nachname, datum):
    from cases.tests.factories import make_case

    return make_case(nachname=nachname, datum=datum, gutachten=True, gutachter="Zentrum Süd")


def test_two_gutachten_are_coded_with_the_keyboard_alone(page, admin_user, password):
    from cases.models import Case

    first = gutachten_case("Müller", dt.date(2026, 2, 2))
    second = gutachten_case("Muller", dt.date(2026, 2, 3))
    log_in_with_second_factor(page, admin_user, password, f"/codierung/{first.pk}/?jahr=2026")

    flag = page.locator("#id_ta_unterversorgung")
    assert flag.is_disabled()  # enabled only with Ja
    page.keyboard.press("a")
    page.keyboard.press("j")
    assert flag.is_enabled()
    assert page.locator("#ta-warnung").is_visible()  # Ja without a kind
    page.keyboard.press("2")
    assert flag.is_checked()
    assert page.locator("#ta-warnung").is_hidden()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/codierung/{second.pk}/?jahr=2026")
    assert page.get_by_text(f"Fall {first.pk} codiert.").is_visible()

    page.keyboard.press("b")
    page.keyboard.press("n")
    assert page.locator("#id_ta_unterversorgung").is_disabled()
    page.keyboard.press("Enter")
    page.wait_for_url("**/codierung/?jahr=2026")
    assert page.get_by_text("Keine weiteren uncodierten Gutachten in dieser Auswahl.").is_visible()
    assert page.get_by_text("2 von 2 codiert (100 %)").is_visible()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.gutachten_typ, first.therapieaenderung, first.ta_unterversorgung) == (
        "Alternative",
        "Ja",
        True,
    )
    assert (second.gutachten_typ, second.therapieaenderung) == ("Bestätigung", "Nein")
    assert Case.objects.pending_coding().count() == 0


def test_typing_in_the_filter_of_the_page_does_not_fire_shortcuts(page, admin_user, password):
    case = gutachten_case("Weiß", dt.date(2026, 2, 2))
    log_in_with_second_factor(page, admin_user, password, f"/codierung/{case.pk}/")
    # The card itself has no text field; one added by the test stands for any text input
    # (a later remark field, a search box in the navigation) the shortcuts must leave alone.
    page.evaluate(
        "() => { const i = document.createElement('input'); i.type = 'text'; i.id = 'probe';"
        " document.getElementById('codierkarte').prepend(i); }"
    )
    page.locator("#probe").click()
    page.keyboard.type("ban")
    assert page.locator("#probe").input_value() == "ban"
    assert not page.locator("input[name=gutachten_typ]:checked").count()
    assert not page.locator("input[name=therapieaenderung]:checked").count()


def test_three_cases_are_batch_coded_after_the_confirmation(page, admin_user, password):
    from cases.models import Case

    cases = [
        gutachten_case(name, dt.date(2026, 2, day))
        for name, day in (("Weiß", 2), ("Weiss", 3), ("Kühn", 4))
    ]
    log_in_with_second_factor(page, admin_user, password, "/codierung/")
    page.get_by_label("Alle Fälle dieser Seite auswählen").check()
    for case in cases:
        assert page.locator(f"#fall-{case.pk}").is_checked()
    page.get_by_role("radio", name="Bestätigung", exact=True).check()
    page.get_by_role("radio", name="Nein", exact=True).check()
    page.get_by_role("button", name="Auswahl prüfen …").click()
    page.wait_for_url("**/codierung/sammel/")
    assert page.get_by_text("3 Fälle erhalten Gutachten-Typ").is_visible()
    assert not Case.objects.filter(gutachten_typ__isnull=False).exists()
    page.get_by_role("button", name="3 Fälle codieren").click()
    page.wait_for_url("**/codierung/")
    assert page.get_by_text("3 Fälle codiert.").is_visible()
    assert Case.objects.filter(gutachten_typ="Bestätigung", therapieaenderung="Nein").count() == 3
