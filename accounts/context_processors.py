from django.urls import NoReverseMatch, reverse

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, user_may

# (label, url names, rule). An entry links to the first of its URL names that exists and shows
# only once one exists: no dead links.
NAVIGATION = [
    ("Übersicht", "home", LOGGED_IN),
    ("Fälle", "cases:list", LOGGED_IN),
    ("Import", "imports:index", ADMIN),
    # Until the ICD queue page exists, ICD codes are entered by uploading the coded workbook.
    ("ICD-Eingabe", ("coding:icd_queue", "imports:icd"), DAK_OR_ADMIN),
    ("Codierung", "coding:queue", ADMIN),
    ("Berichte", "reports:list", LOGGED_IN),
    ("Verwaltung", "accounts:index", ADMIN),
]


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
        items.append({"label": label, "url": url, "active": False})
    # One active item: the section whose address is the longest prefix of the current path
    # (/import/icd/ is "ICD-Eingabe", not also "Import"; "/" only on the start page itself).
    matching = [
        item
        for item in items
        if (request.path.startswith(item["url"]) if item["url"] != "/" else request.path == "/")
    ]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items, "login_step_pending": False}


def first_url(url_names):
    for name in (url_names,) if isinstance(url_names, str) else url_names:
        try:
            return reverse(name)
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
