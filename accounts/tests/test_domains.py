import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AllowedDomain, AuditLog, Role

pytestmark = pytest.mark.django_db


def test_the_page_lists_allowed_domains(admin_client):
    assert "dak.de" in admin_client.get(reverse("accounts:domain_list")).content.decode()


def test_an_admin_allows_a_domain_and_it_is_audited(admin_client):
    response = admin_client.post(
        reverse("accounts:domain_create"),
        {"domain": "@Klinik.Example", "role": Role.DAK_MITARBEITER},
    )
    assert response.status_code == 302
    assert AllowedDomain.objects.filter(domain="klinik.example").exists()
    entry = AuditLog.objects.get(action=audit.DOMAIN_CREATED)
    assert entry.new_values == {"domain": "klinik.example", "rolle": Role.DAK_MITARBEITER}


def test_the_admin_role_is_not_offered_and_not_accepted(admin_client):
    page = admin_client.get(reverse("accounts:domain_list")).content.decode()
    assert 'value="admin"' not in page
    response = admin_client.post(
        reverse("accounts:domain_create"), {"domain": "x.example", "role": Role.ADMIN}
    )
    assert response.status_code == 400
    assert not AllowedDomain.objects.filter(domain="x.example").exists()


@pytest.mark.parametrize("value", ["", "dak", "dak..de", "x y.de", "dak.de"])
def test_invalid_or_duplicate_domains_are_refused(admin_client, value):
    before = AllowedDomain.objects.count()
    response = admin_client.post(
        reverse("accounts:domain_create"), {"domain": value, "role": Role.DAK_MITARBEITER}
    )
    assert response.status_code == 400
    assert AllowedDomain.objects.count() == before


def test_an_admin_removes_a_domain_and_it_is_audited(admin_client):
    domain = AllowedDomain.objects.get(domain="dak.de")
    admin_client.post(reverse("accounts:domain_delete", args=[domain.pk]))
    assert not AllowedDomain.objects.filter(domain="dak.de").exists()
    assert AuditLog.objects.get(action=audit.DOMAIN_DELETED).old_values["domain"] == "dak.de"


@pytest.mark.parametrize("name,args", [("domain_create", []), ("domain_delete", ["pk"])])
def test_mutating_domain_views_reject_get_non_admins_and_strangers(
    name, args, client, admin_client, dak_user
):
    pk = AllowedDomain.objects.get(domain="dak.de").pk
    url = reverse(f"accounts:{name}", args=[pk] if args else [])
    assert admin_client.get(url).status_code == 405
    admin_client.logout()
    client.force_login(dak_user)
    assert (
        client.post(url, {"domain": "y.example", "role": Role.DAK_MITARBEITER}).status_code == 403
    )
    client.logout()
    assert client.post(url)["Location"].startswith(reverse("account_login"))
    assert AllowedDomain.objects.filter(domain="dak.de").exists()
    assert not AllowedDomain.objects.filter(domain="y.example").exists()
