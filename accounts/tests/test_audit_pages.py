import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog

pytestmark = pytest.mark.django_db
URL = reverse("accounts:audit_list")


def test_it_lists_entries_with_readable_old_and_new_values(admin_client, dak_user):
    audit.record(
        action=audit.USER_CHANGED,
        entity=dak_user,
        old={"rolle": "dak_mitarbeiter", "aktiv": True},
        new={"rolle": "admin", "aktiv": False},
    )
    content = admin_client.get(URL).content.decode()
    assert "Benutzer geändert" in content
    assert f"accounts.user #{dak_user.pk}" in content
    assert "dak_mitarbeiter" in content and "admin" in content
    assert "ja" in content and "nein" in content


def test_it_filters_by_user_action_entity_and_date(admin_client, admin_user, dak_user):
    audit.record(action=audit.LOGIN, user=dak_user, entity=dak_user)
    audit.record(action=audit.LOGOUT, user=admin_user, entity=admin_user)
    response = admin_client.get(URL, {"user": dak_user.pk, "action": audit.LOGIN})
    entries = list(response.context["page"].object_list)
    assert [e.action for e in entries] == [audit.LOGIN]
    response = admin_client.get(
        URL, {"entity_type": "accounts.user", "entity_id": str(admin_user.pk)}
    )
    assert {e.user for e in response.context["page"].object_list} == {admin_user}
    response = admin_client.get(URL, {"date_from": "2000-01-01", "date_to": "2000-01-02"})
    assert list(response.context["page"].object_list) == []


def test_it_pages_fifty_at_a_time(admin_client):
    AuditLog.objects.bulk_create(AuditLog(action="x") for _ in range(60))
    response = admin_client.get(URL)
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.num_pages >= 2
    assert "Seite 1 von" in response.content.decode()


def test_it_is_for_admins_only(dak_client):
    assert dak_client.get(URL).status_code == 403


def test_it_requires_login(client):
    assert client.get(URL)["Location"].startswith(reverse("account_login"))


def test_the_django_admin_shows_the_log_read_only(admin_client):
    entry = audit.record(action=audit.LOGIN, old={"a": 1}, new={"a": 2})
    changelist = reverse("admin:accounts_auditlog_changelist")
    response = admin_client.get(changelist, {"created_at__date__gte": "2000-01-01"})
    assert response.status_code == 200
    assert "Anmeldung" in response.content.decode()
    detail = admin_client.get(reverse("admin:accounts_auditlog_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:accounts_auditlog_add")).status_code == 403
    delete = admin_client.post(
        reverse("admin:accounts_auditlog_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_the_django_admin_filters_by_date_range(admin_client):
    audit.record(action=audit.LOGIN)
    changelist = reverse("admin:accounts_auditlog_changelist")
    response = admin_client.get(
        changelist, {"created_at__date__gte": "2000-01-01", "created_at__date__lte": "2000-12-31"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
