"""The audit log for admins: filter, page, read who did what to which record, old → new.

Entries store entity type and primary key only; this page turns them into office language:
the model's German name, a link to the record's page (by primary key, never by fall_id),
German field names and choice labels in the changes.
"""

import datetime as dt
from collections import defaultdict

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import audit
from accounts.forms import AuditFilterForm
from accounts.models import AuditLog, User
from accounts.permissions import ADMIN, requires

PAGE_SIZE = 50


def _day_start(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _model(entity_type):
    try:
        return apps.get_model(entity_type)
    except (LookupError, ValueError):
        return None


def entity_type_label(entity_type):
    model = _model(entity_type)
    if model is None:
        return entity_type
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


def entity_type_choices():
    """(entity type, German name) of every type the log holds, sorted by name."""
    types = (
        AuditLog.objects.exclude(entity_type="")
        .order_by()
        .values_list("entity_type", flat=True)
        .distinct()
    )
    return sorted(((t, entity_type_label(t)) for t in types), key=lambda c: (c[1].lower(), c[0]))


def _existing(model, ids):
    """The pks among ids (strings) that still exist, as strings."""
    field = model._meta.pk
    keys = []
    for value in ids:
        try:
            keys.append(field.to_python(value))
        except ValidationError:
            continue
    if not keys:
        return set()
    found = model._default_manager.filter(pk__in=keys).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def _object_url(entity_type, model, pk):
    page = audit.entity_page(entity_type)
    try:
        if page is not None:
            name, takes_pk = page
            return reverse(name, args=[pk] if takes_pk else [])
        if admin.site.is_registered(model):
            opts = model._meta
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        pass
    return None


def _shown(model, key, value):
    """A stored value as text; a choice code as its German label."""
    if model is not None and value not in (None, "", [], {}):
        try:
            choices = model._meta.get_field(key).flatchoices
        except FieldDoesNotExist:
            choices = None
        if choices:
            labels = {str(code): label for code, label in choices}
            if isinstance(value, list):
                return ", ".join(str(labels.get(str(v), v)) for v in value)
            if str(value) in labels:
                return str(labels[str(value)])
    return audit.display_value(value)


def describe(entries):
    """Rows for the template: each entry with its German action, object label and link, and
    its changes as (German field name, old text, new text)."""
    entries = list(entries)
    ids_by_type = defaultdict(set)
    for entry in entries:
        if entry.entity_type and entry.entity_id:
            ids_by_type[entry.entity_type].add(entry.entity_id)
    existing, emails = {}, {}
    for entity_type, ids in ids_by_type.items():
        model = _model(entity_type)
        if model is not None:
            existing[entity_type] = _existing(model, ids)
    if ids_by_type.get("accounts.user"):
        emails = {
            str(pk): email
            for pk, email in User.objects.filter(
                pk__in=[int(i) for i in existing.get("accounts.user", ()) if i.isdigit()]
            ).values_list("pk", "email")
        }
    rows = []
    for entry in entries:
        model = _model(entry.entity_type) if entry.entity_type else None
        pk = entry.entity_id
        label, url = "", None
        if entry.entity_type:
            short = pk if len(pk) <= 12 else f"{pk[:8]}…"
            label = f"{entity_type_label(entry.entity_type)} #{short}" if pk else ""
            if entry.entity_type == "accounts.user" and pk in emails:
                label = f"Benutzer {emails[pk]}"
            if model is not None and pk in existing.get(entry.entity_type, ()):
                url = _object_url(entry.entity_type, model, pk)
            elif model is not None and pk:
                label += " (gelöscht)"
        rows.append(
            {
                "entry": entry,
                "action": audit.action_label(entry.action),
                "object_label": label or entity_type_label(entry.entity_type),
                "object_url": url,
                "changes": [
                    (audit.field_label(key, model), _shown(model, key, o), _shown(model, key, n))
                    for key, o, n in entry.changes()
                ],
            }
        )
    return rows


@requires(ADMIN)
def audit_list(request):
    filters = AuditFilterForm(request.GET or None, entity_types=entity_type_choices())
    entries = AuditLog.objects.select_related("user")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["user"]:
            entries = entries.filter(user=data["user"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["entity_type"]:
            entries = entries.filter(entity_type=data["entity_type"])
        if data["entity_id"]:
            entries = entries.filter(entity_id=data["entity_id"].strip())
        if data["date_from"]:
            entries = entries.filter(created_at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            entries = entries.filter(
                created_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1))
            )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)
    return render(
        request,
        "accounts/audit_list.html",
        {
            "page": page,
            "rows": describe(page.object_list),
            "filters": filters,
            "query": query.urlencode(),
            "section": "audit",
        },
    )
