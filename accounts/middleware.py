"""Session lifetime and the forced steps after login (password change, 2FA) for every request."""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts import mfa
from accounts.models import Role
from accounts.sessions import LAST_ACTIVITY_KEY, LOGIN_TIME_KEY, NEXT_URL_KEY

# Writing the activity time at most this often keeps session writes rare.
ACTIVITY_RESOLUTION_SECONDS = 10

MFA_STEP = "konto:mfa_verify"
PASSWORD_STEP = "account_change_password"  # noqa: S105 - a URL name
SETUP_STEP = "konto:mfa_setup"
# Reachable in every state: leaving, and the monitoring endpoint.
ALWAYS_ALLOWED = {"account_logout", "healthz"}


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def is_api(request):
    return "/api/" in request.path or (
        request.accepts("application/json") and not request.accepts("text/html")
    )


def pending_step(request):
    """The URL name of the step a logged-in user must finish first, or None."""
    user = request.user
    verified = user.is_verified()
    has_device = verified or mfa.has_device(user)
    if has_device and not verified:
        return MFA_STEP
    if user.must_change_password:
        return PASSWORD_STEP
    if user.role == Role.ADMIN and not has_device:
        return SETUP_STEP
    return None


def step_paths():
    return {
        reverse(settings.LOGIN_URL): "login",
        reverse(MFA_STEP): "step",
        reverse(PASSWORD_STEP): "step",
        reverse(SETUP_STEP): "step",
    }


class AuthRedirectMiddleware:
    """Redirects to the login or a login step, shaped for who asked.

    HTMX follows redirects inside its XHR and would swap the login page into a fragment, so it
    gets `HX-Redirect`; the API gets 401/403 JSON; normal requests keep the redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        target = response.get("Location", "")
        kind = step_paths().get(urlsplit(target).path)
        if kind is None:
            return response
        if is_htmx(request):
            return HttpResponseClientRedirect(target)
        if is_api(request):
            if kind == "login":
                return JsonResponse({"detail": "Anmeldung erforderlich."}, status=401)
            return JsonResponse(
                {"detail": "Bitte schließen Sie zuerst die Anmeldung ab.", "redirect": target},
                status=403,
            )
        return response


class SessionTimeoutMiddleware:
    """Log out after SESSION_IDLE_TIMEOUT without activity or SESSION_COOKIE_AGE after login.

    Views marked with `accounts.sessions.background` (the notification bell's polling) do not
    count as activity, so an open tab alone does not keep a session alive.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        session = request.session
        now = time.time()
        started = session.setdefault(LOGIN_TIME_KEY, now)
        last = session.get(LAST_ACTIVITY_KEY, now)
        if (
            now - last > settings.SESSION_IDLE_TIMEOUT
            or now - started > settings.SESSION_COOKIE_AGE
        ):
            request.portal_session_expired = True
            logout(request)
            messages.info(request, "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.")
            return None
        background = getattr(view_func, "background_request", False)
        if not background and (
            LAST_ACTIVITY_KEY not in session or now - last >= ACTIVITY_RESOLUTION_SECONDS
        ):
            session[LAST_ACTIVITY_KEY] = now
        return None


class LoginStepsMiddleware:
    """After the password: the 2FA code (if the user has a device), then a forced password
    change, then 2FA setup for admins without a device — before any other page (domain.md §2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        step = request.portal_pending_step = pending_step(request)
        if step is None:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name == step or name in ALWAYS_ALLOWED:
            return None
        if request.method == "GET" and not is_htmx(request) and not is_api(request):
            target = request.get_full_path()
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                request.session[NEXT_URL_KEY] = target
        return redirect(step)


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response to a logged-in user and on every
    HTML page (issue 11 §2).

    Pages and downloads show health data (import previews and logs, the audit log,
    notifications, the Django admin); no browser cache, proxy or "back" button may keep a copy.
    One rule for all instead of a decorator per view, so a new page cannot forget it. Static
    files (served by WhiteNoise in front of this) stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL) and self._personal(request, response):
            patch_cache_control(response, no_store=True, private=True)
        return response

    @staticmethod
    def _personal(request, response):
        # HTML first: deciding it needs no session (nor the database behind it).
        if response.get("Content-Type", "").startswith("text/html"):
            return True
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
