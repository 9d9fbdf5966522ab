"""E-mail outbox: every mail is stored first, then sent after the transaction commits.

When the SMTP server is unreachable the request goes on; the mail stays pending and
`manage.py send_notifications` (a timer) tries again with growing pauses until it is sent.
A row is claimed before it is sent, so two senders never deliver the same mail twice.
Logs name outbox ids and error classes only, never addresses, subjects or text.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import OutboxEmail

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300
MAX_PAUSE = timedelta(hours=6)


def retry_pause(attempts):
    """1, 2, 4, … minutes after the 1st, 2nd, 3rd … failure, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_PAUSE)


def enqueue(*, to, subject, body, html_body="", kind="mail", sensitive=False, send=True):
    """Store one mail in the outbox; unless send=False, try it once the transaction commits."""
    mail = OutboxEmail.objects.create(
        kind=kind[:100],
        to=to,
        subject=" ".join(subject.splitlines())[:255],
        body=body,
        html_body=html_body,
        sensitive=sensitive,
    )
    if send:
        send_after_commit([mail.pk])
    return mail


def enqueue_message(message, *, kind="mail", sensitive=False):
    """Store a Django EmailMessage (one row per recipient) and send after commit."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = content
    body = message.body
    if getattr(message, "content_subtype", "plain") == "html":
        html, body = body, ""
    mails = [
        enqueue(
            to=recipient,
            subject=message.subject,
            body=body,
            html_body=html,
            kind=kind,
            sensitive=sensitive,
            send=False,
        )
        for recipient in message.to
    ]
    send_after_commit([mail.pk for mail in mails])
    return mails


def send_after_commit(ids):
    if ids:
        transaction.on_commit(partial(_send_quietly, list(ids)))


def _send_quietly(ids):
    # Runs after the user's transaction committed: nothing here may fail their request.
    try:
        deliver(ids=ids)
    except Exception:
        logger.exception("outbox: sending %s after commit failed; the timer retries", ids)


@dataclass
class Result:
    sent: int = 0
    failed: int = 0

    def __str__(self):
        return f"{self.sent} gesendet, {self.failed} fehlgeschlagen"


def deliver(*, ids=None, limit=500, ignore_schedule=False):
    """Send due mails (or the given ids) over one SMTP connection; returns counts."""
    now = timezone.now()
    candidates = OutboxEmail.objects.filter(sent_at__isnull=True)
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    if not ignore_schedule:
        candidates = candidates.filter(next_attempt_at__lte=now)
    due = list(candidates.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    result = Result()
    if not due:
        return result
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        # The server is unreachable: every due mail counts one failed attempt.
        for pk in due:
            if _claim(pk):
                _failed(pk, exc)
                result.failed += 1
        logger.warning("outbox: SMTP unreachable (%s); %d mails wait", type(exc).__name__, len(due))
        return result
    try:
        for pk in due:
            if not _claim(pk):
                continue
            mail = OutboxEmail.objects.get(pk=pk)
            try:
                _as_message(mail, connection).send()
            except Exception as exc:
                _failed(pk, exc)
                result.failed += 1
                logger.warning("outbox: mail %s failed (%s)", pk, type(exc).__name__)
            else:
                _sent(mail)
                result.sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("outbox: closing the SMTP connection failed")
    return result


def _claim(pk):
    """Take one pending mail for this sender; False if another sender has it or it is sent."""
    now = timezone.now()
    return bool(
        OutboxEmail.objects.filter(pk=pk, sent_at__isnull=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )


def _sent(mail):
    changes = {"sent_at": timezone.now(), "locked_until": None, "last_error": ""}
    if mail.sensitive:
        # A reset link or invitation token has no business staying in the database.
        changes.update(body="", html_body="")
    OutboxEmail.objects.filter(pk=mail.pk).update(**changes)


def _failed(pk, exc):
    attempts = OutboxEmail.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 1
    OutboxEmail.objects.filter(pk=pk).update(
        locked_until=None,
        last_error=f"{type(exc).__name__}: {exc}"[:1000],
        next_attempt_at=timezone.now() + retry_pause(attempts),
    )


def _as_message(mail, connection):
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        connection=connection,
        headers={"X-Portal-Outbox-Id": str(mail.pk)},
    )
    if mail.html_body:
        if mail.body:
            message.attach_alternative(mail.html_body, "text/html")
        else:
            message.body = mail.html_body
            message.content_subtype = "html"
    return message
