from django.urls import NoReverseMatch

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, user_may
from dak_portal.reversing import fixed_url

# (label, url names, rule). An entry links to the first of its URL names that exists and shows
# only once one exists: no dead links.
NAVIGATION = [
    ("Übersicht", "home", LOGGED_IN),
    ("Fälle", "cases:list", LOGGED_IN),
    ("Import", "imports:index", ADMIN),
    ("Excel-Sync", "imports:sync", ADMIN),
    # The ICD-Eingabe queue (cases:icd_queue); the workbook upload is reached from the import pages.
    ("ICD-Eingabe", ("cases:icd_queue", "imports:icd"), DAK_OR_ADMIN),
    ("Codierung", "coding:queue", ADMIN),
    ("Berichte", "reports:list", LOGGED_IN),
    ("Verwaltung", "accounts:index", ADMIN),
]
# Pages that belong to a section although their address lies elsewhere: the ICD workbook upload
# (/import/icd/, reached from the ICD-Eingabe page) is ICD entry, not "Import".
SECTION_ALSO = {"ICD-Eingabe": ("imports:icd",)}


def navigation(request):
    user = getattr(request, "user", None)
    # While a login step (2FA code, new password, 2FA setup) is open, no page but that step
    # is reachable, so the menu shows nothing to click.
    if user is None or not user.is_authenticated or _step_pending(request):
        return {"nav_items": [], "login_step_pending": _step_pending(request)}
    items = []
    for label, url_names, rule in NAVIGATION:
        if not user_may(user, rule):
            continue
        url = first_url(url_names)
        if url is None:
            continue
        also = [first_url(name) for name in SECTION_ALSO.get(label, ())]
        prefixes = [url, *(other for other in also if other and other != url)]
        items.append({"label": label, "url": url, "active": False, "prefixes": prefixes})
    # One active item: the section whose address is the longest prefix of the current path
    # (/import/icd/ is "ICD-Eingabe", not also "Import"; "/" only on the start page itself).
    matching = [
        (len(prefix), item)
        for item in items
        for prefix in item["prefixes"]
        if (request.path.startswith(prefix) if prefix != "/" else request.path == "/")
    ]
    if matching:
        max(matching, key=lambda pair: pair[0])[1]["active"] = True
    return {"nav_items": items, "login_step_pending": False}


def first_url(url_names):
    for name in (url_names,) if isinstance(url_names, str) else url_names:
        try:
            return fixed_url(name)
        except NoReverseMatch:
            continue
    return None


def _step_pending(request):
    return bool(getattr(request, "portal_pending_step", None))


def notifications(request):
    """The unread count for the bell in the header (refreshed by HTMX every 30 s)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _step_pending(request):
        return {"show_notification_bell": False}
    from accounts.notifications import unread_count

    return {"show_notification_bell": True, "unread_notifications": unread_count(user)}
