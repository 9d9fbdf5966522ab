"""The outbox: stored first, sent after commit, retried with growing pauses, never twice."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts import outbox
from accounts.models import OutboxEmail

pytestmark = pytest.mark.django_db


class Broken(Exception):
    pass


@pytest.fixture
def smtp_down(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise Broken("Verbindung abgelehnt")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def test_the_pause_grows_and_is_capped():
    assert outbox.retry_pause(1) == dt.timedelta(minutes=1)
    assert outbox.retry_pause(2) == dt.timedelta(minutes=2)
    assert outbox.retry_pause(4) == dt.timedelta(minutes=8)
    assert outbox.retry_pause(30) == dt.timedelta(hours=6)


def test_a_failed_mail_waits_for_its_next_attempt(smtp_down):
    outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    assert outbox.deliver().failed == 1
    assert outbox.deliver().failed == 0  # not due yet
    assert OutboxEmail.objects.get().attempts == 1


def test_the_command_sends_due_mails_once(capsys):
    outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    outbox.enqueue(to="b@dak.de", subject="s", body="b", send=False)
    call_command("send_notifications")
    call_command("send_notifications")
    assert sorted(m.to[0] for m in mail.outbox) == ["a@dak.de", "b@dak.de"]
    assert "2 gesendet, 0 fehlgeschlagen" in capsys.readouterr().out


def test_the_command_retries_after_the_pause(smtp_down, monkeypatch):
    outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    with pytest.raises(SystemExit):
        call_command("send_notifications")
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        call_command("send_notifications")
    sent = OutboxEmail.objects.get()
    assert sent.sent_at and sent.attempts == 2 and sent.last_error == ""
    assert len(mail.outbox) == 1


def test_now_ignores_the_pause(smtp_down, monkeypatch):
    outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    outbox.deliver()
    monkeypatch.undo()
    call_command("send_notifications", "--now")
    assert len(mail.outbox) == 1


def test_a_mail_claimed_by_another_sender_is_left_alone():
    queued = outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    assert outbox._claim(queued.pk)
    assert outbox.deliver().sent == 0
    assert mail.outbox == []


def test_a_sender_that_died_gives_its_claim_back_after_five_minutes():
    queued = outbox.enqueue(to="a@dak.de", subject="s", body="b", send=False)
    outbox._claim(queued.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert outbox.deliver().sent == 1


def test_sensitive_mails_lose_their_text_once_sent():
    outbox.enqueue(
        to="a@dak.de", subject="s", body="Link mit Schlüssel", sensitive=True, send=False
    )
    outbox.deliver()
    assert OutboxEmail.objects.get().body == ""
    assert mail.outbox[0].body == "Link mit Schlüssel"


def test_html_alternatives_are_kept():
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("s", "text", to=["a@dak.de", "b@dak.de"])
    message.attach_alternative("<p>html</p>", "text/html")
    stored = outbox.enqueue_message(message)
    assert len(stored) == 2
    outbox.deliver()
    assert mail.outbox[0].alternatives[0][0] == "<p>html</p>"
