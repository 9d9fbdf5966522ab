import pytest

from imports.models import ImportLog, ImportType

pytestmark = pytest.mark.django_db


def make_log():
    return ImportLog.objects.create(
        file_name="crm.csv", import_type=ImportType.CRM_CSV, sha256="0" * 64, imported=3
    )


def test_the_import_log_is_shown_in_the_admin(admin_client):
    log = make_log()
    response = admin_client.get(f"/verwaltung/django/imports/importlog/{log.pk}/change/")
    assert response.status_code == 200
    assert "crm.csv" in response.content.decode()


def test_the_import_log_cannot_be_changed_or_deleted_in_the_admin(admin_client):
    log = make_log()
    response = admin_client.post(
        f"/verwaltung/django/imports/importlog/{log.pk}/change/", {"file_name": "x.csv"}
    )
    assert response.status_code == 403
    response = admin_client.post(
        f"/verwaltung/django/imports/importlog/{log.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.file_name == "crm.csv"
