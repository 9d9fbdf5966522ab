import logging

from django.db import DatabaseError, connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, PUBLIC, requires, user_may
from cases.models import Case

logger = logging.getLogger(__name__)


@requires(LOGGED_IN)
def home(request):
    user = request.user
    context = {
        "case_count": Case.objects.count(),
        "pending_icd": Case.objects.pending_icd().count(),
        "pending_coding": Case.objects.pending_coding().count(),
        # A tile links only to a page that exists and the user may open (the case list and the
        # coding queue do not exist yet; their tiles stay plain figures).
        "import_url": reverse("imports:index") if user_may(user, ADMIN) else None,
        "icd_upload_url": reverse("imports:icd") if user_may(user, DAK_OR_ADMIN) else None,
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
