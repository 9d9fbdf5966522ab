import datetime as dt
import logging

from django import forms
from django.db import DatabaseError, connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.context_processors import first_url
from accounts.permissions import ADMIN, DAK_OR_ADMIN, LOGGED_IN, PUBLIC, requires, user_may
from cases.models import Case
from reports import dashboard

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

    form = YearForm(request.GET or None, years=dashboard.dashboard_years()["jahre"])
    jahr = form.selected_year()
    figures = dashboard.dashboard_figures(jahr)
    context = {
        "form": form,
        "jahr": jahr,
        "figures": figures,
        "stand": timezone.localtime(dt.datetime.fromisoformat(figures["stand"])),
        "kw_rows": [
            {"kw": kw, "erstberatungen": e, "gutachten": g, "vorjahr": v}
            for kw, e, g, v in zip(
                figures["kws"],
                figures["je_kw"]["erstberatungen"],
                figures["je_kw"]["gutachten"],
                figures["vorjahr"]["erstberatungen_je_kw"],
                strict=True,
            )
        ],
        "api_url": f"{reverse('api:dashboard')}?jahr={jahr}",
        "pending_icd": Case.objects.pending_icd().count(),
        "pending_coding": Case.objects.pending_coding().count(),
        "case_links": links(
            link("Zur Fallliste", "cases:list", LOGGED_IN, f"jahr={jahr}"),
            link("Fälle importieren", "imports:index", ADMIN),
        ),
        "gutachten_links": links(
            link("Codiert", "cases:list", LOGGED_IN, f"jahr={jahr}&status=gutachten_codiert"),
            link("Ohne Codierung", "cases:list", LOGGED_IN, f"jahr={jahr}&status=gutachten"),
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
    return render(request, "home.html", context, status=400 if form.errors else 200)


class YearForm(forms.Form):
    """The start page's year selector (?jahr=), a plain GET form."""

    jahr = forms.TypedChoiceField(
        label="Jahr",
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Für das Jahr %(value)s gibt es keine Fälle."},
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jahr"].choices = [(y, str(y)) for y in years]
        self.fields["jahr"].initial = dashboard.current_year()
        self.fields["jahr"].widget.attrs.update(
            {"class": "form-select form-select-sm", "data-autosubmit": "true"}
        )

    def selected_year(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data["jahr"]:
            return self.cleaned_data["jahr"]
        return dashboard.current_year()


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
