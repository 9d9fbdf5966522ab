"""Audit entries and session bookkeeping for authentication events (domain.md §6)."""

import time

from allauth.account import signals as allauth_signals
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from accounts import audit, lockout
from accounts.models import User
from accounts.sessions import LAST_ACTIVITY_KEY, LOGIN_TIME_KEY, track_session


def _user_for_login(login):
    login = lockout.normalise_username(login)
    return User.objects.filter(email=login).first() if login else None


@receiver(auth_signals.user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[LOGIN_TIME_KEY] = now
    request.session[LAST_ACTIVITY_KEY] = now
    # allauth tracks sessions on its own login signal only; every login must be listed so that
    # deactivating an account or resetting its 2FA can end all of its sessions.
    track_session(request, user)
    audit.record(action=audit.LOGIN, user=user, entity=user, request=request)


@receiver(auth_signals.user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    expired = getattr(request, "portal_session_expired", False)
    action = audit.SESSION_EXPIRED if expired else audit.LOGOUT
    audit.record(action=action, user=user, entity=user, request=request)


@receiver(auth_signals.user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    login = lockout.username_from_request(request, credentials)
    user = _user_for_login(login)
    audit.record(
        action=audit.LOGIN_FAILED,
        user=None,
        entity_type="accounts.user" if user else "",
        entity_id=user.pk if user else None,
        new={
            "anmeldename": login or "",
            "gesperrt": bool(getattr(request, "axes_locked_out", False)),
        },
        request=request,
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    # axes also signals every attempt during a lock; only the locking failure counts here.
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    user = _user_for_login(username)
    audit.record(
        action=audit.LOCKED,
        user=None,
        entity_type="accounts.user" if user else "",
        entity_id=user.pk if user else None,
        new={"anmeldename": username or "", "minuten": lockout.lock_minutes()},
        request=request,
    )


def _clear_forced_change(user):
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])


@receiver(allauth_signals.password_changed)
@receiver(allauth_signals.password_set)
def on_password_changed(sender, request, user, **kwargs):
    _clear_forced_change(user)
    audit.record(action=audit.PASSWORD_CHANGED, user=user, entity=user, request=request)


@receiver(allauth_signals.password_reset)
def on_password_reset(sender, request, user, **kwargs):
    _clear_forced_change(user)
    # Whoever can read the mailbox may try again; the lock has done its job.
    lockout.reset_failures(user.email)
    audit.record(action=audit.PASSWORD_RESET, user=user, entity=user, request=request)


@receiver(allauth_signals.user_signed_up)
def on_signed_up(sender, request, user, **kwargs):
    invitation_id = kwargs.get("invitation_id")
    audit.record(
        action=audit.SIGNUP,
        user=user,
        entity=user,
        new={
            "email": user.email,
            "rolle": user.role,
            "weg": "Einladung" if invitation_id else "freigegebene Domain",
            **({"einladung": invitation_id} if invitation_id else {}),
        },
        request=request,
    )


@receiver(allauth_signals.email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs):
    audit.record(
        action=audit.EMAIL_CONFIRMED,
        user=email_address.user,
        entity=email_address.user,
        new={"email": email_address.email},
        request=request,
    )
