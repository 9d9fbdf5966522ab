"""ICD entry on the case page and the case list (DAK staff and admins): the feedback while
typing and the save. coding.icd decides, saves, audits and notifies; these views only read the
form field ``icd`` and answer with a partial (HTMX) or a redirect back (no JavaScript)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import DAK_OR_ADMIN, requires
from cases.filters import CaseFilterForm
from cases.models import Case
from cases.selectors import case_list
from coding.catalogue import catalogue_lookup, catalogue_version
from coding.icd import ICDAlreadyEntered, ICDRefused, icd_check, icd_save, stored_codes
from dak_portal.reversing import fixed_url

# Where the entry sits: the case page's ICD section or one row of the case list.
VIEWS = {"detail": "cases/icd_section.jinja", "zeile": "cases/icd_cell.jinja"}
MAX_INPUT = 2000


def icd_context(
    case, *, back, value=None, error=None, saved=False, changed=False, warnings=(), titles=True
):
    """What the ICD entry partials show for a case: stored codes with catalogue titles, the
    input (what was typed after an error, the stored codes otherwise), error and warnings.
    ``back`` is where the form returns without JavaScript."""
    codes = stored_codes(case)
    readable = not case.icd or bool(codes)
    infos = list(catalogue_lookup(codes=codes).values()) if codes and titles else []
    return {
        "case": case,
        "icd_infos": infos,
        "icd_readable": readable,
        "icd_value": (case.icd or "") if value is None else value,
        "icd_error": error,
        "icd_saved": saved,
        "icd_changed": changed,
        "icd_warnings": list(warnings),
        "icd_back": back,
        "icd_url": reverse("cases:icd", args=[case.pk]),
        "icd_check_url": fixed_url("cases:icd_check"),
        "may_enter_icd": True,
    }


def _text(request):
    return (request.POST.get("icd") or "")[:MAX_INPUT]


def _back_url(request, case):
    """The page the form was sent from (a path inside the portal), the case page otherwise."""
    target = request.POST.get("weiter") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return reverse("cases:detail", args=[case.pk])


def _back(request, case):
    return redirect(_back_url(request, case))


@requires(DAK_OR_ADMIN)
@require_POST
def icd_check_view(request):
    """Feedback while typing: the normalised codes or the invalid ones; titles and warnings
    from the catalogue when one is loaded. Writes nothing (POST keeps codes out of URLs)."""
    check = icd_check(text=_text(request))
    context = {
        "check": check,
        "has_catalogue": catalogue_version() is not None,
        "empty": not _text(request).strip(),
    }
    return render(request, "cases/partials/icd_feedback.html", context)


@requires(DAK_OR_ADMIN)
@require_POST
def icd_save_view(request, pk):
    """Save the field ``icd`` only: any other field in the POST is ignored."""
    case = get_object_or_404(Case, pk=pk)
    text = _text(request)
    view = request.POST.get("ansicht")
    template = VIEWS.get(view, VIEWS["detail"])
    back = _back_url(request, case)
    # The list's cells show the codes only; the case page shows their titles.
    titles = template == VIEWS["detail"]
    try:
        result = icd_save(case=case, text=text, actor=Actor.from_request(request))
    except ICDRefused as exc:
        if request.htmx:
            # 200: htmx swaps only successful answers; the partial carries the error.
            context = icd_context(case, back=back, value=text, error=exc.message, titles=titles)
            return render(request, template, context)
        messages.error(request, exc.message)
        return _back(request, case)
    if request.htmx:
        context = icd_context(
            result.case,
            back=back,
            saved=True,
            changed=result.changed,
            warnings=result.warnings,
            titles=titles,
        )
        return render(request, template, context)
    if not result.changed:
        messages.info(request, "Die ICD-Codes sind unverändert.")
    elif result.codes:
        messages.success(request, f"ICD-Codes gespeichert: {result.case.icd}")
    else:
        messages.success(request, "Die ICD-Codes wurden entfernt.")
    for warning in result.warnings:
        messages.warning(request, warning)
    return _back(request, case)


# --- the ICD-Eingabe queue ------------------------------------------------------------------

QUEUE_URL_NAME = "cases:icd_queue"
QUEUE_TEMPLATE = "cases/icd_queue.html"
# Counting stops here (as on the case list): "Fall 3 von mehr als 1.000".
QUEUE_COUNT_LIMIT = 1000
# The filters the queue offers: the list's, without the ones the queue sets itself.
QUEUE_FILTER_FIELDS = ("jahr", "kw", "kw_von", "kw_bis", "fallgruppe", "status", "quelle")


def _number(value, *, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= minimum else None


def _queue_filter_form(data):
    """The list's filter form on the queue's parameters (`nach` and `erledigt` are ignored)."""
    form = CaseFilterForm(data)
    form.is_valid()
    return form


def queue_url(form=None, *, nach=None, erledigt=0):
    """The queue's address: the structured filters, the cursor (pk of the last case worked or
    skipped in this run) and how many were saved in this run. Never names or codes."""
    query = form.query_string() if form is not None and form.is_valid() else ""
    extra = urlencode(
        [("nach", nach)] * (nach is not None) + [("erledigt", erledigt)] * (erledigt > 0)
    )
    query = "&".join(part for part in (query, extra) if part)
    base = reverse(QUEUE_URL_NAME)
    return f"{base}?{query}" if query else base


def _capped_count(cases):
    total = cases.order_by()[: QUEUE_COUNT_LIMIT + 1].count()
    return min(total, QUEUE_COUNT_LIMIT), total <= QUEUE_COUNT_LIMIT


def _queue_cases(request, form):
    """Pending-ICD cases (domain.md §3: icd empty) matching the filters, oldest first."""
    filters = {**form.filters, "icd_fehlt": True}
    return case_list(user=request.user, filters=filters, sort="datum")


def _after(cases, pk):
    """The cases after case ``pk`` in the queue's order (datum, id)."""
    datum = Case.objects.filter(pk=pk).values_list("datum", flat=True).first()
    if datum is None:
        return cases
    return cases.filter(Q(datum__gt=datum) | Q(datum=datum, pk__gt=pk))


def _queue_context(request, form, *, nach, erledigt, case=None):
    context = {
        "form": form,
        "filter_fields": [form[name] for name in QUEUE_FILTER_FIELDS],
        "import_value": form["import"].value(),
        "erledigt": erledigt,
        "nach": nach,
        "filter_query": form.query_string() if form.is_valid() else "",
        "restart_url": queue_url(form),
        "case": None,
    }
    if not form.is_valid():
        return context
    pending = _queue_cases(request, form)
    if case is None:
        rest = _after(pending, nach) if nach is not None else pending
        case = rest.only(*QUEUE_FIELDS).first()
    if case is None:
        return context
    earlier = Q(datum__lt=case.datum) | Q(datum=case.datum, pk__lt=case.pk)
    before, _ = _capped_count(pending.filter(earlier))
    total, exact = _capped_count(pending)
    audit.record_read(request, case, details={"ansicht": "ICD-Eingabe"})
    context.update(
        case=case,
        position=erledigt + before + 1,
        total=erledigt + total,
        total_exact=exact,
        skip_url=queue_url(form, nach=case.pk, erledigt=erledigt),
    )
    return context


QUEUE_FIELDS = (
    "id",
    "fall_id",
    "datum",
    "jahr",
    "kw",
    "nachname",
    "vorname",
    "geburtsdatum",
    "fallgruppe",
    "thema",
    "kurzbeschreibung",
    "fragestellung",
    "behandelnde_klinik",
    "gutachter",
    "icd",
)


@requires(DAK_OR_ADMIN)
@require_http_methods(["GET", "POST"])
def icd_queue(request):
    """One pending-ICD case at a time, oldest first: Enter saves and moves on (POST, then a
    redirect to the next one), Esc or "Überspringen" moves on without saving. Skipped cases
    stay behind the cursor `nach` for this run; "Von vorn" starts again from the oldest."""
    if request.method == "POST":
        return _queue_save(request)
    form = _queue_filter_form(request.GET)
    nach = _number(request.GET.get("nach"), minimum=1)
    erledigt = _number(request.GET.get("erledigt"), minimum=0) or 0
    context = _queue_context(request, form, nach=nach, erledigt=erledigt)
    return render(request, QUEUE_TEMPLATE, context)


def _queue_save(request):
    form = _queue_filter_form(QueryDict(request.POST.get("filter", "")))
    erledigt = _number(request.POST.get("erledigt"), minimum=0) or 0
    case = get_object_or_404(Case, pk=_number(request.POST.get("fall"), minimum=1) or 0)
    text = _text(request)
    try:
        result = icd_save(
            case=case, text=text, actor=Actor.from_request(request), only_pending=True
        )
    except ICDAlreadyEntered as exc:
        # Someone else coded it meanwhile: say so and move on.
        messages.warning(request, f"Fall Nr. {case.pk}: {exc.message}")
        return redirect(queue_url(form, nach=case.pk, erledigt=erledigt))
    except ICDRefused as exc:
        context = _queue_context(
            request,
            form,
            nach=_number(request.POST.get("nach"), minimum=1),
            erledigt=erledigt,
            case=Case.objects.only(*QUEUE_FIELDS).get(pk=case.pk),
        )
        context.update(icd_error=exc.message, icd_value=text)
        return render(request, QUEUE_TEMPLATE, context)
    if result.changed:
        erledigt += 1
        messages.success(request, f"Fall Nr. {case.pk}: ICD-Codes gespeichert ({result.case.icd}).")
    else:
        messages.info(request, f"Fall Nr. {case.pk}: keine Codes eingetragen – übersprungen.")
    for warning in result.warnings:
        messages.warning(request, f"Fall Nr. {case.pk}: {warning}")
    return redirect(queue_url(form, nach=case.pk, erledigt=erledigt))
