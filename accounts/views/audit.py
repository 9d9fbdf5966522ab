"""The audit log for admins: filter, page, read old → new values."""

import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from accounts.forms import AuditFilterForm
from accounts.models import AuditLog
from accounts.permissions import ADMIN, requires

PAGE_SIZE = 50


def _day_start(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@requires(ADMIN)
def audit_list(request):
    filters = AuditFilterForm(request.GET or None)
    entries = AuditLog.objects.select_related("user")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["user"]:
            entries = entries.filter(user=data["user"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["entity_type"]:
            entries = entries.filter(entity_type=data["entity_type"].strip().lower())
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
    entity_types = (
        AuditLog.objects.exclude(entity_type="")
        .order_by("entity_type")
        .values_list("entity_type", flat=True)
        .distinct()
    )
    return render(
        request,
        "accounts/audit_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "entity_types": entity_types,
            "section": "audit",
        },
    )
