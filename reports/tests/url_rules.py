"""Expected access for the reports pages (see accounts/tests/permission_table.py)."""

from accounts.permissions import ADMIN, LOGGED_IN
from accounts.tests.permission_table import rule


def _report(ctx):
    from accounts.actor import Actor
    from reports.services import report_generate

    return {"pk": report_generate(jahr=2026, kw=5, actor=Actor.command_line()).pk}


URL_RULES = {
    "reports:list": rule(LOGGED_IN),
    # A valid week: the admin is sent to the new report; DAK staff: 403 and nothing generated
    # (reports/tests/test_views.py).
    "reports:generate": rule(ADMIN, method="post", data={"jahr": 2026, "kw": 5}, admin="redirect"),
    "reports:detail": rule(LOGGED_IN, kwargs=_report),
    "reports:download": rule(LOGGED_IN, kwargs=_report),
    # The JSON API (reports/api.py): no session → 401 JSON, an admin before the 2FA code → 403
    # JSON (no redirect for an API), otherwise the start page's rule.
    "api:dashboard": rule(LOGGED_IN, anon=401, admin_no_mfa="forbidden"),
    "api:jahre": rule(LOGGED_IN, anon=401, admin_no_mfa="forbidden"),
    "api:schema": rule(LOGGED_IN, anon=401, admin_no_mfa="forbidden"),
}
