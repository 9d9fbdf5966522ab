"""Audit entries for changes made in the Django admin (domain.md §6)."""

from django.contrib import admin

from accounts import audit


def _snapshot(obj):
    values = audit.model_values(obj)
    for field in obj._meta.concrete_fields:
        # Timestamps that change on every save say nothing about what the admin changed.
        if getattr(field, "auto_now", False):
            values.pop(field.name, None)
    return values


def _stored(obj):
    if obj.pk is None:
        return {}
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return _snapshot(stored) if stored is not None else {}


class AuditedModelAdmin(admin.ModelAdmin):
    """ModelAdmin whose saves and deletes (also of inlines) write audit entries.

    Use it as the base class of a ModelAdmin: `class CaseAdmin(AuditedModelAdmin): ...`.
    """

    def save_model(self, request, obj, form, change):
        old = _stored(obj) if change else {}
        super().save_model(request, obj, form, change)
        new = _snapshot(obj)
        if change:
            old, new = audit.changed_fields(old, new)
            if not old and not new:
                return
        audit.record(
            action=audit.ADMIN_CHANGED if change else audit.ADMIN_CREATED,
            entity=obj,
            old=old,
            new=new,
            request=request,
        )

    def delete_model(self, request, obj):
        audit.record(action=audit.ADMIN_DELETED, entity=obj, old=_snapshot(obj), request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(
                action=audit.ADMIN_DELETED, entity=obj, old=_snapshot(obj), request=request
            )
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        before = {f.instance.pk: _stored(f.instance) for f in formset.forms if f.instance.pk}
        deleted = [
            (f.instance._meta.label_lower, f.instance.pk, before.get(f.instance.pk, {}))
            for f in formset.deleted_forms
            if f.instance.pk
        ]
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit.record(
                action=audit.ADMIN_CREATED, entity=obj, new=_snapshot(obj), request=request
            )
        for obj, _changed in formset.changed_objects:
            audit.record(
                action=audit.ADMIN_CHANGED,
                entity=obj,
                old=before.get(obj.pk, {}),
                new=_snapshot(obj),
                request=request,
            )
        for entity_type, pk, old in deleted:
            audit.record(
                action=audit.ADMIN_DELETED,
                entity_type=entity_type,
                entity_id=pk,
                old=old,
                request=request,
            )


class ReadAuditedMixin:
    """Mix into a ModelAdmin whose change page shows patient data: each time the page is
    shown (also as a read-only view, also re-shown with form errors), an audit entry
    `read` names the record by type and primary key (domain.md §6)."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", None) or {}
        if response.status_code == 200 and shown.get("original") is not None:
            audit.record_read(request, shown["original"])
        return response
