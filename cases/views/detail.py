"""One case: its page (everyone logged in, read-only for DAK staff), its edit form and the form
for a case entered by hand (admins). Thin views: cases.services decides and audits."""

import decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from accounts.actor import Actor
from accounts.models import AuditLog
from accounts.permissions import ADMIN, DAK_OR_ADMIN, requires, user_may
from accounts.views.audit import describe
from cases.forms import SECTIONS, CaseCreateForm, CaseEditForm, basis_for, initial_values
from cases.models import Case
from cases.services import (
    CaseConflict,
    DuplicateSuspected,
    case_create,
    case_problems,
    case_update,
    edited_fields,
)
from cases.views.icd import icd_context
from dak_portal.jinja2 import render_fragment

HISTORY_LIMIT = 50
# The fields, the ICD section and the history (Jinja2, like the case list's rows).
DETAIL_PAGE_TEMPLATE = "cases/detail_page.jinja"
# Who looked is in the audit log; the case's history shows what happened to it.
NOT_HISTORY = (audit.READ, audit.DOWNLOAD)
CASE_USERS = ("created_by", "updated_by", "coding_by", "icd_entered_by")


def label(name):
    return str(Case._meta.get_field(name).verbose_name)


def shown(name, value):
    """A value of a case field as staff read it: choice labels, ja/nein, German dates and
    amounts, – for empty. Takes Python or stored JSON values alike."""
    if value in (None, "", [], {}):
        return "–"
    model_field = Case._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if name == "betrag":
        return f"{localize(decimal.Decimal(str(value)).quantize(decimal.Decimal('0.01')))} €"
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return audit.display_value(value)


def _sections(case):
    return [
        {
            "key": key,
            "title": title,
            "rows": [
                {"name": name, "label": label(name), "value": shown(name, getattr(case, name))}
                for name in names
            ],
        }
        for key, title, names in SECTIONS
    ]


def _history_entries(case):
    return (
        AuditLog.objects.filter(entity_type=case._meta.label_lower, entity_id=str(case.pk))
        .exclude(action__in=NOT_HISTORY)
        .select_related("user")[:HISTORY_LIMIT]
    )


def _history(case):
    return describe(_history_entries(case))


@requires(DAK_OR_ADMIN)
@require_GET
def detail(request, pk):
    case = get_object_or_404(Case.objects.select_related("import_log", *CASE_USERS), pk=pk)
    audit.record_read(request, case)
    context = {
        **icd_context(case, back=reverse("cases:detail", args=[case.pk])),
        "case": case,
        "sections": _sections(case),
        "kvnr_invalid": bool(case.kvnr) and not case.kvnr_valid,
        "history": _history(case),
        "history_limit": HISTORY_LIMIT,
        "is_admin": user_may(request.user, ADMIN),
    }
    context["detail_page"] = render_fragment(DETAIL_PAGE_TEMPLATE, context, request)
    return render(request, "cases/detail.html", context)


def _add_errors(form, exc):
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _add_rule_problems(form, case=None):
    """A form with unreadable fields also names the rules its readable fields break (ICD,
    coding, dates), so one round trip shows every problem."""
    parsed = {name: value for name, value in form.values().items() if name not in form.errors}
    if "basis" in form.errors:
        return
    for name, errors in case_problems(values=parsed, case=case).items():
        if name in form.fields and name not in form.errors and name in parsed:
            form.add_error(name, errors)


def _conflict(exc, form, basis):
    """The refused edit as the page explains it: what someone else changed in between
    (field: the edit's version → now), and a fresh form on the current version that keeps
    the editor's own changes to the fields nobody else touched."""
    current = exc.case
    values = form.values()
    mine = set(edited_fields(basis=basis, values=values))
    theirs = {name for name, _before, _now in exc.changes}
    changes = [
        {
            "label": label(name),
            "before": shown(name, before),
            "now": shown(name, now),
            "mine": shown(name, values[name]) if name in mine else None,
        }
        for name, before, now in exc.changes
    ]
    kept = [name for name in values if name in mine - theirs]
    fresh = CaseEditForm(
        initial={
            **initial_values(current),
            **{name: values[name] for name in kept},
            "basis": basis_for(current),
        }
    )
    info = {
        "by": current.updated_by.email if current.updated_by else "einen Import oder Befehl",
        "at": current.updated_at,
        "changes": changes,
        "kept": [label(name) for name in kept],
    }
    return fresh, info


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    case = get_object_or_404(Case.objects.select_related("updated_by"), pk=pk)
    conflict = None
    if request.method == "POST":
        form = CaseEditForm(request.POST)
        if form.is_valid():
            based_on, basis = form.cleaned_data["basis"]
            try:
                result = case_update(
                    case=case,
                    values=form.values(),
                    based_on=based_on,
                    basis=basis,
                    actor=Actor.from_request(request),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except CaseConflict as exc:
                case = exc.case
                form, conflict = _conflict(exc, form, basis)
            else:
                if result.changed:
                    count = len(result.changed)
                    messages.success(
                        request,
                        "Der Fall wurde gespeichert "
                        f"({count} {'Feld' if count == 1 else 'Felder'} geändert).",
                    )
                else:
                    messages.info(request, "Keine Änderungen – nichts wurde gespeichert.")
                for warning in result.warnings:
                    messages.warning(request, warning)
                return redirect("cases:detail", pk=case.pk)
        else:
            _add_rule_problems(form, case)
    else:
        form = CaseEditForm(initial={**initial_values(case), "basis": basis_for(case)})
    audit.record_read(request, case, details={"ansicht": "Bearbeiten"})
    context = {"form": form, "case": case, "conflict": conflict, "mode": "edit"}
    return render(request, "cases/form.html", context)


@requires(ADMIN)
@require_http_methods(["GET", "POST"])
def create(request):
    duplicates = None
    if request.method == "POST":
        form = CaseCreateForm(request.POST)
        if form.is_valid():
            confirmed = (
                form.cleaned_data["confirmed_duplicates"]
                if request.POST.get("trotzdem_anlegen")
                else []
            )
            try:
                result = case_create(
                    values=form.values(),
                    actor=Actor.from_request(request),
                    confirmed_duplicates=confirmed,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except DuplicateSuspected as exc:
                duplicates = exc.duplicates
                for duplicate in duplicates:
                    audit.record_read(
                        request, duplicate.case, details={"ansicht": "Dublettenprüfung"}
                    )
                # The confirmation holds exactly the matches shown now: one that appears later
                # is shown again before anything is saved.
                data = request.POST.copy()
                data["confirmed_duplicates"] = ",".join(str(d.case.pk) for d in duplicates)
                form = CaseCreateForm(data)
                form.is_valid()
            else:
                messages.success(request, "Der Fall wurde angelegt.")
                for warning in result.warnings:
                    messages.warning(request, warning)
                return redirect("cases:detail", pk=result.case.pk)
        else:
            _add_rule_problems(form)
    else:
        form = CaseCreateForm()
    context = {"form": form, "duplicates": duplicates, "mode": "create"}
    return render(request, "cases/form.html", context)
