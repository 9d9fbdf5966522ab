"""End to end in Chromium: registration (domain, invitation), 2FA setup and login, lockout."""

import base64
import re
import time

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Sicheres-Testpasswort-2026"


@pytest.fixture(autouse=True)
def _dak_domain_allowed(db):
    # Transactional tests empty the tables, the row the migration seeds included.
    from accounts.models import AllowedDomain

    AllowedDomain.objects.get_or_create(domain="dak.de", defaults={"role": "dak_mitarbeiter"})


def code_for(key_bytes, steps_ahead=0):
    totp = TOTP(key_bytes, step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def log_in(page, email, password=PASSWORD):
    page.goto("/konto/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()


def test_someone_with_a_dak_address_registers_and_confirms_it(page, live_server):
    page.goto("/konto/signup/")
    page.fill("input[name=first_name]", "Rita")
    page.fill("input[name=last_name]", "Register")
    page.fill("input[name=email]", "rita.register@dak.de")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Registrieren").click()
    page.wait_for_url("**/konto/confirm-email/")
    assert page.get_by_text("Bitte bestätigen Sie Ihre E-Mail-Adresse").is_visible()

    message = next(m for m in mail.outbox if m.to == ["rita.register@dak.de"])
    link = re.search(r"https?://\S+/konto/confirm-email/\S+/", message.body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Bestätigen").click()
    log_in(page, "rita.register@dak.de")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_text("Guten Tag, Rita").is_visible()


def test_someone_outside_the_allowed_domains_is_told_why_and_nothing_is_created(page):
    from accounts.models import User

    page.goto("/konto/signup/")
    page.fill("input[name=first_name]", "Eve")
    page.fill("input[name=last_name]", "Evil")
    page.fill("input[name=email]", "eve@evildak.de")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Registrieren").click()
    assert page.get_by_text(
        "Mit dieser E-Mail-Adresse ist keine Registrierung möglich"
    ).is_visible()
    assert not User.objects.filter(email="eve@evildak.de").exists()


def test_an_invited_person_registers_with_the_link(
    page, live_server, admin_user, allowed_console_errors
):
    from accounts import services

    # The used-up link answers 410 Gone, which Chrome logs as a failed load.
    allowed_console_errors.append(r"status of 410")

    _, token = services.invitation_create(
        created_by=admin_user, role="dak_mitarbeiter", email="gast@klinik.example"
    )
    page.goto(f"/konto/einladung/{token}/")
    email = page.locator("input[name=email]")
    assert email.input_value() == "gast@klinik.example"
    assert email.is_disabled()
    page.fill("input[name=first_name]", "Gina")
    page.fill("input[name=last_name]", "Gast")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_text("Guten Tag, Gina").is_visible()
    # The link is used up.
    page.context.clear_cookies()
    page.goto(f"/konto/einladung/{token}/")
    assert page.get_by_text("bereits verwendet").is_visible()


def test_a_new_admin_sets_up_totp_with_a_code_from_the_app(page, live_server):
    from accounts import services

    services.user_create(
        email="neu.admin@anbieter.example",
        password=PASSWORD,
        role="admin",
        must_change_password=False,
    )
    log_in(page, "neu.admin@anbieter.example")
    page.wait_for_url("**/konto/zwei-faktor/einrichten/")
    assert page.locator(".qr-code svg").is_visible()
    # Shown in blocks of four for typing; the key itself has no spaces.
    secret = page.get_by_test_id("totp-secret").inner_text().strip().replace(" ", "")
    key = base64.b32decode(secret)
    page.fill("input[name=code]", code_for(key))
    page.get_by_role("button", name="Bestätigen und einrichten").click()
    page.wait_for_url("**/konto/zwei-faktor/backup-codes/")
    assert page.get_by_test_id("backup-codes").locator("li").count() == 10
    page.get_by_role("link", name="Ich habe die Codes gesichert").click()
    page.get_by_role("link", name="Verwaltung").click()
    page.wait_for_url("**/verwaltung/benutzer/")
    assert page.get_by_role("heading", name="Benutzer").is_visible()


def test_an_admin_logs_in_with_password_and_code(page, live_server, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)
    log_in(page, admin_user.email)
    page.wait_for_url("**/konto/zwei-faktor/code/")
    page.fill("input[name=code]", code_for(device.bin_key))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("link", name="Verwaltung").is_visible()


def test_five_wrong_passwords_lock_the_account(page, dak_user, allowed_console_errors):
    # The lock page answers 429 Too Many Requests, which Chrome logs as a failed load.
    allowed_console_errors.append(r"status of 429")
    for _ in range(5):
        log_in(page, dak_user.email, "ganz-falsches-Passwort")
    assert page.get_by_text("Anmeldung vorübergehend gesperrt").is_visible()
    log_in(page, dak_user.email)
    assert page.get_by_text("Anmeldung vorübergehend gesperrt").is_visible()
    assert "/konto/login/" in page.url
