"""Invitations: created by admins, accepted once by POST, bound to a fixed address."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import audit, services
from accounts.models import (
    AuditLog,
    Invitation,
    InvitationState,
    OutboxEmail,
    Role,
    User,
    hash_token,
)
from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def accept_data(**extra):
    return {
        "email": "gast@klinik.example",
        "first_name": "Gina",
        "last_name": "Gast",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }


@pytest.fixture
def invitation(admin_user):
    return services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)


def accept_url(token):
    return reverse("konto:invitation_accept", args=[token])


# --- creating, listing, revoking (admins) ----------------------------------------------------


def test_an_admin_creates_an_invitation_and_sees_its_link_once(admin_client):
    response = admin_client.post(
        reverse("accounts:invitation_create"),
        {"email": "", "role": Role.DAK_MITARBEITER, "valid_days": 7},
    )
    assert response["Location"] == reverse("accounts:invitation_list")
    page = admin_client.get(response["Location"]).content.decode()
    link = re.search(r'value="(http://testserver/konto/einladung/[^"]+/)"', page).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token) != token
    assert token not in str(Invitation.objects.values().get())
    assert token not in admin_client.get(reverse("accounts:invitation_list")).content.decode()
    assert (invitation.expires_at - timezone.now()).days == 6  # 7 days minus a moment
    assert AuditLog.objects.filter(action=audit.INVITATION_CREATED).exists()


def test_an_invitation_can_be_sent_by_email(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("accounts:invitation_create"),
            {
                "email": "Gast@Klinik.example",
                "role": Role.DAK_MITARBEITER,
                "valid_days": 3,
                "send_email": "on",
            },
        )
    assert mailoutbox[0].to == ["gast@klinik.example"]
    assert "/konto/einladung/" in mailoutbox[0].body
    assert OutboxEmail.objects.get().body == ""  # the token does not stay in the outbox


def test_an_admin_invitation_must_name_its_address(admin_client):
    response = admin_client.post(
        reverse("accounts:invitation_create"), {"email": "", "role": Role.ADMIN, "valid_days": 7}
    )
    assert response.status_code == 200
    assert "feste E-Mail-Adresse" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_list_shows_every_state(admin_client, admin_user):
    _active, _ = services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)
    revoked, _ = services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)
    services.invitation_revoke(revoked, acting_user=admin_user)
    expired, _ = services.invitation_create(
        created_by=admin_user, role=Role.DAK_MITARBEITER, valid_days=1
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    used, _token = services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)
    services.invitation_accept(
        used, email="x@y.example", password=PASSWORD, first_name="", last_name=""
    )
    content = admin_client.get(reverse("accounts:invitation_list")).content.decode()
    for label in ("aktiv", "widerrufen", "abgelaufen", "verwendet"):
        assert f">{label}</span>" in content


def test_revoking_stops_the_link(client, admin_client, invitation):
    inv, token = invitation
    response = admin_client.post(reverse("accounts:invitation_revoke", args=[inv.pk]))
    assert response.status_code == 302
    inv.refresh_from_db()
    assert inv.state == InvitationState.REVOKED
    assert client.get(accept_url(token)).status_code == 410
    assert AuditLog.objects.filter(action=audit.INVITATION_REVOKED).exists()


def test_renewing_makes_a_new_link_and_kills_the_old(client, admin_client, invitation):
    inv, old_token = invitation
    admin_client.post(reverse("accounts:invitation_renew", args=[inv.pk]))
    page = admin_client.get(reverse("accounts:invitation_list")).content.decode()
    new_link = re.search(r'value="(http://testserver/konto/einladung/[^"]+/)"', page).group(1)
    assert client.get(accept_url(old_token)).status_code == 404
    assert client.get(new_link).status_code == 200


@pytest.mark.parametrize("name", ["invitation_revoke", "invitation_renew"])
def test_mutating_invitation_views_reject_get_non_admins_and_strangers(
    name, client, dak_client, admin_user, invitation
):
    url = reverse(f"accounts:{name}", args=[invitation[0].pk])
    assert dak_client.post(url).status_code == 403
    dak_client.logout()
    assert client.post(url)["Location"].startswith(reverse("account_login"))
    client.force_login(admin_user)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="x", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get(url).status_code == 405
    assert Invitation.objects.get().state == InvitationState.ACTIVE


def test_creating_invitations_is_for_admins_only(dak_client):
    assert (
        dak_client.post(reverse("accounts:invitation_create"), {"role": "admin"}).status_code == 403
    )
    assert not Invitation.objects.exists()


# --- accepting (the invited person) ----------------------------------------------------------


def test_opening_the_link_does_not_use_it_up(client, invitation):
    inv, token = invitation
    for _ in range(3):
        assert client.get(accept_url(token)).status_code == 200
    inv.refresh_from_db()
    assert inv.state == InvitationState.ACTIVE
    assert not User.objects.filter(email="gast@klinik.example").exists()


def test_posting_the_form_creates_the_account_and_uses_the_invitation(client, invitation):
    inv, token = invitation
    response = client.post(accept_url(token), accept_data())
    assert response.status_code == 302
    user = User.objects.get(email="gast@klinik.example")
    assert user.role == Role.DAK_MITARBEITER
    assert user.emailaddress_set.get().verified  # the invitation confirms the address
    inv.refresh_from_db()
    assert (inv.state, inv.used_by) == (InvitationState.USED, user)
    # Logged in right away.
    assert client.get(reverse("home")).status_code == 200
    signup = AuditLog.objects.get(action=audit.SIGNUP)
    assert signup.new_values["einladung"] == inv.pk
    assert AuditLog.objects.filter(action=audit.INVITATION_USED, entity_id=str(inv.pk)).exists()


def test_an_invitation_works_once(client, invitation):
    _, token = invitation
    client.post(accept_url(token), accept_data())
    client.post(reverse("account_logout"))
    response = client.post(accept_url(token), accept_data(email="zweiter@klinik.example"))
    assert response.status_code == 410
    assert not User.objects.filter(email="zweiter@klinik.example").exists()


def test_a_fixed_address_is_shown_read_only_and_cannot_be_replaced(client, admin_user):
    _inv, token = services.invitation_create(
        created_by=admin_user, role=Role.ADMIN, email="chefin@anbieter.example"
    )
    page = client.get(accept_url(token)).content.decode()
    assert 'value="chefin@anbieter.example"' in page and "disabled" in page
    client.post(accept_url(token), accept_data(email="angreifer@evil.example"))
    assert not User.objects.filter(email="angreifer@evil.example").exists()
    user = User.objects.get(email="chefin@anbieter.example")
    assert user.role == Role.ADMIN
    # An invited admin must set up 2FA before anything else.
    assert client.get(reverse("home"))["Location"] == reverse("konto:mfa_setup")


def test_an_expired_invitation_is_refused(client, invitation):
    _, token = invitation
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        response = client.post(accept_url(token), accept_data())
    assert response.status_code == 410
    assert "abgelaufen" in response.content.decode()
    assert not User.objects.filter(email="gast@klinik.example").exists()


def test_an_unknown_token_is_refused(client):
    response = client.get(accept_url("gibt-es-nicht"))
    assert response.status_code == 404
    assert "ungültig" in response.content.decode()


def test_an_existing_address_cannot_take_an_invitation(client, invitation, dak_user):
    _, token = invitation
    response = client.post(accept_url(token), accept_data(email=dak_user.email))
    assert response.status_code == 200
    assert "bereits ein Konto" in response.content.decode()
    assert Invitation.objects.get().state == InvitationState.ACTIVE


def test_weak_passwords_are_refused(client, invitation):
    _, token = invitation
    response = client.post(
        accept_url(token), accept_data(password1="gast@klinik", password2="gast@klinik")
    )
    assert response.status_code == 200
    assert Invitation.objects.get().state == InvitationState.ACTIVE


def test_a_logged_in_user_is_asked_to_log_out_first(dak_client, invitation):
    inv, token = invitation
    response = dak_client.get(accept_url(token))
    assert "bereits angemeldet" in response.content.decode()
    inv.refresh_from_db()
    assert inv.state == InvitationState.ACTIVE


def test_accepting_twice_at_once_creates_one_account(admin_user):
    inv, _ = services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)
    stale = Invitation.objects.get(pk=inv.pk)
    services.invitation_accept(
        inv, email="a@x.example", password=PASSWORD, first_name="", last_name=""
    )
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(
            stale, email="b@x.example", password=PASSWORD, first_name="", last_name=""
        )
    assert not User.objects.filter(email="b@x.example").exists()
