"""Account identifiers are compared exactly by the database, as by Python (issue 11 §1).

These run on SQLite and on MariaDB; on MariaDB's default utf8mb4_unicode_ci each of them failed
before the columns got the binary collation (accounts.models.ExactEmailField, the
ExactCharFields and migration 0005 for allauth, axes, django-otp and the session tables).
"""

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import lockout
from accounts.models import AllowedDomain, AuditLog, Invitation, Role, User, hash_token
from accounts.services import role_for_email

pytestmark = pytest.mark.django_db


def test_an_accented_domain_is_not_the_allowed_domain():
    # Stored as typed (bypassing the form), the look-alike must still not be found as dak.de.
    assert not AllowedDomain.objects.filter(domain="dák.de").exists()
    assert not AllowedDomain.objects.filter(domain="DAK.de").exists()
    assert not AllowedDomain.objects.filter(domain="dak.de ").exists()


def test_a_lookalike_domain_row_does_not_collide_with_the_real_one():
    with transaction.atomic():
        AllowedDomain.objects.create(domain="ｄak.de")
    assert AllowedDomain.objects.filter(domain="dak.de").count() == 1
    assert role_for_email("x@dak.de") == Role.DAK_MITARBEITER


def test_addresses_differing_in_an_accent_are_two_accounts():
    User.objects.create_user(email="dak@dak.de")
    # Written past the normalisation on purpose: the unique index alone must tell them apart.
    User.objects.bulk_create([User(email="dak@dák.de")])
    assert User.objects.filter(email="dak@dak.de").count() == 1
    assert not User.objects.filter(email="DAK@dak.de").exists()


def test_the_unique_address_still_holds_exactly():
    User.objects.create_user(email="dak@dak.de")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="dak@dak.de")])


def test_a_token_hash_matches_only_itself():
    invitation = Invitation(role=Role.DAK_MITARBEITER, expires_at=timezone.now())
    invitation.set_token("geheim")
    invitation.save()
    assert Invitation.objects.filter(token_hash=hash_token("geheim")).exists()
    assert not Invitation.objects.filter(token_hash=hash_token("geheim").upper()).exists()


def test_audit_filters_match_the_action_exactly():
    AuditLog.objects.create(action="login", entity_type="accounts.user", entity_id="7")
    assert AuditLog.objects.filter(action="login").count() == 1
    assert not AuditLog.objects.filter(action="LOGIN").exists()
    assert not AuditLog.objects.filter(entity_type="Accounts.User").exists()


def test_allauth_addresses_are_compared_exactly(dak_user):
    EmailAddress.objects.create(user=dak_user, email=dak_user.email, verified=True, primary=True)
    local = dak_user.email.partition("@")[0]
    assert not EmailAddress.objects.filter(email=f"{local}@dák.de").exists()


def test_failed_logins_of_a_lookalike_do_not_lock_the_real_account(dak_user):
    local = dak_user.email.partition("@")[0]
    # A fullwidth domain cannot be normalised; it is counted as typed (lower-cased).
    lookalike = f"{local}@ｄak.de"
    AccessAttempt.objects.create(
        username=lockout.normalise_username(lookalike),
        ip_address="192.0.2.1",
        user_agent="Test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    assert lockout.locked_until(lookalike) is not None
    assert lockout.locked_until(dak_user.email) is None


def test_a_backup_code_matches_only_itself(dak_user):
    device = StaticDevice.objects.create(user=dak_user, name="Backup-Codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd1234")
    assert StaticToken.objects.filter(token="abcd1234").exists()
    assert not StaticToken.objects.filter(token="ABCD1234").exists()


def test_the_user_search_still_ignores_case_in_addresses(admin_client, dak_user):
    from django.urls import reverse

    response = admin_client.get(reverse("accounts:user_list"), {"q": dak_user.email.upper()})
    assert dak_user.email in response.content.decode()


def test_a_command_finds_its_user_in_any_case(dak_user):
    from imports.management.commands._common import command_actor

    assert command_actor(dak_user.email.upper()).user == dak_user


def test_a_confirmation_key_matches_only_itself(dak_user):
    from allauth.account.models import EmailConfirmation

    address = EmailAddress.objects.create(user=dak_user, email=dak_user.email)
    EmailConfirmation.objects.create(email_address=address, key="abcdef0123456789")
    assert EmailConfirmation.objects.filter(key="abcdef0123456789").exists()
    assert not EmailConfirmation.objects.filter(key="ABCDEF0123456789").exists()
