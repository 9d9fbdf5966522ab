"""Who may do what (domain.md §2), in one place.

Every view declares one of these rules. `RULES` names them so the permission test can check that
no URL pattern is left without one.
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied

from accounts.models import Role

PUBLIC = "public"
LOGGED_IN = "logged_in"
ADMIN = "admin"
DAK_OR_ADMIN = "dak_or_admin"
RULES = (PUBLIC, LOGGED_IN, ADMIN, DAK_OR_ADMIN)


def user_may(user, rule):
    if rule == PUBLIC:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if rule == LOGGED_IN:
        return True
    if rule == ADMIN:
        return user.role == Role.ADMIN
    if rule == DAK_OR_ADMIN:
        return user.role in (Role.ADMIN, Role.DAK_MITARBEITER)
    raise ValueError(f"unknown permission rule {rule!r}")


def requires(rule):
    """Declare a view's rule; logged-in users without it get 403 (anonymous go to login)."""
    if rule not in RULES:
        raise ValueError(f"unknown permission rule {rule!r}")

    def decorator(view):
        if rule == PUBLIC:
            wrapped = login_not_required(view)
        else:

            @wraps(view)
            def wrapped(request, *args, **kwargs):
                if not user_may(request.user, rule):
                    raise PermissionDenied
                return view(request, *args, **kwargs)

        wrapped.permission_rule = rule
        return wrapped

    return decorator
