"""No browser or proxy keeps a copy of a page with health data (issue 11 §2).

accounts.middleware.NoStoreMiddleware sends `Cache-Control: no-store, private` on every
response to a logged-in user and on every HTML page.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import notifications
from accounts.models import NotificationType
from imports.models import ImportLog, ImportPreview, ImportType

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "imports" / "tests" / "fixtures"


def assert_no_store(response):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, response.get("Cache-Control")


@pytest.fixture
def import_log(admin_user):
    return ImportLog.objects.create(
        file_name="crm_kw13.csv", import_type=ImportType.CRM_CSV, sha256="1" * 64, user=admin_user
    )


def test_the_import_preview(admin_client):
    data = (FIXTURES / "crm_edge_cases.csv").read_bytes()
    admin_client.post(
        reverse("imports:csv"), {"file": SimpleUploadedFile("crm_edge_cases.csv", data)}
    )
    preview = ImportPreview.objects.get()
    response = admin_client.get(reverse("imports:preview", args=[preview.pk]))
    assert response.status_code == 200
    assert_no_store(response)


def test_the_import_log_detail(admin_client, import_log):
    response = admin_client.get(reverse("imports:log_detail", args=[import_log.pk]))
    assert response.status_code == 200
    assert_no_store(response)


def test_the_audit_log(admin_client):
    response = admin_client.get(reverse("accounts:audit_list"))
    assert response.status_code == 200
    assert_no_store(response)


def test_the_notification_pages(dak_client, admin_user, import_log):
    notifications.notify(
        NotificationType.NEW_CASES_UPLOADED,
        actor=admin_user,
        title="Neue Fälle importiert",
        message="3 neue Fälle.",
        obj=import_log,
    )
    for name in ("konto:notification_list", "konto:notification_menu", "konto:notification_badge"):
        response = dak_client.get(reverse(name))
        assert response.status_code == 200
        assert_no_store(response)


@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:imports_importlog_changelist",
        "admin:accounts_auditlog_changelist",
        "admin:cases_case_changelist",
    ],
)
def test_the_django_admin(admin_client, name):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert_no_store(response)


def test_a_json_answer_to_a_logged_in_user(dak_client):
    # Not HTML, but personal: the unread count of this user.
    response = dak_client.get(reverse("konto:notification_badge"), HTTP_ACCEPT="application/json")
    assert_no_store(response)


def test_the_public_login_page(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert_no_store(response)
