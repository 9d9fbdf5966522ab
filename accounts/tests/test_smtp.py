"""Against a real SMTP server (aiosmtpd): mails queued while it is down arrive once it is up."""

import datetime as dt
import email
import email.policy
import socket

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import notifications
from accounts.models import NotificationType, OutboxEmail

pytestmark = pytest.mark.django_db


class Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return settings


def test_mails_queued_while_the_server_is_down_are_delivered_once_it_is_up(
    smtp_settings, admin_user, dak_user, other_dak, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(
            NotificationType.NEW_CASES_UPLOADED,
            actor=admin_user,
            title="3 neue Fälle",
            message="KW 6",
            link=reverse("home"),
        )
    # The request went through; both mails wait in the outbox.
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 2
    assert all("Error" in m.last_error for m in OutboxEmail.objects.all())

    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    server.start()
    try:
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
            call_command("send_notifications")
            call_command("send_notifications")
        with time_machine.travel(timezone.now() + dt.timedelta(hours=7)):
            call_command("send_notifications", "--now")
    finally:
        server.stop()

    recipients = sorted(rcpt for rcpts, _ in handler.messages for rcpt in rcpts)
    assert recipients == [dak_user.email, other_dak.email]
    subjects = {
        email.message_from_string(content, policy=email.policy.default)["Subject"]
        for _, content in handler.messages
    }
    assert subjects == {"[Zweitmeinungs-Portal] Neue Fälle importiert"}
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()
