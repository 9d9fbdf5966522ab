import logging

from django.db import DatabaseError, connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.context_processors import first_url
from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, PUBLIC, requires, user_may
from cases.models import Case

logger = logging.getLogger(__name__)


@requires(LOGGED_IN)
def home(request):
    user = request.user

    def link(label, url_names, rule, query=""):
        # A tile links only to a page that exists and the user may open; without one it stays
        # a plain figure (the same rule as the navigation: no dead links).
        url = first_url(url_names) if user_may(user, rule) else None
        return {"label": label, "url": f"{url}?{query}" if query else url} if url else None

    def links(*candidates):
        return [item for item in candidates if item]

    context = {
        "case_count": Case.objects.count(),
        "pending_icd": Case.objects.pending_icd().count(),
        "pending_coding": Case.objects.pending_coding().count(),
        "case_links": links(
            link("Zur Fallliste", "cases:list", LOGGED_IN),
            link("Fälle importieren", "imports:index", ADMIN),
        ),
        # The figures' cases in the case list, filtered as the figure counts them.
        "icd_links": links(
            link("Zur ICD-Eingabe", ("cases:icd_queue", "imports:icd"), DAK_OR_ADMIN),
            link("In der Fallliste", "cases:list", LOGGED_IN, "icd_fehlt=1"),
        ),
        "coding_links": links(
            link("Zur Codierung", "coding:queue", ADMIN),
            link("In der Fallliste", "cases:list", LOGGED_IN, "codierung_fehlt=1"),
        ),
    }
    return render(request, "home.html", context)


@requires(PUBLIC)
@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("healthz: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the database (and the session) may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())
