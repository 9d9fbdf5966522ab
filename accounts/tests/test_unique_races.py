"""A unique address or domain taken meanwhile gives a German form error, never a 500 (§1).

The forms check for duplicates first; what is left is the race between that check and the
INSERT. The MariaDB tests stage it for real: another connection inserts the same key and keeps
its transaction open, so the request's check sees nothing and its INSERT waits on the key and
then fails. The service tests (both databases) call the write path without the form's check.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AllowedDomain, Invitation, OutboxEmail, Role, User
from accounts.tests.conftest import PASSWORD
from accounts.tests.test_registration import signup
from accounts.views.signup import SIGNUP_RACE_MESSAGE


@pytest.mark.django_db
def test_a_lookalike_of_an_existing_address_gets_a_form_error_not_a_500(client, dak_user):
    local = dak_user.email.partition("@")[0]
    response = signup(client, f"{local}@dák.de")
    assert response.status_code == 200
    assert "keine Registrierung möglich" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_creating_an_existing_account_is_a_german_error(admin_user, dak_user):
    with pytest.raises(ValidationError) as error:
        services.user_create(email=dak_user.email, password=PASSWORD, role=Role.DAK_MITARBEITER)
    assert error.value.message_dict == {"email": [services.ACCOUNT_EXISTS_MESSAGE]}
    assert User.objects.filter(email=dak_user.email).count() == 1


@pytest.mark.django_db
def test_allowing_an_allowed_domain_again_is_a_german_error(admin_user):
    with pytest.raises(ValidationError) as error:
        services.domain_create(domain="dak.de", role=Role.DAK_MITARBEITER, acting_user=admin_user)
    assert error.value.message_dict == {"domain": [services.DOMAIN_EXISTS_MESSAGE]}


@pytest.mark.django_db
def test_an_invitation_for_a_taken_address_stays_usable(admin_user, dak_user):
    invitation, _token = services.invitation_create(
        created_by=admin_user, role=Role.DAK_MITARBEITER
    )
    with pytest.raises(ValidationError):
        services.invitation_accept(
            invitation,
            email=dak_user.email,
            password=PASSWORD,
            first_name="Jörg",
            last_name="Weiß",
        )
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert User.objects.filter(email=dak_user.email).count() == 1


@pytest.mark.django_db
def test_changing_an_address_to_a_taken_one_is_a_german_error(admin_user, dak_user, other_dak):
    with pytest.raises(ValidationError):
        services.user_update(other_dak, data={"email": dak_user.email}, acting_user=admin_user)
    other_dak.refresh_from_db()
    assert other_dak.email == "kollegin@dak.de"


# --- the real race, on MariaDB -----------------------------------------------------------------


def _insert_and_hold(write, ready, seconds=1.5):
    """write() in a transaction of this thread's own connection, committed after `seconds`."""
    try:
        with transaction.atomic():
            write()
            ready.set()
            time.sleep(seconds)
    finally:
        connection.close()


def _race(write, request):
    ready = threading.Event()
    thread = threading.Thread(target=_insert_and_hold, args=(write, ready))
    thread.start()
    assert ready.wait(10)
    try:
        return request()
    finally:
        thread.join()


def _mariadb():
    if connection.vendor != "mysql":
        pytest.skip("staging the race needs row locks on a unique key (MariaDB)")


def _user(email):
    return lambda: User.objects.create_user(email=email, password=PASSWORD)


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_sign_up_of_the_same_address_gets_a_form_error(client):
    _mariadb()
    AllowedDomain.objects.get_or_create(domain="dak.de")
    response = _race(_user("bea.kuehn@dak.de"), lambda: signup(client, "Bea.Kuehn@dak.de"))
    assert response.status_code == 200
    assert SIGNUP_RACE_MESSAGE in response.content.decode()
    assert User.objects.filter(email="bea.kuehn@dak.de").count() == 1
    assert not OutboxEmail.objects.exists()


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_account_creation_gets_a_form_error(admin_client):
    _mariadb()
    response = _race(
        _user("joerg.weiss@dak.de"),
        lambda: admin_client.post(
            reverse("accounts:user_create"),
            {
                "email": "joerg.weiss@dak.de",
                "first_name": "Jörg",
                "last_name": "Weiß",
                "role": Role.DAK_MITARBEITER,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        ),
    )
    assert response.status_code == 200
    assert services.ACCOUNT_EXISTS_MESSAGE in response.content.decode()
    assert User.objects.filter(email="joerg.weiss@dak.de").count() == 1


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_domain_creation_gets_a_form_error(admin_client):
    _mariadb()
    response = _race(
        lambda: AllowedDomain.objects.create(domain="klinik-sued.example"),
        lambda: admin_client.post(
            reverse("accounts:domain_create"),
            {"domain": "Klinik-Sued.example", "role": Role.DAK_MITARBEITER},
        ),
    )
    assert response.status_code == 400
    assert services.DOMAIN_EXISTS_MESSAGE in response.content.decode()
    assert AllowedDomain.objects.filter(domain="klinik-sued.example").count() == 1


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_invitation_accept_gets_a_form_error_and_keeps_the_invitation(
    client, admin_user
):
    _mariadb()
    invitation, token = services.invitation_create(created_by=admin_user, role=Role.DAK_MITARBEITER)
    response = _race(
        _user("mia.mueller@praxis.example"),
        lambda: client.post(
            reverse("konto:invitation_accept", args=[token]),
            {
                "email": "mia.mueller@praxis.example",
                "first_name": "Mia",
                "last_name": "Müller",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        ),
    )
    assert response.status_code == 200
    assert "gibt es bereits ein Konto" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.used_at is None and invitation.expires_at > timezone.now()
    assert Invitation.objects.usable().filter(pk=invitation.pk).exists()
