"""Gutachten coding pages for admins: the queue, the coding card and the batch."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.actor import Actor
from accounts.permissions import ADMIN, requires
from cases import rules
from cases.models import Case
from coding import selectors
from coding.forms import TA_FLAGS, BatchForm, CodingForm, QueueFilterForm
from coding.gutachten import CodingError, coding_check, gutachten_code, gutachten_code_batch

PAGE_SIZE = 50


def _with_query(url, query):
    return f"{url}?{query}" if query else url


def _filter_context(request):
    form = QueueFilterForm(request.GET)
    value = form.queue_filter()
    return form, value, form.query_string()


@requires(ADMIN)
@require_http_methods(["GET"])
def queue(request):
    form, value, query = _filter_context(request)
    cases = selectors.coding_queue(filter=value).only(*selectors.QUEUE_COLUMNS)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "coding/queue.html",
        {
            "form": form,
            "filter": value,
            "query": query,
            "page": page,
            "progress": selectors.coding_progress(filter=value),
            "years": selectors.coding_years(),
            "fallgruppen": rules.FALLGRUPPE_CHOICES,
            "batch_form": BatchForm(),
        },
    )


def _card_context(case, form, query, value):
    flags = [(form[name], label, key) for name, label, key in TA_FLAGS]
    return {
        "case": case,
        "form": form,
        "flags": flags,
        "query": query,
        "filter": value,
        "fallgruppe_label": rules.FALLGRUPPEN.get(case.fallgruppe, case.fallgruppe),
        "remaining": selectors.coding_queue(filter=value).count(),
        "queue_url": _with_query(reverse("coding:queue"), query),
    }


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def card(request, pk):
    # Only a case with a Gutachten has a coding card (domain.md §3).
    case = get_object_or_404(Case, pk=pk, gutachten=True)
    _form, value, query = _filter_context(request)
    if request.method == "POST":
        form = CodingForm(request.POST)
        if form.is_valid():
            try:
                result = gutachten_code(
                    case=case, actor=Actor.from_request(request), **form.coding_values()
                )
            except CodingError as exc:
                for message in exc.errors:
                    form.add_error(None, message)
            else:
                messages.success(request, f"Fall {case.pk} codiert.")
                for warning in result.warnings:
                    messages.warning(request, f"Fall {case.pk}: {warning}")
                for jahr, kw in result.completed_weeks:
                    messages.info(request, f"Alle Gutachten der KW {kw:02d}/{jahr} sind codiert.")
                following = selectors.coding_next(filter=value, after=case)
                if following is None:
                    messages.info(
                        request, "Keine weiteren uncodierten Gutachten in dieser Auswahl."
                    )
                    return redirect(_with_query(reverse("coding:queue"), query))
                return redirect(_with_query(reverse("coding:card", args=[following.pk]), query))
        return render(
            request, "coding/card.html", _card_context(case, form, query, value), status=400
        )
    audit.record_read(request, case)
    initial = {
        "gutachten_typ": case.gutachten_typ,
        "therapieaenderung": case.therapieaenderung,
        "ta_diagnosekorrektur": case.ta_diagnosekorrektur,
        "ta_unterversorgung": case.ta_unterversorgung,
        "ta_uebertherapie": case.ta_uebertherapie,
    }
    form = CodingForm(initial=initial)
    return render(request, "coding/card.html", _card_context(case, form, query, value))


@requires(ADMIN)
@require_POST
def batch(request):
    """Step 1 lists what will change; step 2 (``bestaetigt``) codes all in one transaction."""
    _form, value, query = _filter_context(request)
    submitted = [pk for pk in request.POST.getlist("faelle") if pk.isdigit()]
    candidates = Case.objects.filter(pk__in=submitted, gutachten=True).order_by("datum", "pk")
    form = BatchForm(request.POST, case_pks=[case.pk for case in candidates])
    queue_url = _with_query(reverse("coding:queue"), query)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(queue_url)
    selected = list(candidates.filter(pk__in=form.cleaned_data["faelle"]))
    values = form.coding_values()
    if request.POST.get("bestaetigt") == "1":
        try:
            result = gutachten_code_batch(
                cases=selected, actor=Actor.from_request(request), **values
            )
        except CodingError as exc:
            for message in exc.errors:
                messages.error(request, message)
            return redirect(queue_url)
        count = len(result.cases)
        messages.success(request, f"{count} {'Fall' if count == 1 else 'Fälle'} codiert.")
        for warning in result.warnings:
            messages.warning(request, warning)
        for jahr, kw in result.completed_weeks:
            messages.info(request, f"Alle Gutachten der KW {kw:02d}/{jahr} sind codiert.")
        return redirect(queue_url)
    errors, warnings = coding_check(**values)
    if errors:
        for message in errors:
            messages.error(request, message)
        return redirect(queue_url)
    rows = [(case, _changes(case, values)) for case in selected]
    return render(
        request,
        "coding/batch_confirm.html",
        {
            "rows": rows,
            "values": values,
            "warnings": warnings,
            "query": query,
            "queue_url": queue_url,
            "filter": value,
        },
    )


_LABELS = {
    "gutachten_typ": "Gutachten-Typ",
    "therapieaenderung": "Therapieänderung",
    "ta_diagnosekorrektur": "Diagnosekorrektur",
    "ta_unterversorgung": "Unterversorgung",
    "ta_uebertherapie": "Übertherapie",
}


def _shown(value):
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    return value or "—"


def _changes(case, values):
    """(label, old, new) of every coding field the batch changes on this case."""
    changes = []
    for name, new in values.items():
        old = getattr(case, name)
        if name.startswith("ta_"):
            new = bool(new)
        if (old or None) != (new or None):
            changes.append((_LABELS[name], _shown(old), _shown(new)))
    return changes
