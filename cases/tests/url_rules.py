"""Expected access for the case pages (see accounts/tests/permission_table.py)."""

from accounts.permissions import ADMIN, DAK_OR_ADMIN
from accounts.tests.permission_table import rule


def _case(ctx):
    from cases.tests.factories import make_case

    return {"pk": make_case().pk}


URL_RULES = {
    "cases:detail": rule(DAK_OR_ADMIN, kwargs=_case),
    "cases:edit": rule(ADMIN, kwargs=_case),
    # Crafted POSTs by each role: cases/tests/test_detail_views.py.
    "cases:create": rule(ADMIN),
}
