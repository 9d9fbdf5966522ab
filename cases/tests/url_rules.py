"""Expected access for the case pages (see accounts/tests/permission_table.py)."""

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN
from accounts.tests.permission_table import rule


def _case(ctx):
    from cases.tests.factories import make_case

    return {"pk": make_case().pk}


URL_RULES = {
    # The list, its search and export: everyone logged in (cases/tests/test_list_views.py).
    "cases:list": rule(LOGGED_IN),
    # Both answer with a redirect to the list (303); a term too short is a message there.
    "cases:search": rule(
        LOGGED_IN, method="post", data={"q": "Mu"}, dak="redirect", admin="redirect"
    ),
    "cases:search_reset": rule(LOGGED_IN, method="post", dak="redirect", admin="redirect"),
    "cases:export": rule(LOGGED_IN),
    # The ICD coding template: DAK staff and admins (cases/tests/test_icd_template.py).
    "cases:icd_template": rule(DAK_OR_ADMIN),
    "cases:detail": rule(DAK_OR_ADMIN, kwargs=_case),
    "cases:edit": rule(ADMIN, kwargs=_case),
    # Crafted POSTs by each role: cases/tests/test_detail_views.py.
    "cases:create": rule(ADMIN),
    # ICD entry (cases/tests/test_icd_views.py): the save answers with a redirect back without
    # JavaScript; the check writes nothing and answers with the feedback partial.
    "cases:icd": rule(
        DAK_OR_ADMIN,
        method="post",
        kwargs=_case,
        data={"icd": "C50.1"},
        dak="redirect",
        admin="redirect",
    ),
    "cases:icd_check": rule(DAK_OR_ADMIN, method="post", data={"icd": "C50.1"}),
    "cases:icd_queue": rule(DAK_OR_ADMIN),
}
