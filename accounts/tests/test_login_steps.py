"""Forced steps after the password: 2FA code, then a new password, then 2FA setup (admins)."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.models import AuditLog, OutboxEmail
from accounts.tests.conftest import PASSWORD, password_login, totp_code

pytestmark = pytest.mark.django_db
CHANGE = reverse("account_change_password")
NEW = "Ganz-Neues-Passwort-2026"


def change_password(client):
    return client.post(CHANGE, {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW})


def test_must_change_password_comes_before_any_page(client, dak_user):
    dak_user.must_change_password = True
    dak_user.save()
    password_login(client, dak_user.email)
    for name in ("home", "konto:notification_list", "usersessions_list"):
        assert client.get(reverse(name))["Location"] == CHANGE
    assert "eigenes Passwort" in client.get(CHANGE).content.decode()


def test_after_the_new_password_the_asked_for_page_opens(client, dak_user):
    dak_user.must_change_password = True
    dak_user.save()
    password_login(client, dak_user.email)
    client.get(reverse("konto:notification_list"))
    response = change_password(client)
    assert response["Location"] == reverse("konto:notification_list")
    dak_user.refresh_from_db()
    assert not dak_user.must_change_password
    assert dak_user.check_password(NEW)
    assert client.get(reverse("home")).status_code == 200
    assert AuditLog.objects.filter(action=audit.PASSWORD_CHANGED, user=dak_user).exists()
    # The owner hears about it by mail (through the outbox).
    assert OutboxEmail.objects.filter(
        to=dak_user.email, subject="[Zweitmeinungs-Portal] Ihr Passwort wurde geändert"
    ).exists()


def test_a_new_admin_changes_the_password_then_sets_up_2fa(client, admin_user):
    admin_user.must_change_password = True
    admin_user.save()
    password_login(client, admin_user.email)
    assert client.get(reverse("home"))["Location"] == CHANGE
    change_password(client)
    assert client.get(reverse("home"))["Location"] == reverse("konto:mfa_setup")


def test_an_admin_with_a_device_enters_the_code_before_changing_the_password(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)
    admin_user.must_change_password = True
    admin_user.save()
    password_login(client, admin_user.email)
    assert client.get(CHANGE)["Location"] == reverse("konto:mfa_verify")
    client.post(reverse("konto:mfa_verify"), {"code": totp_code(device)})
    assert client.get(reverse("home"))["Location"] == CHANGE
    change_password(client)
    assert client.get(reverse("home")).status_code == 200


def test_logging_out_is_possible_during_a_step(client, admin_user):
    password_login(client, admin_user.email)
    assert client.get(reverse("account_logout")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_the_menu_is_hidden_during_a_step(client, admin_user):
    password_login(client, admin_user.email)
    content = client.get(reverse("konto:mfa_setup")).content.decode()
    assert "notification-bell" not in content
    assert ">Verwaltung<" not in content
    assert "Abmelden" in content
