"""In-app notifications and their e-mail copies (domain.md §5).

`notify()` decides the recipients by type, stores one Notification per recipient and queues an
e-mail for each in the outbox. Callers pass texts without patient data: links carry primary
keys only (built with `reverse()`), and the e-mail subject is the fixed label of the type.

Every link must open for every recipient: `notify()` resolves it and refuses (ValueError, a
programming error caught by the tests) a page whose permission rule a recipient does not meet.
E-mail links are absolute from the actor's request where there is one (the portal may run on
another host or port than PORTAL_BASE_URL), from PORTAL_BASE_URL outside a request.
"""

import functools
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts import outbox
from accounts.actor import Actor
from accounts.models import Notification, NotificationType, Role, User
from accounts.permissions import user_may
from accounts.services import absolute_url, email_subject

RECIPIENTS = {
    NotificationType.NEW_CASES_UPLOADED: {Role.DAK_MITARBEITER},
    NotificationType.ICD_ENTERED: {Role.ADMIN},
    NotificationType.ICD_UPLOADED: {Role.ADMIN},
    NotificationType.REPORT_READY: {Role.ADMIN, Role.DAK_MITARBEITER},
    NotificationType.CODING_COMPLETED: {Role.DAK_MITARBEITER},
}


def recipients_for(type, *, actor=None):
    """Active users who get a notification of this type; never the actor themselves."""
    if type not in RECIPIENTS:
        raise ValueError(f"unknown notification type {type!r}")
    users = User.objects.filter(is_active=True, role__in=RECIPIENTS[type]).order_by("pk")
    if actor is not None and getattr(actor, "pk", None):
        users = users.exclude(pk=actor.pk)
    return list(users)


def _safe_link(link):
    # Only paths inside the portal: no other host, no javascript: URLs.
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("a notification link must be a path inside the portal")
    return link


def _check_recipients_may_open(link, recipients):
    """ValueError unless link is a portal page every recipient may open."""
    if not link:
        return
    try:
        match = resolve(urlsplit(link).path)
    except Resolver404 as error:
        raise ValueError(f"notification link {link!r} is no page of the portal") from error
    rule = getattr(match.func, "permission_rule", None)
    if rule is None:
        raise ValueError(f"notification link {link!r} leads to a view without a permission rule")
    refused = sorted({user.role for user in recipients if not user_may(user, rule)})
    if refused:
        raise ValueError(f"notification link {link!r} ({rule}) is closed to role(s) {refused}")


def _as_actor(actor):
    # Callers pass an accounts.actor.Actor (views: with the request) or a bare user.
    if actor is None or isinstance(actor, Actor):
        return actor
    return Actor(user=actor)


def notify(type, *, actor=None, title, message, link="", obj=None):
    """Notify everyone who should hear about this event; returns the new notifications."""
    type = NotificationType(type) if type in RECIPIENTS else type
    link = _safe_link(link)
    actor = _as_actor(actor)
    recipients = recipients_for(type, actor=actor.user if actor else None)
    _check_recipients_may_open(link, recipients)
    request = actor.request if actor else None
    entity_type, entity_id = ("", "")
    if obj is not None:
        entity_type, entity_id = obj._meta.label_lower, str(obj.pk)
    url = absolute_url(link, request) if link else ""
    settings_url = absolute_url(reverse("konto:notification_list"), request)
    created = []
    with transaction.atomic():
        for user in recipients:
            body = render_to_string(
                "partials/notification_email.txt",
                {
                    "user": user,
                    "title": title,
                    "message": message,
                    "url": url,
                    "settings_url": settings_url,
                },
            )
            mail = outbox.enqueue(
                to=user.email,
                subject=email_subject(type.label),
                body=body,
                kind=f"notification:{type}",
                send=False,
            )
            created.append(
                Notification.objects.create(
                    recipient=user,
                    type=type,
                    title=title[:200],
                    message=message,
                    link=link,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    email=mail,
                )
            )
        outbox.send_after_commit([n.email_id for n in created])
    return created


def send_pending(*, ignore_schedule=False):
    """Send every due mail of the outbox (notifications and account mails); for the timer."""
    return outbox.deliver(ignore_schedule=ignore_schedule)


def unread_count(user):
    """The bell's number, on every page. One plain COUNT: the ORM's ``count()`` spent ~0.3 ms
    a page building the query, five times what the statement itself costs (docs/decisions.md,
    "Page speed under load"); the names come from the model."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user.pk, False])
        return cursor.fetchone()[0]


@functools.cache
def _unread_count_sql():
    meta, quote = Notification._meta, connection.ops.quote_name
    recipient, read = meta.get_field("recipient").column, meta.get_field("read").column
    return (
        f"SELECT COUNT(*) FROM {quote(meta.db_table)} "  # noqa: S608 - model names, no input
        f"WHERE {quote(recipient)} = %s AND {quote(read)} = %s"
    )


def mark_read(notification):
    if not notification.read:
        notification.read = True
        notification.read_at = timezone.now()
        notification.save(update_fields=["read", "read_at"])


def mark_all_read(user):
    return Notification.objects.filter(recipient=user, read=False).update(
        read=True, read_at=timezone.now()
    )
