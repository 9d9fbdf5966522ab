"""Account lockout after repeated failed logins (django-axes), as the portal sees it."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.addresses import login_name


def normalise_username(value):
    # The stored form of the address, so every spelling of one account counts as one.
    return login_name(value)


def username_from_request(request, credentials=None):
    """AXES_USERNAME_CALLABLE: the login e-mail, lower-cased, so `A@x` and `a@x` count as one."""
    credentials = credentials or {}
    for key in ("login", "email", "username"):
        if credentials.get(key):
            return normalise_username(credentials[key])
    data = getattr(request, "POST", None) or {}
    return normalise_username(data.get("login")) or None


def _recent_attempts():
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(attempt_time__gte=threshold)


def locked_usernames():
    """{username: locked until} for every login name locked right now."""
    rows = (
        _recent_attempts()
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"]: row["last"] + settings.AXES_COOLOFF_TIME for row in rows}


def locked_until(email):
    return locked_usernames_for([email]).get(normalise_username(email))


def locked_usernames_for(emails):
    names = [normalise_username(e) for e in emails]
    rows = (
        _recent_attempts()
        .filter(username__in=names)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"]: row["last"] + settings.AXES_COOLOFF_TIME for row in rows}


def reset_failures(email):
    """Forget the failed attempts of one login name (unlock); returns how many records went."""
    count, _ = AccessAttempt.objects.filter(username=normalise_username(email)).delete()
    return count


def lock_minutes():
    return int(settings.AXES_COOLOFF_TIME / timedelta(minutes=1))
