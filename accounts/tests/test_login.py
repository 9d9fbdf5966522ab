"""Password login, failed logins, the account lock (django-axes) and its audit entries."""

import pytest
import time_machine
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts import audit, lockout
from accounts.models import AuditLog
from accounts.tests.conftest import password_login

pytestmark = pytest.mark.django_db
WRONG = "falsches-Passwort-123"


@pytest.fixture(autouse=True)
def _verified_addresses(dak_user):
    EmailAddress.objects.create(user=dak_user, email=dak_user.email, verified=True, primary=True)


def fail(client, email, times, **extra):
    response = None
    for _ in range(times):
        response = password_login(client, email, WRONG, **extra)
    return response


def test_a_dak_user_logs_in_with_email_and_password(client, dak_user):
    response = password_login(client, dak_user.email)
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_email_is_matched_case_insensitively(client, dak_user):
    password_login(client, "DAK.User@DAK.de")
    assert client.get(reverse("home")).status_code == 200


def test_a_login_is_audited_with_address_and_browser(client, dak_user):
    password_login(client, dak_user.email, HTTP_USER_AGENT="Testbrowser", REMOTE_ADDR="10.0.0.7")
    entry = AuditLog.objects.get(action=audit.LOGIN)
    assert (entry.user, entry.ip_address, entry.user_agent) == (dak_user, "10.0.0.7", "Testbrowser")


def test_a_failed_login_is_audited_without_the_password(client, dak_user):
    fail(client, dak_user.email, 1)
    entry = AuditLog.objects.get(action=audit.LOGIN_FAILED)
    assert entry.entity_id == str(dak_user.pk)
    assert entry.new_values["anmeldename"] == dak_user.email
    assert WRONG not in str(entry.new_values)


def test_the_fifth_failure_locks_the_account(client, dak_user):
    assert fail(client, dak_user.email, 4).status_code == 200
    response = fail(client, dak_user.email, 1)
    assert response.status_code == 429
    assert "vorübergehend gesperrt" in response.content.decode()
    # Staff log in with their address; the page does not speak of a user name.
    assert "mit dieser E-Mail-Adresse" in response.content.decode()
    assert "Benutzername" not in response.content.decode()
    # Even the right password does not get in now.
    response = password_login(client, dak_user.email)
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302


def test_the_lock_is_audited_once(client, dak_user):
    fail(client, dak_user.email, 7)
    locks = AuditLog.objects.filter(action=audit.LOCKED)
    assert locks.count() == 1
    assert locks.get().entity_id == str(dak_user.pk)


def test_the_lock_message_does_not_reveal_whether_an_account_exists(client, dak_user):
    known = fail(client, dak_user.email, 5)
    unknown = fail(client, "niemand@dak.de", 5)
    assert known.status_code == unknown.status_code == 429

    def main(response):
        content = response.content.decode()
        return content[content.index("<main") : content.index("</main>")]

    assert "vorübergehend gesperrt" in main(known)
    assert main(known) == main(unknown)


def test_the_lock_is_per_account_not_per_address(client, dak_user, other_dak):
    fail(client, dak_user.email, 5)
    password_login(client, other_dak.email)
    assert client.get(reverse("home")).status_code == 200


def test_changing_the_case_of_the_address_does_not_dodge_the_lock(client, dak_user):
    for variant in ("dak.user@dak.de", "DAK.user@dak.de", "Dak.User@dak.de", "dak.USER@dak.de"):
        fail(client, variant, 1)
    assert fail(client, "DAK.USER@DAK.DE", 1).status_code == 429


def test_the_lock_ends_after_thirty_minutes(client, dak_user):
    fail(client, dak_user.email, 5)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=31)):
        assert password_login(client, dak_user.email).status_code == 302


def test_failures_during_the_lock_do_not_extend_it(client, dak_user):
    start = timezone.now()
    fail(client, dak_user.email, 5)
    with time_machine.travel(start + timezone.timedelta(minutes=20)):
        fail(client, dak_user.email, 3)
    with time_machine.travel(start + timezone.timedelta(minutes=31)):
        assert password_login(client, dak_user.email).status_code == 302


def test_a_successful_login_resets_the_failure_count(client, dak_user):
    fail(client, dak_user.email, 4)
    password_login(client, dak_user.email)
    client.logout()
    assert fail(client, dak_user.email, 4).status_code == 200


def test_a_password_reset_lifts_the_lock(client, dak_user):
    from allauth.account import signals

    fail(client, dak_user.email, 5)
    assert lockout.locked_until(dak_user.email)
    signals.password_reset.send(sender=type(dak_user), request=None, user=dak_user)
    assert lockout.locked_until(dak_user.email) is None
    assert password_login(client, dak_user.email).status_code == 302


def test_behind_nginx_the_forwarded_client_address_is_recorded(client, dak_user, settings):
    settings.PROXY_COUNT = 1
    fail(
        client, dak_user.email, 1, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
    )
    # nginx appended the address it saw (5.6.7.8); 1.2.3.4 came from the client and is not trusted.
    assert AccessAttempt.objects.get().ip_address == "5.6.7.8"
    assert AuditLog.objects.get(action=audit.LOGIN_FAILED).ip_address == "5.6.7.8"


def test_without_a_proxy_the_forwarded_header_is_ignored(client, dak_user):
    fail(client, dak_user.email, 1, REMOTE_ADDR="10.9.8.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AccessAttempt.objects.get().ip_address == "10.9.8.7"


def test_the_per_address_limit_is_a_rate_limit_not_a_lock(client, dak_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": False, "login": "3/m/ip"}
    for _ in range(3):
        password_login(client, "someone@dak.de", WRONG)
    assert password_login(client, dak_user.email).status_code == 429
    assert lockout.locked_until(dak_user.email) is None
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2)):
        assert password_login(client, dak_user.email).status_code == 302


def test_an_inactive_account_cannot_log_in(client, dak_user):
    dak_user.is_active = False
    dak_user.save()
    password_login(client, dak_user.email)
    assert client.get(reverse("home")).status_code == 302


def test_logging_out_ends_the_session_on_the_server(client, dak_user):
    from django.contrib.sessions.models import Session

    password_login(client, dak_user.email)
    key = client.session.session_key
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditLog.objects.filter(action=audit.LOGOUT, user=dak_user).exists()


def test_the_session_key_changes_at_login(client, dak_user):
    client.get(reverse("account_login"))
    client.session["x"] = 1
    session = client.session
    session.save()
    before = session.session_key
    password_login(client, dak_user.email)
    assert client.session.session_key != before


def test_the_login_page_is_german_and_in_the_portal_layout(client):
    content = client.get(reverse("account_login")).content.decode()
    assert "Anmelden" in content and "Passwort vergessen?" in content
    assert "brand-mark" in content


def test_production_hashes_passwords_with_argon2():
    from django.contrib.auth.hashers import identify_hasher, make_password

    import dak_portal.settings

    assert dak_portal.settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert identify_hasher(make_password("x", hasher="argon2")).algorithm == "argon2"
