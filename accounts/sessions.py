"""Server-side sessions: rotating the key, ending a user's sessions, polling as non-activity."""

from allauth.usersessions.models import UserSession

from accounts.net import client_ip, user_agent

LAST_ACTIVITY_KEY = "portal_last_activity"
LOGIN_TIME_KEY = "portal_login_time"
NEXT_URL_KEY = "portal_login_next"


def background(view):
    """Mark a view as background polling: calling it does not keep the session alive."""
    view.background_request = True
    return view


def track_session(request, user):
    """List the request's session among the user's sessions (allauth only does so for its own
    logins; deactivation and 2FA resets must find every session)."""
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request) or "0.0.0.0",  # noqa: S104 - a label, never bound
            "user_agent": user_agent(request, 200),
        },
    )


def cycle_key(request):
    """New session key, same data; the user's session list follows the new key."""
    old_key = request.session.session_key
    request.session.cycle_key()
    new_key = request.session.session_key
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def end_sessions(user, *, keep_session_key=None):
    """End every session of user (except keep_session_key); returns how many ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        if keep_session_key and session.session_key == keep_session_key:
            continue
        session.end()
        ended += 1
    return ended
