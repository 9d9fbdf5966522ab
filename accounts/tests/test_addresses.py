"""One normal form for e-mail domains; look-alike domains never get an allowed domain's role."""

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.addresses import (
    DOMAIN_LOOKALIKE_MESSAGE,
    EMAIL_LOOKALIKE_MESSAGE,
    normalise_domain,
    normalise_email,
)
from accounts.models import AllowedDomain, OutboxEmail, Role, User
from accounts.services import role_for_email
from accounts.tests.conftest import PASSWORD, password_login
from accounts.tests.test_registration import signup

# Each of these looks like, or folds into, dak.de under some comparison; none is dak.de.
LOOKALIKE_SIGNUPS = [
    "x@dák.de",
    "x@däk.de",
    "x@ｄak.de",  # fullwidth d (U+FF44)
    "x@dak.dé",
    "x@dak.de.example.org",
    "x@ⅾak.de",  # small roman numeral five hundred (U+217E), NFKC → d
    "ｘ@dak.de",  # fullwidth local part
]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("dak.de", "dak.de"),
        ("  DAK.De ", "dak.de"),
        ("dák.de", "xn--dk-mia.de"),
        ("Müller-Praxis.de", "xn--mller-praxis-dlb.de"),
        # IDNA 2008 keeps ß; Python's IDNA 2003 codec would turn this into strasse.de.
        ("straße.de", "xn--strae-oqa.de"),
        ("xn--dk-mia.de", "xn--dk-mia.de"),
    ],
)
def test_domains_have_one_normal_form(typed, stored):
    assert normalise_domain(typed) == stored


@pytest.mark.parametrize(
    "typed", ["ｄak.de", "dak．de", "ﬁrma.de", "dak.\u00a0de", "dak.de\u0301", "ⅾak.de"]
)
def test_compatibility_characters_are_refused_not_mapped(typed):
    with pytest.raises(ValidationError) as error:
        normalise_domain(typed)
    assert error.value.messages == [DOMAIN_LOOKALIKE_MESSAGE]


@pytest.mark.parametrize(
    "typed", ["", "dak", "dak..de", "dak.de.", "x y.de", "a_b.de", "-dak.de", "dak\u00ad.de"]
)
def test_anything_else_that_is_no_domain_is_refused(typed):
    with pytest.raises(ValidationError):
        normalise_domain(typed)


def test_an_address_is_lower_cased_with_its_domain_in_a_labels():
    assert normalise_email(" Bea.Kühn@Müller-Praxis.DE ") == "bea.kühn@xn--mller-praxis-dlb.de"


@pytest.mark.django_db
@pytest.mark.parametrize("email", LOOKALIKE_SIGNUPS)
def test_lookalike_addresses_get_no_role(email):
    assert role_for_email(email) is None


@pytest.mark.django_db
@pytest.mark.parametrize("email", LOOKALIKE_SIGNUPS)
def test_a_lookalike_sign_up_is_refused_without_account_or_mail(
    client, email, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, email)
    assert response.status_code == 200
    content = response.content.decode()
    assert any(
        text in content
        for text in ("keine Registrierung möglich", EMAIL_LOOKALIKE_MESSAGE[:40], "gültige E-Mail")
    )
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert not OutboxEmail.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_fullwidth_address_is_told_why(client):
    response = signup(client, "x@ｄak.de")
    assert EMAIL_LOOKALIKE_MESSAGE[:40] in response.content.decode()


@pytest.mark.django_db
def test_an_allowed_idn_domain_registers_under_its_a_label(client):
    AllowedDomain.objects.create(domain="xn--mller-praxis-dlb.de", role=Role.DAK_MITARBEITER)
    response = signup(client, "Bea@Müller-Praxis.de")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "bea@xn--mller-praxis-dlb.de"
    assert user.role == Role.DAK_MITARBEITER


@pytest.mark.django_db
def test_login_accepts_any_case_and_the_unicode_spelling(client):
    User.objects.create_user(email="bea@xn--mller-praxis-dlb.de", password=PASSWORD)
    response = password_login(client, "BEA@Müller-Praxis.de")
    assert response.status_code == 302
    assert response["Location"] != reverse("account_login")
    assert client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_login_as_a_lookalike_of_an_existing_account_fails(client, dak_user):
    local, _, _ = dak_user.email.partition("@")
    response = password_login(client, f"{local}@dák.de")
    assert response.status_code == 200
    assert not client.session.get("_auth_user_id")


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ｄak.de", "dak.de\u0301"])
def test_the_domain_page_refuses_lookalikes(admin_client, typed):
    before = set(AllowedDomain.objects.values_list("domain", flat=True))
    response = admin_client.post(
        reverse("accounts:domain_create"), {"domain": typed, "role": Role.DAK_MITARBEITER}
    )
    assert response.status_code == 400
    assert set(AllowedDomain.objects.values_list("domain", flat=True)) == before


@pytest.mark.django_db
def test_the_domain_page_stores_the_normal_form(admin_client):
    response = admin_client.post(
        reverse("accounts:domain_create"), {"domain": "Müller-Praxis.DE", "role": "dak_mitarbeiter"}
    )
    assert response.status_code == 302
    assert AllowedDomain.objects.filter(domain="xn--mller-praxis-dlb.de").exists()


@pytest.mark.django_db
def test_the_domain_page_sees_an_existing_domain_in_another_spelling(admin_client):
    AllowedDomain.objects.create(domain="xn--mller-praxis-dlb.de")
    response = admin_client.post(
        reverse("accounts:domain_create"), {"domain": "MÜLLER-praxis.de", "role": "dak_mitarbeiter"}
    )
    assert response.status_code == 400
    assert "bereits freigegeben" in response.content.decode()


@pytest.mark.django_db
def test_the_django_admin_refuses_a_lookalike_domain(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_alloweddomain_add"),
        {"domain": "ｄak.de", "role": Role.DAK_MITARBEITER},
    )
    assert response.status_code == 200
    assert DOMAIN_LOOKALIKE_MESSAGE[:40] in response.content.decode()
    assert not AllowedDomain.objects.exclude(domain="dak.de").exists()


@pytest.mark.django_db
def test_the_django_admin_stores_the_normal_form(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_alloweddomain_add"),
        {"domain": "@Klinik-Süd.Example", "role": Role.DAK_MITARBEITER},
    )
    assert response.status_code == 302
    assert AllowedDomain.objects.filter(domain="xn--klinik-sd-x9a.example").exists()


@pytest.mark.django_db
def test_the_django_admin_refuses_a_lookalike_user_address(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "neu@ｄak.de",
            "role": Role.DAK_MITARBEITER,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email__endswith="@dak.de", email__startswith="neu").exists()
