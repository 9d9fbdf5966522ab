"""Building blocks of the URL permission table (see test_url_permissions.py).

Every app lists its URL patterns in `<app>/tests/url_rules.py`:

    from accounts.permissions import ADMIN, LOGGED_IN
    from accounts.tests.permission_table import rule

    URL_RULES = {
        "imports:index": rule(ADMIN),
        "imports:preview_confirm": rule(ADMIN, method="post", kwargs=lambda ctx: {"pk": ...}),
        "cases:detail": rule(LOGGED_IN, kwargs=lambda ctx: {"pk": ctx.make("cases.Case").pk}),
    }

`rule(<permission rule>)` expects the standard outcome of that rule for the four personas
(anonymous, DAK user, admin who has not entered the 2FA code yet, verified admin); keyword
arguments override single outcomes (`admin="redirect"`). Outcomes:

    ok        2xx                       redirect  3xx to anywhere but the two below
    login     3xx to the login page     mfa       3xx to the 2FA code page (or 2FA setup)
    forbidden 403   not_found 404   method_not_allowed 405   gone 410   or a status number
    passes    anything but login/mfa (the Django admin's pages behind its site-wide gate)

A tuple of outcomes accepts any of them. `kwargs` is a dict or a callable taking the test
context (`ctx.dak_user`, `ctx.admin_user`, `ctx.other_user`, `ctx.make(model, **fields)`).
"""

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, PUBLIC

PERSONAS = ("anon", "dak", "admin_no_mfa", "admin")

STANDARD = {
    PUBLIC: {"anon": "ok", "dak": "ok", "admin_no_mfa": "mfa", "admin": "ok"},
    LOGGED_IN: {"anon": "login", "dak": "ok", "admin_no_mfa": "mfa", "admin": "ok"},
    DAK_OR_ADMIN: {"anon": "login", "dak": "ok", "admin_no_mfa": "mfa", "admin": "ok"},
    ADMIN: {"anon": "login", "dak": "forbidden", "admin_no_mfa": "mfa", "admin": "ok"},
}


def rule(permission, *, method="get", kwargs=None, data=None, path=None, **outcomes):
    """One row of the table: the expected outcome per persona and how to call the URL."""
    unknown = set(outcomes) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas {sorted(unknown)}")
    expected = {**STANDARD[permission], **outcomes}
    return {
        "rule": permission,
        "expected": expected,
        "method": method,
        "kwargs": kwargs,
        "data": data or {},
        "path": path,
    }
