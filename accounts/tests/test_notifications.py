"""notify(): recipients per type (domain.md §5), the outbox, and the bell/list pages."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import notifications
from accounts.models import Notification, NotificationType, OutboxEmail, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(dak_user, admin_user, other_dak):
    inactive = User.objects.create_user(
        email="weg@dak.de", role=Role.DAK_MITARBEITER, is_active=False
    )
    second_admin = User.objects.create_user(email="admin2@anbieter.example", role=Role.ADMIN)
    return {"inactive": inactive, "second_admin": second_admin}


def recipients(type, actor=None):
    return {u.email for u in notifications.recipients_for(type, actor=actor)}


def test_new_cases_go_to_all_active_dak_staff(staff, dak_user, other_dak, admin_user):
    assert recipients(NotificationType.NEW_CASES_UPLOADED, actor=admin_user) == {
        dak_user.email,
        other_dak.email,
    }


@pytest.mark.parametrize("type", [NotificationType.ICD_ENTERED, NotificationType.ICD_UPLOADED])
def test_icd_events_go_to_all_active_admins(type, staff, dak_user, admin_user):
    assert recipients(type, actor=dak_user) == {admin_user.email, "admin2@anbieter.example"}


def test_a_report_goes_to_all_active_users_except_who_made_it(staff, admin_user):
    got = recipients(NotificationType.REPORT_READY, actor=admin_user)
    assert admin_user.email not in got
    assert got == {"dak.user@dak.de", "kollegin@dak.de", "admin2@anbieter.example"}


def test_completed_coding_goes_to_dak_staff(staff, dak_user, other_dak):
    assert recipients(NotificationType.CODING_COMPLETED) == {dak_user.email, other_dak.email}


def test_unknown_types_are_refused():
    with pytest.raises(ValueError):
        notifications.notify("gibt_es_nicht", title="x", message="y")


def test_notify_stores_one_notification_and_one_mail_per_recipient(staff, admin_user, dak_user):
    created = notifications.notify(
        NotificationType.ICD_ENTERED,
        actor=dak_user,
        title="ICD-Codes zu Fall 17 eingetragen",
        message="Bitte prüfen.",
        link=reverse("imports:log_list"),
        obj=dak_user,
    )
    assert {n.recipient for n in created} == {admin_user, staff["second_admin"]}
    first = created[0]
    assert (first.entity_type, first.entity_id) == ("accounts.user", str(dak_user.pk))
    assert not first.read and not first.email_sent and first.attempts == 0
    assert OutboxEmail.objects.count() == 2


def test_the_mail_subject_is_the_fixed_label_never_the_title(admin_user, dak_user):
    notifications.notify(
        NotificationType.ICD_ENTERED,
        actor=dak_user,
        title="Müller, Hans – C50.1",
        message="",
        link=reverse("imports:log_list"),
    )
    outgoing = OutboxEmail.objects.get()
    assert outgoing.subject == "[Zweitmeinungs-Portal] ICD-Codes eingetragen"
    assert "http://127.0.0.1:8000/import/protokoll/" in outgoing.body


def test_links_must_stay_inside_the_portal(admin_user):
    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            notifications.notify(NotificationType.REPORT_READY, title="x", message="", link=link)


def test_the_mail_is_sent_after_the_commit(
    admin_user, dak_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.notify(NotificationType.ICD_ENTERED, actor=dak_user, title="t", message="m")
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_sent


def test_an_unreachable_smtp_server_keeps_the_mail_and_fails_no_request(
    admin_user, dak_user, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(NotificationType.ICD_ENTERED, actor=dak_user, title="t", message="m")
    outgoing = OutboxEmail.objects.get()
    assert outgoing.sent_at is None
    assert outgoing.attempts == 1
    assert "Error" in outgoing.last_error
    assert outgoing.next_attempt_at > outgoing.created_at
    assert Notification.objects.get().last_error == outgoing.last_error


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def inbox(dak_user, admin_user):
    notifications.notify(
        NotificationType.NEW_CASES_UPLOADED,
        actor=admin_user,
        title="12 neue Fälle",
        message="KW 6",
        link=reverse("home"),
    )
    notifications.notify(
        NotificationType.REPORT_READY, actor=admin_user, title="Bericht KW 6", message=""
    )
    return Notification.objects.filter(recipient=dak_user)


def test_the_unread_count_is_the_user_s_own_unread_notifications(dak_user, admin_user, inbox):
    others = Notification.objects.exclude(recipient=dak_user)
    assert notifications.unread_count(dak_user) == 2
    notifications.mark_read(inbox.get(title="Bericht KW 6"))
    assert notifications.unread_count(dak_user) == 1
    assert (
        notifications.unread_count(admin_user)
        == others.filter(recipient=admin_user, read=False).count()
    )
    notifications.mark_all_read(dak_user)
    assert notifications.unread_count(dak_user) == 0


def test_the_header_shows_the_unread_count(dak_client, inbox):
    content = dak_client.get(reverse("home")).content.decode()
    assert 'data-testid="notification-count">2<' in content
    assert 'hx-trigger="every 30s' in content


def test_the_badge_partial_shows_the_count(dak_client, inbox):
    response = dak_client.get(reverse("konto:notification_badge"), HTTP_HX_REQUEST="true")
    assert ">2<" in response.content.decode()
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("name", ["konto:notification_badge", "konto:notification_menu"])
def test_the_bell_s_partials_count_the_unread_once(dak_client, inbox, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = dak_client.get(reverse(name), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "notification" in q["sql"]]
    assert len(counts) == 1, counts


def test_the_menu_lists_the_newest(dak_client, inbox):
    content = dak_client.get(reverse("konto:notification_menu")).content.decode()
    assert content.index("Bericht KW 6") < content.index("12 neue Fälle")


def test_the_list_shows_only_own_notifications(dak_client, inbox, other_dak):
    notifications.notify(
        NotificationType.CODING_COMPLETED, title="Nur für andere", message="", actor=None
    )
    Notification.objects.filter(title="Nur für andere", recipient__email="dak.user@dak.de").delete()
    content = dak_client.get(reverse("konto:notification_list")).content.decode()
    assert "12 neue Fälle" in content and "Nur für andere" not in content


def test_the_list_filters_unread(dak_client, inbox):
    notifications.mark_read(inbox.get(title="Bericht KW 6"))
    page = dak_client.get(reverse("konto:notification_list"), {"ungelesen": "1"}).context["page"]
    assert [n.title for n in page.object_list] == ["12 neue Fälle"]


def test_opening_marks_read_and_goes_to_the_object(dak_client, inbox):
    item = inbox.get(title="12 neue Fälle")
    response = dak_client.post(reverse("konto:notification_open", args=[item.pk]))
    assert response["Location"] == reverse("home")
    item.refresh_from_db()
    assert item.read and item.read_at


def test_one_cannot_open_someone_elses_notification(dak_client, other_dak, admin_user):
    theirs = notifications.notify(NotificationType.CODING_COMPLETED, title="x", message="")
    theirs = next(n for n in theirs if n.recipient == other_dak)
    assert dak_client.post(reverse("konto:notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.read


def test_all_can_be_marked_read(dak_client, inbox):
    response = dak_client.post(reverse("konto:notification_read_all"), HTTP_HX_REQUEST="true")
    assert "Keine" not in response.content.decode()
    assert not inbox.filter(read=False).exists()


@pytest.mark.parametrize(
    "name,args", [("notification_open", True), ("notification_read_all", False)]
)
def test_mutating_notification_views_reject_get_and_strangers(
    name, args, client, dak_client, inbox
):
    url = reverse(f"konto:{name}", args=[inbox.first().pk] if args else [])
    assert dak_client.get(url).status_code == 405
    dak_client.logout()
    assert client.post(url)["Location"].startswith(reverse("account_login"))
    assert not inbox.filter(read=True).exists()
