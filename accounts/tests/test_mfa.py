"""Two-factor login with django-otp: the code step, setup, backup codes, switching off, reset."""

import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, mfa
from accounts.models import AuditLog
from accounts.tests.conftest import password_login, totp_code

pytestmark = pytest.mark.django_db
MFA_VERIFY_URL = reverse("konto:mfa_verify")
SETUP_URL = reverse("konto:mfa_setup")


@pytest.fixture(autouse=True)
def _verified_addresses(admin_user, dak_user):
    for user in (admin_user, dak_user):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def test_after_the_password_an_admin_with_a_device_must_enter_a_code(
    client, admin_user, admin_device
):
    password_login(client, admin_user.email)
    response = client.get(reverse("accounts:user_list"))
    assert response.status_code == 302
    assert response["Location"] == MFA_VERIFY_URL
    assert client.get(reverse("home"))["Location"] == MFA_VERIFY_URL


def test_the_code_step_leads_to_the_page_that_was_asked_for(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    client.get(reverse("accounts:user_list"))
    response = client.post(MFA_VERIFY_URL, {"code": totp_code(admin_device)})
    assert response["Location"] == reverse("accounts:user_list")
    assert client.get(reverse("accounts:user_list")).status_code == 200


def test_the_session_key_changes_at_the_code_step(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    before = client.session.session_key
    client.post(MFA_VERIFY_URL, {"code": totp_code(admin_device)})
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # The user's session list follows the new key.
    from allauth.usersessions.models import UserSession

    assert UserSession.objects.filter(session_key=after, user=admin_user).exists()


def test_a_code_that_was_used_is_refused_the_second_time(client, admin_user, admin_device):
    code = totp_code(admin_device)
    password_login(client, admin_user.email)
    client.post(MFA_VERIFY_URL, {"code": code})
    client.post(reverse("account_logout"))
    password_login(client, admin_user.email)
    response = client.post(MFA_VERIFY_URL, {"code": code})
    assert response.status_code == 200
    assert "bereits verwendet" in response.content.decode()
    assert client.get(reverse("home"))["Location"] == MFA_VERIFY_URL


def test_a_wrong_code_is_refused_and_audited(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    response = client.post(
        MFA_VERIFY_URL, {"code": "000000" if totp_code(admin_device) != "000000" else "111111"}
    )
    assert "Der Code ist falsch" in response.content.decode()
    assert AuditLog.objects.filter(action=audit.MFA_FAILED, user=admin_user).exists()


def test_repeated_wrong_codes_are_throttled(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    client.post(MFA_VERIFY_URL, {"code": "12345x"})
    client.post(MFA_VERIFY_URL, {"code": "000001"})
    response = client.post(MFA_VERIFY_URL, {"code": totp_code(admin_device)})
    assert "warten Sie" in response.content.decode()


def test_a_backup_code_works_once(client, admin_user, admin_device):
    client.force_login(admin_user)
    codes = mfa._new_backup_codes(admin_user)
    response = client.post(MFA_VERIFY_URL, {"code": codes[0].upper()})
    assert response.status_code == 302
    client.post(reverse("account_logout"))
    password_login(client, admin_user.email)
    response = client.post(MFA_VERIFY_URL, {"code": codes[0]})
    assert "bereits verwendet" in response.content.decode()
    assert mfa.remaining_backup_codes(admin_user) == 9


def test_an_admin_without_a_device_can_only_set_one_up(client, admin_user):
    password_login(client, admin_user.email)
    for name in ("home", "accounts:user_list", "konto:notification_list", "konto:mfa"):
        assert client.get(reverse(name))["Location"] == SETUP_URL
    assert client.get(reverse("admin:index"))["Location"] == SETUP_URL
    assert client.get(SETUP_URL).status_code == 200


def test_setup_shows_a_qr_code_made_here_and_the_secret(client, admin_user):
    client.force_login(admin_user)
    content = client.get(SETUP_URL).content.decode()
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert "<svg" in content
    assert mfa.secret_for_typing(device) in content
    assert "http" not in content.split('class="qr-code"')[1].split("</div>")[0]
    # Reloading keeps the same secret until it is confirmed.
    client.get(SETUP_URL)
    assert TOTPDevice.objects.filter(user=admin_user).count() == 1


def test_setup_is_confirmed_by_a_first_code_and_shows_ten_backup_codes_once(client, admin_user):
    client.force_login(admin_user)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=admin_user)
    response = client.post(SETUP_URL, {"code": totp_code(device)})
    assert response["Location"] == reverse("konto:mfa_backup_codes")
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', page)
    assert len(codes) == 10
    assert '<li class="col">' not in client.get(reverse("konto:mfa_backup_codes")).content.decode()
    device.refresh_from_db()
    assert device.confirmed
    # The session is verified by the new device: the portal is open now.
    assert client.get(reverse("accounts:user_list")).status_code == 200
    assert AuditLog.objects.filter(action=audit.MFA_ENABLED, user=admin_user).exists()


def test_setup_refuses_a_wrong_code(client, admin_user):
    client.force_login(admin_user)
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, {"code": "abc"})
    assert response.status_code == 200
    assert "Der Code stimmt nicht" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()


def test_a_dak_user_without_a_device_is_not_asked_for_a_code(client, dak_user):
    password_login(client, dak_user.email)
    assert client.get(reverse("home")).status_code == 200


def test_a_dak_user_with_a_device_must_enter_a_code(client, dak_user):
    TOTPDevice.objects.create(user=dak_user, name="App", confirmed=True)
    password_login(client, dak_user.email)
    assert client.get(reverse("home"))["Location"] == MFA_VERIFY_URL


def test_an_htmx_request_gets_hx_redirect_to_the_code_page(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    response = client.get(reverse("konto:notification_badge"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == MFA_VERIFY_URL


def test_the_api_gets_403_json_until_the_code_is_entered(client, admin_user, admin_device):
    password_login(client, admin_user.email)
    response = client.get(reverse("home"), HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["redirect"] == MFA_VERIFY_URL


def test_the_django_admin_requires_a_verified_session(admin_no_mfa_client, admin_user, rf):
    from django.contrib import admin

    assert admin_no_mfa_client.get(reverse("admin:index"))["Location"] == MFA_VERIFY_URL
    request = rf.get("/")
    request.user = admin_user
    admin_user.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    admin_user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_only_a_confirmed_device_of_the_user_counts_as_a_second_factor(
    admin_user, dak_user, django_assert_num_queries
):
    assert not mfa.has_device(dak_user)
    TOTPDevice.objects.create(user=dak_user, name="Halb eingerichtet", confirmed=False)
    TOTPDevice.objects.create(user=admin_user, name="Fremd", confirmed=True)
    assert not mfa.has_device(dak_user)
    TOTPDevice.objects.create(user=dak_user, name="App", confirmed=True)
    with django_assert_num_queries(1):
        assert mfa.has_device(dak_user)
    assert mfa.has_device(admin_user)


def test_a_confirmed_totp_device_is_all_an_admin_needs(client, admin_user):
    """The demo data creates its admin with only a TOTPDevice; that must be enough."""
    device = TOTPDevice.objects.create(user=admin_user, name="Demo", confirmed=True)
    password_login(client, admin_user.email)
    client.post(MFA_VERIFY_URL, {"code": totp_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_switching_off_needs_a_current_code(admin_client, admin_user):
    device = TOTPDevice.objects.get(user=admin_user)
    response = admin_client.post(reverse("konto:mfa_disable"), {"code": "000000"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    # django-otp makes the next try after a failure wait a moment.
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=3)):
        response = admin_client.post(reverse("konto:mfa_disable"), {"code": totp_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=admin_user).exists()
    assert AuditLog.objects.filter(action=audit.MFA_DISABLED, user=admin_user).exists()
    # An admin without a device is sent straight back to set one up.
    assert admin_client.get(reverse("home"))["Location"] == SETUP_URL


def test_switching_off_rejects_get(admin_client):
    assert admin_client.get(reverse("konto:mfa_disable")).status_code == 405


def test_regenerating_backup_codes_replaces_the_old_ones(admin_client, admin_user):
    old = mfa._new_backup_codes(admin_user)
    response = admin_client.post(reverse("konto:mfa_backup_codes_regenerate"))
    assert response["Location"] == reverse("konto:mfa_backup_codes")
    assert "Jetzt sichern" in admin_client.get(response["Location"]).content.decode()
    tokens = set(
        StaticDevice.objects.get(user=admin_user).token_set.values_list("token", flat=True)
    )
    assert len(tokens) == 10 and not tokens & set(old)
    assert AuditLog.objects.filter(action=audit.BACKUP_CODES_REGENERATED).exists()


def test_regenerating_rejects_get(admin_client):
    response = admin_client.get(reverse("konto:mfa_backup_codes_regenerate"))
    assert response.status_code == 405


def test_an_admin_resets_another_users_2fa(admin_client, dak_user, client_factory):
    TOTPDevice.objects.create(user=dak_user, name="App", confirmed=True)
    other = client_factory()
    other.force_login(dak_user)
    other_key = other.session.session_key
    response = admin_client.post(reverse("accounts:user_reset_mfa", args=[dak_user.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=dak_user).exists()
    assert not Session.objects.filter(session_key=other_key).exists()
    entry = AuditLog.objects.get(action=audit.MFA_RESET)
    assert entry.entity_id == str(dak_user.pk)
    assert entry.old_values == {"2fa": True}


def test_resetting_2fa_rejects_get_non_admins_and_strangers(
    client, dak_client, dak_user, other_dak
):
    url = reverse("accounts:user_reset_mfa", args=[other_dak.pk])
    assert dak_client.post(url).status_code == 403
    dak_client.logout()
    assert client.post(url)["Location"].startswith(reverse("account_login"))


def test_a_password_reset_never_skips_the_second_factor(
    client, admin_user, admin_device, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": admin_user.email})
    link = re.search(r"https?://\S+/password/reset/key/\S+/", mailoutbox[-1].body).group(0)
    response = client.get(link)
    form_url = response["Location"]
    response = client.post(
        form_url, {"password1": "Neues-Passwort-2026!", "password2": "Neues-Passwort-2026!"}
    )
    assert response.status_code == 302
    # Not logged in by the reset; the new password leads to the code step, not the portal.
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))
    password_login(client, admin_user.email, "Neues-Passwort-2026!")
    assert client.get(reverse("home"))["Location"] == MFA_VERIFY_URL
