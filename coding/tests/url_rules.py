"""Expected access for the Gutachten coding pages (see accounts/tests/permission_table.py)."""

from accounts.permissions import ADMIN
from accounts.tests.permission_table import rule


def _gutachten(ctx):
    from cases.tests.factories import make_case

    return {"pk": make_case(gutachten=True).pk}


URL_RULES = {
    "coding:queue": rule(ADMIN),
    "coding:card": rule(ADMIN, kwargs=_gutachten),
    # A POST without a selection goes back to the queue with a message; crafted POSTs by DAK
    # staff: coding/tests/test_gutachten_views.py.
    "coding:batch": rule(ADMIN, method="post", admin="redirect"),
}
