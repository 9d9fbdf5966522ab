"""Self-registration: only for allowed domains (with mandatory e-mail confirmation)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts import audit
from accounts.forms import NOT_ALLOWED_MESSAGE
from accounts.models import AllowedDomain, AuditLog, OutboxEmail, Role, User
from accounts.tests.conftest import PASSWORD, password_login

pytestmark = pytest.mark.django_db
SIGNUP = reverse("account_signup")


def signup(client, email, password=PASSWORD, **extra):
    data = {
        "first_name": "Bea",
        "last_name": "Beispiel",
        "email": email,
        "password1": password,
        "password2": password,
        **extra,
    }
    return client.post(SIGNUP, data)


def test_dak_de_is_allowed_after_migrating():
    assert AllowedDomain.objects.get(domain="dak.de").role == Role.DAK_MITARBEITER


def test_an_address_of_an_allowed_domain_can_register(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Neu.Person@DAK.de")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="neu.person@dak.de")
    assert user.role == Role.DAK_MITARBEITER
    assert (user.first_name, user.last_name) == ("Bea", "Beispiel")
    entry = AuditLog.objects.get(action=audit.SIGNUP)
    assert entry.new_values["weg"] == "freigegebene Domain"


@pytest.mark.parametrize(
    "email",
    ["x@evildak.de", "x@dak.de.evil.com", "x@sub.dak.de", "x@gmail.com", "x@dak.de@evil.com"],
)
def test_any_other_address_gets_a_clear_message_and_nothing_is_created(client, email):
    response = signup(client, email)
    assert response.status_code == 200
    content = response.content.decode()
    assert "keine Registrierung möglich" in content or "gültige E-Mail" in content
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_message_names_the_alternatives(client):
    response = signup(client, "x@evildak.de")
    assert NOT_ALLOWED_MESSAGE.split(".")[0] in response.content.decode()


def test_the_role_comes_from_the_domain(client):
    AllowedDomain.objects.create(domain="klinik.example", role=Role.DAK_MITARBEITER)
    signup(client, "a@klinik.example")
    assert User.objects.get().role == Role.DAK_MITARBEITER


def test_a_domain_can_never_grant_admin():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AllowedDomain.objects.create(domain="anbieter.example", role=Role.ADMIN)


def test_the_address_must_be_confirmed_before_the_first_login(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "neu@dak.de")
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        response = password_login(client, "neu@dak.de")
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("home")).status_code == 302
    link = re.search(r"https?://\S+/confirm-email/\S+/", mailoutbox[0].body).group(0)
    # Opening the link (as a mail scanner would) does not confirm it; the button does.
    page = client.get(link)
    assert "Bestätigen" in page.content.decode()
    assert not EmailAddress.objects.get(email="neu@dak.de").verified
    client.post(link)
    assert EmailAddress.objects.get(email="neu@dak.de").verified
    password_login(client, "neu@dak.de")
    assert client.get(reverse("home")).status_code == 200


def test_the_confirmation_mail_goes_through_the_outbox(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "neu@dak.de")
    mail = OutboxEmail.objects.get(to="neu@dak.de")
    assert mail.sent_at is not None
    assert mail.sensitive and mail.body == ""  # the key is gone once sent
    assert (
        mailoutbox[0].subject == "[Zweitmeinungs-Portal] Bitte bestätigen Sie Ihre E-Mail-Adresse"
    )
    assert "Sie" in mailoutbox[0].body and " du " not in mailoutbox[0].body


def test_registering_an_existing_address_does_not_reveal_it(
    client, dak_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, dak_user.email)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert mailoutbox[0].subject.endswith("Sie haben bereits ein Konto")


def test_weak_passwords_are_refused(client):
    for password in ("kurz", "password1234", "123456789012", "neu@dak.de-neu"):
        response = signup(client, "neu@dak.de", password=password)
        assert response.status_code == 200
    assert not User.objects.exists()


def test_registration_closes_when_no_domain_is_allowed(client):
    AllowedDomain.objects.all().delete()
    response = client.get(SIGNUP)
    assert "Registrierung geschlossen" in response.content.decode()
    signup(client, "neu@dak.de")
    assert not User.objects.exists()


def test_the_email_page_does_not_add_addresses(dak_client, dak_user):
    response = dak_client.post(
        reverse("account_email"), {"action_add": "", "email": "privat@gmail.com"}
    )
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="privat@gmail.com").exists()
