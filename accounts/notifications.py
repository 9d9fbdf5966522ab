"""In-app notifications and their e-mail copies (domain.md §5).

`notify()` decides the recipients by type, stores one Notification per recipient and queues an
e-mail for each in the outbox. Callers pass texts without patient data: links carry primary
keys only, and the e-mail subject is the fixed label of the type.
"""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import outbox
from accounts.models import Notification, NotificationType, Role, User

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


def notify(type, *, actor=None, title, message, link="", obj=None):
    """Notify everyone who should hear about this event; returns the new notifications."""
    link = _safe_link(link)
    entity_type, entity_id = ("", "")
    if obj is not None:
        entity_type, entity_id = obj._meta.label_lower, str(obj.pk)
    label = NotificationType(type).label
    created = []
    with transaction.atomic():
        for user in recipients_for(type, actor=actor):
            body = render_to_string(
                "partials/notification_email.txt",
                {
                    "user": user,
                    "title": title,
                    "message": message,
                    "url": f"{settings.PORTAL_BASE_URL}{link}" if link else "",
                    "settings_url": settings.PORTAL_BASE_URL + reverse("konto:notification_list"),
                },
            )
            mail = outbox.enqueue(
                to=user.email,
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{label}",
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
    return Notification.objects.filter(recipient=user, read=False).count()


def mark_read(notification):
    if not notification.read:
        notification.read = True
        notification.read_at = timezone.now()
        notification.save(update_fields=["read", "read_at"])


def mark_all_read(user):
    return Notification.objects.filter(recipient=user, read=False).update(
        read=True, read_at=timezone.now()
    )
