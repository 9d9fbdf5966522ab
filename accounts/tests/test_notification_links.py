"""Every notification opens a page its recipient may open; mail links follow the request (§6)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import notifications
from accounts.models import Notification, NotificationType, OutboxEmail, Role, User
from cases.models import Case
from cases.tests.factories import make_case
from conftest import login_verified
from imports.models import ImportLog, ImportPreview
from imports.tests.test_views_icd_upload import workbook

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "imports" / "tests" / "fixtures"
# The portal as someone reaches it on another port than PORTAL_BASE_URL's.
OTHER_HOST = "127.0.0.1:8123"


def client_of(user):
    return login_verified(Client(), user)


def open_notification(user, notification):
    """What the recipient gets when clicking it: the page behind the link."""
    client = client_of(user)
    response = client.post(reverse("konto:notification_open", args=[notification.pk]))
    assert response.status_code == 302
    return client.get(response["Location"])


def upload_and_confirm_crm(admin_client):
    data = (FIXTURES / "crm_edge_cases.csv").read_bytes()
    admin_client.post(
        reverse("imports:csv"),
        {"file": SimpleUploadedFile("crm_edge_cases.csv", data)},
        HTTP_HOST=OTHER_HOST,
    )
    preview = ImportPreview.objects.get()
    response = admin_client.post(
        reverse("imports:preview_confirm", args=[preview.pk]), HTTP_HOST=OTHER_HOST
    )
    assert response.status_code == 302


def test_new_cases_open_a_page_dak_staff_may_open(admin_client, dak_user, other_dak):
    upload_and_confirm_crm(admin_client)
    received = Notification.objects.filter(type=NotificationType.NEW_CASES_UPLOADED)
    assert {n.recipient for n in received} == {dak_user, other_dak}
    for notification in received:
        page = open_notification(notification.recipient, notification)
        assert page.status_code == 200
        # The case list filtered to exactly the cases this import created.
        created = Case.objects.filter(import_log__isnull=False)
        assert created.count() == 6
        for case in created:
            assert reverse("cases:detail", args=[case.pk]) in page.content.decode()
        assert "6 Fälle aus dem Import vom" in page.content.decode()


def test_notification_mails_link_to_the_host_and_port_of_the_request(admin_client, dak_user):
    upload_and_confirm_crm(admin_client)
    mail = OutboxEmail.objects.get(to=dak_user.email, kind__startswith="notification:")
    log = ImportLog.objects.get()
    assert f"http://{OTHER_HOST}{reverse('cases:list')}?import={log.pk}" in mail.body
    assert f"http://{OTHER_HOST}{reverse('konto:notification_list')}" in mail.body
    assert settings.PORTAL_BASE_URL not in mail.body


def test_outside_a_request_mails_link_to_the_portal_base_url(dak_user, admin_user):
    notifications.notify(
        NotificationType.NEW_CASES_UPLOADED,
        actor=admin_user,
        title="Neue Fälle importiert",
        message="",
        link=reverse("home"),
    )
    mail = OutboxEmail.objects.get(to=dak_user.email)
    assert f"{settings.PORTAL_BASE_URL}{reverse('home')}" in mail.body


def test_an_icd_upload_by_dak_staff_opens_for_the_admins(dak_client, admin_user):
    case = make_case(nachname="Kühn")
    response = dak_client.post(
        reverse("imports:icd"),
        {"file": SimpleUploadedFile("Codierung.xlsx", workbook([(case.fall_id, "C50.1")]))},
    )
    assert response.status_code == 200
    notification = Notification.objects.get(type=NotificationType.ICD_UPLOADED)
    assert notification.recipient == admin_user
    assert open_notification(admin_user, notification).status_code == 200


@pytest.mark.parametrize("type", list(NotificationType))
def test_every_type_opens_for_every_recipient_role(type, dak_user, other_dak, admin_user):
    second_admin = User.objects.create_user(email="zweite@anbieter.example", role=Role.ADMIN)
    created = notifications.notify(type, title="Test", message="", link=reverse("home"))
    assert {n.recipient.role for n in created} == set(notifications.RECIPIENTS[type])
    for notification in created:
        assert notification.recipient in {dak_user, other_dak, admin_user, second_admin}
        assert open_notification(notification.recipient, notification).status_code == 200


@pytest.mark.parametrize(
    "type", [t for t in NotificationType if Role.DAK_MITARBEITER in notifications.RECIPIENTS[t]]
)
def test_a_link_closed_to_a_recipient_is_refused(type, dak_user, admin_user):
    with pytest.raises(ValueError, match="closed to role"):
        notifications.notify(type, title="Test", message="", link=reverse("imports:log_list"))
    assert not Notification.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_a_link_to_no_page_is_refused(admin_user):
    with pytest.raises(ValueError, match="no page"):
        notifications.notify(
            NotificationType.ICD_ENTERED, title="Test", message="", link="/gibt-es-nicht/"
        )
