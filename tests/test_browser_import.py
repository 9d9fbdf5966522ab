"""End to end: an admin logs in with the second factor, uploads the edge-case CRM export,
reads the preview totals, confirms, and finds the created cases on the import log."""

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDGE_CASES = (
    Path(__file__).resolve().parents[1] / "imports" / "tests" / "fixtures" / "crm_edge_cases.csv"
)


def log_in_with_second_factor(page, user, password):
    from allauth.account.models import EmailAddress
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    device = TOTPDevice.objects.create(user=user, name="Authenticator-App", confirmed=True)
    page.goto("/import/csv/")
    assert "/konto/login/" in page.url
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/konto/zwei-faktor/code/**")
    page.fill("input[name=code]", f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/import/csv/")


def test_an_admin_imports_the_edge_case_csv_through_the_preview(page, admin_user, password):
    from cases.models import Case

    log_in_with_second_factor(page, admin_user, password)
    assert page.get_by_role("heading", name="CRM-Export importieren").is_visible()
    assert page.get_by_role("link", name="Import").first.is_visible()

    page.set_input_files("input[type=file]", str(EDGE_CASES))
    page.get_by_role("button", name="Hochladen und prüfen").click()
    page.wait_for_url(re.compile(r".*/import/vorschau/[0-9a-f-]+/$"))

    counts = {
        kind: page.get_by_test_id(f"count-{kind}").inner_text()
        for kind in ("neu", "aktualisierung", "duplikat", "fehler")
    }
    assert counts == {"neu": "6", "aktualisierung": "0", "duplikat": "1", "fehler": "3"}
    assert page.get_by_text("Tonn, Regina").is_visible()

    # the error tab swaps only the table and puts the tab into the address
    page.get_by_role("link", name=re.compile(r"^Fehler")).click()
    page.wait_for_url("**?art=fehler")
    assert page.get_by_text("kann keiner Fallgruppe zugeordnet werden").is_visible()
    assert page.get_by_test_id("count-neu").inner_text() == "6"

    page.get_by_test_id("confirm-import").click()
    page.wait_for_url(re.compile(r".*/import/protokoll/\d+/$"))
    assert page.get_by_text("Import abgeschlossen – neu: 6").is_visible()
    listed = page.get_by_test_id("log-cases").inner_text()
    cases = list(Case.objects.values_list("fall_id", flat=True))
    assert len(cases) == 6
    for fall_id in cases:
        assert fall_id in listed
