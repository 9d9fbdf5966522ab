"""Changes made in the Django admin are audited (AuditedModelAdmin)."""

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AllowedDomain, AuditLog, Role, User

pytestmark = pytest.mark.django_db


def test_changing_a_user_in_the_admin_is_audited_with_old_and_new(admin_client, dak_user):
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[dak_user.pk]),
        {
            "email": dak_user.email,
            "first_name": "Dora",
            "last_name": "Dak",
            "role": Role.ADMIN,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditLog.objects.get(action=audit.ADMIN_CHANGED)
    assert entry.entity_type == "accounts.user"
    assert entry.old_values == {"role": "dak_mitarbeiter", "is_staff": False}
    assert entry.new_values == {"role": "admin", "is_staff": True}
    assert "password" not in entry.old_values


def test_adding_a_user_in_the_admin_is_audited_and_forces_a_new_password(admin_client):
    admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "neu@dak.de",
            "role": Role.DAK_MITARBEITER,
            "password1": "Sicheres-Testpasswort-2026",
            "password2": "Sicheres-Testpasswort-2026",
            "usable_password": "true",
        },
    )
    user = User.objects.get(email="neu@dak.de")
    assert user.must_change_password
    assert user.emailaddress_set.get().verified
    entry = AuditLog.objects.get(action=audit.ADMIN_CREATED)
    assert entry.entity_id == str(user.pk)
    assert "password" not in entry.new_values


def test_users_cannot_be_deleted_in_the_admin(admin_client, dak_user):
    response = admin_client.post(
        reverse("admin:accounts_user_delete", args=[dak_user.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=dak_user.pk).exists()


def test_an_admin_cannot_demote_themselves_in_the_admin(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[admin_user.pk]),
        {"email": admin_user.email, "role": Role.DAK_MITARBEITER, "is_active": "on"},
    )
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_deleting_in_the_admin_is_audited_with_the_old_values(admin_client):
    domain = AllowedDomain.objects.create(domain="weg.example")
    admin_client.post(
        reverse("admin:accounts_alloweddomain_delete", args=[domain.pk]), {"post": "yes"}
    )
    entry = AuditLog.objects.get(action=audit.ADMIN_DELETED)
    assert entry.old_values["domain"] == "weg.example"


def test_bulk_deleting_in_the_admin_audits_each_object(admin_client):
    first = AllowedDomain.objects.create(domain="a.example")
    second = AllowedDomain.objects.create(domain="b.example")
    admin_client.post(
        reverse("admin:accounts_alloweddomain_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    deleted = AuditLog.objects.filter(action=audit.ADMIN_DELETED)
    assert sorted(deleted.values_list("entity_id", flat=True)) == sorted(
        [str(first.pk), str(second.pk)]
    )


def test_a_password_set_in_the_admin_is_audited(admin_client, dak_user):
    admin_client.post(
        reverse("admin:auth_user_password_change", args=[dak_user.pk]),
        {"password1": "Ein-Neues-Passwort-2026", "password2": "Ein-Neues-Passwort-2026"},
    )
    dak_user.refresh_from_db()
    assert dak_user.check_password("Ein-Neues-Passwort-2026")
    assert AuditLog.objects.filter(
        action=audit.PASSWORD_CHANGED, entity_id=str(dak_user.pk)
    ).exists()


def test_the_admin_shows_no_totp_secrets(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    assert "otp_totp" not in content and "TOTP" not in content


def test_the_admin_login_forwards_to_the_portal_login(client):
    response = client.get(reverse("admin:login"))
    assert response["Location"].startswith(reverse("account_login"))
