from django.urls import NoReverseMatch, reverse

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, user_may

# (label, url name, rule). An entry shows only once its URL exists: no dead links.
NAVIGATION = [
    ("Dashboard", "home", LOGGED_IN),
    ("Fälle", "cases:list", LOGGED_IN),
    ("Import", "imports:index", ADMIN),
    ("ICD-Eingabe", "coding:icd_queue", DAK_OR_ADMIN),
    ("Codierung", "coding:queue", ADMIN),
    ("Berichte", "reports:list", LOGGED_IN),
    ("Verwaltung", "accounts:user_list", ADMIN),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name, rule in NAVIGATION:
        if not user_may(user, rule):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "label": label,
                "url": url,
                "active": request.path.startswith(url) if url != "/" else request.path == "/",
            }
        )
    return {"nav_items": items}
