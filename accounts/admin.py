from datetime import datetime, time, timedelta

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib import admin, messages
from django.contrib.admin.filters import FieldListFilter
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html_join
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.admin_audit import AuditedModelAdmin
from accounts.forms import OWN_ACTIVE_MESSAGE, OWN_ROLE_MESSAGE
from accounts.models import (
    AllowedDomain,
    AuditLog,
    Invitation,
    Notification,
    OutboxEmail,
    Role,
    User,
)
from accounts.services import set_verified_email
from accounts.sessions import end_sessions


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "must_change_password",
        )

    acting_user = None

    def clean(self):
        cleaned = super().clean()
        if self.acting_user is not None and self.instance.pk == self.acting_user.pk:
            if cleaned.get("role") and cleaned["role"] != Role.ADMIN:
                self.add_error("role", OWN_ROLE_MESSAGE)
            if "is_active" in cleaned and not cleaned["is_active"]:
                self.add_error("is_active", OWN_ACTIVE_MESSAGE)
        return cleaned


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    add_form = UserCreationForm
    form = UserChangeForm
    list_display = ("email", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "is_staff")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name")}),
        ("Rolle und Status", {"fields": ("role", "is_staff", "is_active", "must_change_password")}),
        ("Daten", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
    filter_horizontal = ()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, UserChangeForm):
            form = type("BoundUserChangeForm", (form,), {"acting_user": request.user})
        return form

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: the audit log keeps pointing at them.
        return False

    def save_model(self, request, obj, form, change):
        was_active = User.objects.filter(pk=obj.pk, is_active=True).exists() if change else True
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
        if not change:
            set_verified_email(obj)
        elif was_active and not obj.is_active:
            end_sessions(obj)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            target = User.objects.get(pk=id)
            audit.record(
                action=audit.PASSWORD_CHANGED,
                entity=target,
                new={"durch": "Django-Admin"},
                request=request,
            )
        return response


@admin.register(AllowedDomain)
class AllowedDomainAdmin(AuditedModelAdmin):
    list_display = ("domain", "role", "created_at", "created_by")
    fields = ("domain", "role")
    search_fields = ("domain",)

    # AllowedDomain.clean() normalises the domain (accounts.addresses) and refuses look-alikes.
    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only by the portal's services: shown, never edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "email", "role", "state_label", "created_at", "expires_at", "used_by")
    list_filter = ("role",)
    search_fields = ("email",)
    exclude = ("token_hash",)

    @admin.display(description="Status")
    def state_label(self, obj):
        return obj.state.label


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class DateRangeFilter(FieldListFilter):
    """From/to date inputs for one date-time field (inclusive days)."""

    template = "accounts/admin/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_gte = f"{field_path}__date__gte"
        self.lookup_lte = f"{field_path}__date__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "Zeitraum"

    def expected_parameters(self):
        return [self.lookup_gte, self.lookup_lte]

    def has_output(self):
        return True

    def _value(self, name):
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return value

    def queryset(self, request, queryset):
        # Bounds of the local days as instants, not `__date`: that would need CONVERT_TZ and
        # with it MariaDB's time-zone tables (accounts.checks.time_zone_tables).
        filters = {}
        first = parse_date(str(self._value(self.lookup_gte) or ""))
        last = parse_date(str(self._value(self.lookup_lte) or ""))
        if first is not None:
            filters[f"{self.field_path}__gte"] = _local_midnight(first)
        if last is not None:
            filters[f"{self.field_path}__lt"] = _local_midnight(last + timedelta(days=1))
        return queryset.filter(**filters)

    def choices(self, changelist):
        yield {
            "gte_name": self.lookup_gte,
            "lte_name": self.lookup_lte,
            "gte_value": self._value(self.lookup_gte) or "",
            "lte_value": self._value(self.lookup_lte) or "",
            "other_params": [
                (key, value)
                for key, value in changelist.get_filters_params().items()
                if key not in (self.lookup_gte, self.lookup_lte)
            ],
            "reset_url": changelist.get_query_string(remove=[self.lookup_gte, self.lookup_lte]),
        }


class ActionFilter(admin.SimpleListFilter):
    title = "Aktion"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return audit.action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class EntityTypeFilter(admin.SimpleListFilter):
    title = "Objekttyp"
    parameter_name = "entity_type"

    def lookups(self, request, model_admin):
        types = (
            AuditLog.objects.exclude(entity_type="")
            .order_by("entity_type")
            .values_list("entity_type", flat=True)
            .distinct()
        )
        return [(t, t) for t in types]

    def queryset(self, request, queryset):
        return queryset.filter(entity_type=self.value()) if self.value() else queryset


class UserFilter(admin.SimpleListFilter):
    title = "Benutzer"
    parameter_name = "user"

    def lookups(self, request, model_admin):
        return [(u.pk, u.email) for u in User.objects.order_by("email")]

    def queryset(self, request, queryset):
        return queryset.filter(user_id=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user_email",
        "action_label",
        "entity",
        "changes_html",
        "ip_address",
    )
    list_filter = (UserFilter, ActionFilter, EntityTypeFilter, ("created_at", DateRangeFilter))
    search_fields = ("user_email", "entity_id", "entity_type")
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "created_at",
        "user",
        "user_email",
        "action",
        "entity_type",
        "entity_id",
        "changes_html",
        "ip_address",
        "user_agent",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return True

    @admin.display(description="Aktion", ordering="action")
    def action_label(self, obj):
        return audit.action_label(obj.action)

    @admin.display(description="Objekt")
    def entity(self, obj):
        return f"{obj.entity_type} #{obj.entity_id}" if obj.entity_type else "–"

    @admin.display(description="Änderungen (alt → neu)")
    def changes_html(self, obj):
        rows = obj.changes()
        if not rows:
            return "–"
        return format_html_join(
            "",
            "<div><strong>{}</strong>: {} → {}</div>",
            ((key, audit.display_value(old), audit.display_value(new)) for key, old, new in rows),
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "type", "title", "read", "email_state")
    list_filter = ("type", "read")
    search_fields = ("recipient__email", "title")
    list_select_related = ("recipient", "email")

    def has_view_permission(self, request, obj=None):
        return True

    @admin.display(description="E-Mail")
    def email_state(self, obj):
        if not obj.email_id:
            return "–"
        return "gesendet" if obj.email.sent_at else f"wartet ({obj.email.attempts} Versuche)"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "to", "subject", "sent_at", "attempts", "next_attempt_at")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("to", "subject")
    exclude = ("body", "html_body")
    actions = ["retry_now"]

    def has_view_permission(self, request, obj=None):
        return True

    @admin.action(description="Ausgewählte ungesendete E-Mails sofort erneut versuchen")
    def retry_now(self, request, queryset):
        ids = list(queryset.filter(sent_at__isnull=True).values_list("pk", flat=True))
        OutboxEmail.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
        audit.record(
            action=audit.ADMIN_CHANGED,
            entity_type="accounts.outboxemail",
            new={"erneut_senden": ids},
            request=request,
        )
        self.message_user(request, f"{len(ids)} E-Mails werden beim nächsten Lauf gesendet.")


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class AuditedEmailAddressAdmin(AuditedModelAdmin, EmailAddressAdmin):
    pass


admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "ip", "user_agent")
    search_fields = ("user__email", "ip")
    actions = ["end_selected"]

    def has_view_permission(self, request, obj=None):
        return True

    @admin.action(description="Ausgewählte Sitzungen beenden (abmelden)")
    def end_selected(self, request, queryset):
        count = 0
        for session in queryset.select_related("user"):
            audit.record(
                action=audit.SESSIONS_ENDED,
                entity=session.user,
                new={"anzahl": 1, "durch": "Django-Admin"},
                request=request,
            )
            session.end()
            count += 1
        self.message_user(request, f"{count} Sitzungen beendet.", messages.SUCCESS)


# Roles are the whole permission model (domain.md §2); Django's groups would only mislead.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

# Second factors are managed in the portal (own page, reset by an admin, audited); the
# device admins would show TOTP secrets and allow unaudited changes.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
