"""Verwaltung → Benutzer: list, create, edit, unlock, end sessions."""

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, lockout
from accounts.models import AuditLog, Role, User
from accounts.tests.conftest import PASSWORD, password_login

pytestmark = pytest.mark.django_db


def lock(client, email):
    for _ in range(5):
        password_login(client, email, "falsch-falsch-falsch")


def test_the_list_shows_the_columns_admins_need(admin_client, dak_user, client_factory):
    TOTPDevice.objects.create(user=dak_user, name="App", confirmed=True)
    lock(client_factory(), dak_user.email)
    content = admin_client.get(reverse("accounts:user_list")).content.decode()
    for text in (
        dak_user.email,
        "Dora Dak",
        "DAK-Mitarbeiter",
        "aktiv",
        ">an<",
        "bis ",
        "entsperren",
    ):
        assert text in content


def test_the_list_filters_locked_accounts(admin_client, dak_user, other_dak, client_factory):
    lock(client_factory(), dak_user.email)
    page = admin_client.get(reverse("accounts:user_list"), {"status": "gesperrt"}).context["page"]
    assert [u.email for u in page.object_list] == [dak_user.email]


def test_the_list_searches_and_filters_by_role(admin_client, dak_user, admin_user):
    page = admin_client.get(reverse("accounts:user_list"), {"q": "dora"}).context["page"]
    assert list(page.object_list) == [dak_user]
    page = admin_client.get(reverse("accounts:user_list"), {"role": Role.ADMIN}).context["page"]
    assert list(page.object_list) == [admin_user]


def test_an_admin_creates_a_user_who_must_change_the_password(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("accounts:user_create"),
            {
                "email": "Neu@DAK.de",
                "first_name": "Nina",
                "last_name": "Neu",
                "role": Role.DAK_MITARBEITER,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "send_welcome": "on",
            },
        )
    user = User.objects.get(email="neu@dak.de")
    assert response["Location"] == reverse("accounts:user_edit", args=[user.pk])
    assert user.must_change_password
    assert user.check_password(PASSWORD)
    assert user.emailaddress_set.get().verified
    assert PASSWORD not in mailoutbox[0].body
    assert "/konto/login/" in mailoutbox[0].body
    assert "E-Mail-Adresse (zum Anmelden): neu@dak.de" in mailoutbox[0].body
    entry = AuditLog.objects.get(action=audit.USER_CREATED)
    assert entry.new_values["role"] == Role.DAK_MITARBEITER


def test_creating_without_welcome_mail_sends_nothing(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("accounts:user_create"),
            {
                "email": "neu@dak.de",
                "role": Role.DAK_MITARBEITER,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert User.objects.filter(email="neu@dak.de").exists()
    assert mailoutbox == []


def test_creating_refuses_an_existing_address(admin_client, dak_user):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "email": dak_user.email.upper(),
            "role": Role.ADMIN,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert User.objects.count() == 2


def test_an_admin_changes_role_and_name_and_it_is_audited(admin_client, dak_user):
    response = admin_client.post(
        reverse("accounts:user_edit", args=[dak_user.pk]),
        {
            "email": dak_user.email,
            "first_name": "Dora",
            "last_name": "Neu",
            "role": Role.ADMIN,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    dak_user.refresh_from_db()
    assert (dak_user.role, dak_user.is_staff, dak_user.last_name) == (Role.ADMIN, True, "Neu")
    entry = AuditLog.objects.get(action=audit.USER_CHANGED)
    assert entry.old_values == {"role": Role.DAK_MITARBEITER, "last_name": "Dak"}
    assert entry.new_values == {"role": Role.ADMIN, "last_name": "Neu"}


def test_deactivating_a_user_ends_their_sessions(admin_client, dak_user, client_factory):
    other = client_factory()
    other.force_login(dak_user)
    key = other.session.session_key
    admin_client.post(
        reverse("accounts:user_edit", args=[dak_user.pk]),
        {
            "email": dak_user.email,
            "first_name": "Dora",
            "last_name": "Dak",
            "role": Role.DAK_MITARBEITER,
        },
    )
    dak_user.refresh_from_db()
    assert not dak_user.is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=dak_user).exists()
    assert other.get(reverse("home")).status_code == 302


def test_an_admin_cannot_remove_their_own_admin_role(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:user_edit", args=[admin_user.pk]),
        {"email": admin_user.email, "role": Role.DAK_MITARBEITER, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Administrator-Rolle nicht selbst" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_an_admin_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:user_edit", args=[admin_user.pk]),
        {"email": admin_user.email, "role": Role.ADMIN},
    )
    assert "eigenes Konto nicht deaktivieren" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_unlocks_a_locked_account(admin_client, dak_user, client_factory):
    lock(client_factory(), dak_user.email)
    assert lockout.locked_until(dak_user.email)
    response = admin_client.post(reverse("accounts:user_unlock", args=[dak_user.pk]))
    assert response.status_code == 302
    assert lockout.locked_until(dak_user.email) is None
    assert password_login(client_factory(), dak_user.email).status_code == 302
    entry = AuditLog.objects.get(action=audit.UNLOCKED)
    assert entry.old_values == {"gesperrt": True}


def test_an_admin_ends_all_sessions_of_a_user(admin_client, dak_user, client_factory):
    other = client_factory()
    other.force_login(dak_user)
    admin_client.post(reverse("accounts:user_end_sessions", args=[dak_user.pk]))
    assert other.get(reverse("home")).status_code == 302
    assert AuditLog.objects.filter(action=audit.SESSIONS_ENDED).exists()


@pytest.mark.parametrize("name", ["user_unlock", "user_reset_mfa", "user_end_sessions"])
def test_mutating_user_views_reject_get(name, admin_client, dak_user):
    assert admin_client.get(reverse(f"accounts:{name}", args=[dak_user.pk])).status_code == 405


@pytest.mark.parametrize(
    "name", ["user_unlock", "user_reset_mfa", "user_end_sessions", "user_edit"]
)
def test_mutating_user_views_refuse_non_admins(name, dak_client, other_dak):
    assert dak_client.post(reverse(f"accounts:{name}", args=[other_dak.pk])).status_code == 403


@pytest.mark.parametrize(
    "name", ["user_unlock", "user_reset_mfa", "user_end_sessions", "user_edit"]
)
def test_mutating_user_views_send_strangers_to_the_login(name, client, other_dak):
    response = client.post(reverse(f"accounts:{name}", args=[other_dak.pk]))
    assert response["Location"].startswith(reverse("account_login"))


def test_creating_users_is_for_admins_only(client, dak_client):
    data = {"email": "x@dak.de", "role": Role.ADMIN, "password1": PASSWORD, "password2": PASSWORD}
    assert dak_client.post(reverse("accounts:user_create"), data).status_code == 403
    dak_client.logout()
    assert client.post(reverse("accounts:user_create"), data).status_code == 302
    assert not User.objects.filter(email="x@dak.de").exists()


def test_an_unknown_user_is_a_404(admin_client):
    assert admin_client.get(reverse("accounts:user_edit", args=[99999])).status_code == 404
