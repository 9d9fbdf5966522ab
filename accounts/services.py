"""Use cases of user administration: accounts, invitations, allowed domains, locks.

Views and management commands call these; each writes its audit entry in the same transaction.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import audit, lockout, outbox
from accounts.addresses import email_domain
from accounts.models import AllowedDomain, Invitation, Role, User
from accounts.sessions import end_sessions

ACCOUNT_EXISTS_MESSAGE = "Für diese E-Mail-Adresse gibt es bereits ein Konto."
EMAIL_TAKEN_MESSAGE = (
    "Für diese E-Mail-Adresse gibt es bereits ein Konto. Melden Sie sich an oder setzen Sie "
    "Ihr Passwort zurück."
)
DOMAIN_EXISTS_MESSAGE = "Diese Domain ist bereits freigegeben."

USER_FIELDS = ("email", "first_name", "last_name", "role", "is_active", "must_change_password")


def absolute_url(path, request=None):
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.PORTAL_BASE_URL}{path}"


def email_subject(subject):
    return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"


def send_template_mail(template, to, context, *, kind, sensitive=False):
    """Render <template>_subject.txt / _message.txt and queue the mail in the outbox."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}_message.txt", context)
    return outbox.enqueue(
        to=to,
        subject=email_subject(subject),
        body=body,
        kind=kind,
        sensitive=sensitive,
    )


def save_unique(write, *, field, message):
    """write() in a savepoint; a unique key taken meanwhile (a concurrent request got there
    between the form's check and the INSERT) becomes a German error for `field`, not a 500.

    The forms check first, so this is only the race; the caller's transaction is left usable.
    """
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as error:
        raise ValidationError({field: ValidationError(message, code="taken")}) from error


def role_for_email(email):
    """The role an allowed domain grants, or None when the domain is not allowed.

    The domain is compared in its normal form (accounts.addresses); an address with look-alike
    characters has none and gets no role.
    """
    domain = email_domain(email)
    allowed = AllowedDomain.objects.filter(domain=domain).first() if domain else None
    return allowed.role if allowed else None


def set_verified_email(user):
    """The user's login address as their one verified, primary allauth address."""
    EmailAddress.objects.filter(user=user).exclude(email=user.email).delete()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def user_create(
    *,
    email,
    password,
    role,
    first_name="",
    last_name="",
    must_change_password=True,
    send_welcome=False,
    created_by=None,
    request=None,
):
    """Create an account an admin (or `createadmin`) vouches for: its address counts as verified."""
    with transaction.atomic():
        user = save_unique(
            lambda: User.objects.create_user(
                email=email,
                password=password,
                role=role,
                first_name=first_name,
                last_name=last_name,
                must_change_password=must_change_password,
            ),
            field="email",
            message=ACCOUNT_EXISTS_MESSAGE,
        )
        set_verified_email(user)
        audit.record(
            action=audit.USER_CREATED,
            user=created_by,
            entity=user,
            new=audit.model_values(user, USER_FIELDS),
            request=request,
        )
        if send_welcome:
            send_template_mail(
                "accounts/email/welcome",
                user.email,
                {"user": user, "login_url": absolute_url(reverse("account_login"), request)},
                kind="welcome",
            )
    return user


def user_update(user, *, data, acting_user, request=None):
    """Apply an admin's changes to an account; deactivation ends its sessions."""
    old = audit.model_values(User.objects.get(pk=user.pk), USER_FIELDS)
    with transaction.atomic():
        for field, value in data.items():
            setattr(user, field, value)
        save_unique(user.save, field="email", message=ACCOUNT_EXISTS_MESSAGE)
        if old["email"] != user.email:
            set_verified_email(user)
        new = audit.model_values(user, USER_FIELDS)
        if old != new:
            audit.record(
                action=audit.USER_CHANGED,
                user=acting_user,
                entity=user,
                old=old,
                new=new,
                request=request,
            )
    if old["is_active"] and not user.is_active:
        user_end_sessions(user, acting_user=acting_user, request=request)
    return user


def user_end_sessions(user, *, acting_user, request=None):
    keep = request.session.session_key if request is not None and user == acting_user else None
    ended = end_sessions(user, keep_session_key=keep)
    if ended:
        audit.record(
            action=audit.SESSIONS_ENDED,
            user=acting_user,
            entity=user,
            new={"anzahl": ended},
            request=request,
        )
    return ended


def user_unlock(user, *, acting_user, request=None):
    with transaction.atomic():
        was_locked = lockout.locked_until(user.email) is not None
        lockout.reset_failures(user.email)
        audit.record(
            action=audit.UNLOCKED,
            user=acting_user,
            entity=user,
            old={"gesperrt": was_locked},
            new={"gesperrt": False},
            request=request,
        )


# --- Invitations ------------------------------------------------------------------------------


def invitation_url(token, request=None):
    return absolute_url(reverse("konto:invitation_accept", args=[token]), request)


def _send_invitation(invitation, token, request):
    send_template_mail(
        "accounts/email/invitation",
        invitation.email,
        {
            "invitation": invitation,
            "url": invitation_url(token, request),
            "invited_by": invitation.created_by,
        },
        kind="invitation",
        sensitive=True,
    )


def invitation_create(
    *, created_by, role, email="", valid_days=None, send_email=False, request=None
):
    """Create an invitation; returns (invitation, token). The token exists only in this answer."""
    valid_days = valid_days or settings.INVITATION_VALID_DAYS
    token = Invitation.new_token()
    with transaction.atomic():
        invitation = Invitation(
            email=(email or "").strip().lower(),
            role=role,
            expires_at=timezone.now() + timedelta(days=valid_days),
            created_by=created_by,
        )
        invitation.set_token(token)
        invitation.save()
        audit.record(
            action=audit.INVITATION_CREATED,
            user=created_by,
            entity=invitation,
            new={
                "email": invitation.email,
                "rolle": invitation.role,
                "gueltig_bis": invitation.expires_at,
                "per_email": bool(send_email and invitation.email),
            },
            request=request,
        )
        if send_email and invitation.email:
            _send_invitation(invitation, token, request)
    return invitation, token


def invitation_renew(invitation, *, acting_user, send_email=False, request=None):
    """A new token for an unused invitation (the old link stops working); returns the token."""
    token = Invitation.new_token()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at or invitation.revoked_at:
            raise ValueError("Diese Einladung wurde bereits verwendet oder widerrufen.")
        old_expiry = invitation.expires_at
        invitation.set_token(token)
        if invitation.expires_at <= timezone.now():
            invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
        invitation.save(update_fields=["token_hash", "expires_at"])
        audit.record(
            action=audit.INVITATION_RENEWED,
            user=acting_user,
            entity=invitation,
            old={"gueltig_bis": old_expiry},
            new={"gueltig_bis": invitation.expires_at, "per_email": bool(send_email)},
            request=request,
        )
        if send_email and invitation.email:
            _send_invitation(invitation, token, request)
    return invitation, token


def invitation_revoke(invitation, *, acting_user, request=None):
    with transaction.atomic():
        changed = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_by=acting_user)
        if changed:
            audit.record(
                action=audit.INVITATION_REVOKED,
                user=acting_user,
                entity=invitation,
                request=request,
            )
    return bool(changed)


class InvitationUnusable(Exception):
    pass


def invitation_accept(invitation, *, email, password, first_name, last_name, request=None):
    """Create the account for an invitation and use the invitation up (exactly once)."""
    now = timezone.now()
    with transaction.atomic():
        # The conditional update is the single-use guarantee, also under concurrent POSTs.
        taken = Invitation.objects.usable(now).filter(pk=invitation.pk).update(used_at=now)
        if not taken:
            raise InvitationUnusable
        invitation.refresh_from_db()
        email = invitation.email or email
        # On a taken address the whole transaction rolls back: the invitation stays usable.
        user = save_unique(
            lambda: User.objects.create_user(
                email=email,
                password=password,
                role=invitation.role,
                first_name=first_name,
                last_name=last_name,
            ),
            field="email",
            message=EMAIL_TAKEN_MESSAGE,
        )
        set_verified_email(user)
        invitation.used_by = user
        invitation.save(update_fields=["used_by"])
        audit.record(
            action=audit.INVITATION_USED,
            user=user,
            entity=invitation,
            new={"konto": user.pk},
            request=request,
        )
    return user


# --- Allowed domains --------------------------------------------------------------------------


def domain_create(*, domain, role, acting_user, request=None):
    if role == Role.ADMIN:
        raise ValueError("a domain never grants the admin role")
    with transaction.atomic():
        allowed = save_unique(
            lambda: AllowedDomain.objects.create(domain=domain, role=role, created_by=acting_user),
            field="domain",
            message=DOMAIN_EXISTS_MESSAGE,
        )
        audit.record(
            action=audit.DOMAIN_CREATED,
            user=acting_user,
            entity=allowed,
            new={"domain": allowed.domain, "rolle": allowed.role},
            request=request,
        )
    return allowed


def domain_delete(allowed, *, acting_user, request=None):
    with transaction.atomic():
        audit.record(
            action=audit.DOMAIN_DELETED,
            user=acting_user,
            entity=allowed,
            old={"domain": allowed.domain, "rolle": allowed.role},
            request=request,
        )
        allowed.delete()
