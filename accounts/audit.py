"""The audit log's one write path (domain.md §6).

`record()` writes inside the caller's transaction, so an audited change and its entry are
committed together or not at all. Values are reduced to the fields that changed and made
JSON-safe (dates as ISO strings, decimals as strings, model instances as primary keys).
"""

import datetime as dt
import decimal
import enum
import re
import uuid

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from accounts.models import AuditLog
from accounts.net import client_ip, user_agent

# Actions the accounts app writes. Other apps pass their own action strings (e.g. "import");
# `register_action_labels` gives them a German label for the audit pages.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
SESSION_EXPIRED = "session_expired"
LOCKED = "account_locked"
UNLOCKED = "account_unlocked"
# The second factor is "mfa" in code; these two keep their stored values (the audit log is
# never rewritten).
MFA_VERIFIED = "otp_verified"
MFA_FAILED = "otp_failed"
SIGNUP = "signup"
EMAIL_CONFIRMED = "email_confirmed"
USER_CREATED = "user_created"
USER_CHANGED = "user_changed"
SESSIONS_ENDED = "sessions_ended"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name
PASSWORD_RESET = "password_reset"  # noqa: S105 - an action name
INVITATION_CREATED = "invitation_created"
INVITATION_RENEWED = "invitation_renewed"
INVITATION_REVOKED = "invitation_revoked"
INVITATION_USED = "invitation_used"
DOMAIN_CREATED = "domain_created"
DOMAIN_DELETED = "domain_deleted"
MFA_ENABLED = "mfa_enabled"
MFA_DISABLED = "mfa_disabled"
MFA_RESET = "mfa_reset"
BACKUP_CODES_REGENERATED = "backup_codes_regenerated"
ADMIN_CREATED = "admin_created"
ADMIN_CHANGED = "admin_changed"
ADMIN_DELETED = "admin_deleted"
READ = "read"
DOWNLOAD = "download"

_LABELS = {
    LOGIN: "Anmeldung",
    LOGIN_FAILED: "Fehlgeschlagene Anmeldung",
    LOGOUT: "Abmeldung",
    SESSION_EXPIRED: "Sitzung abgelaufen",
    LOCKED: "Konto gesperrt",
    UNLOCKED: "Konto entsperrt",
    MFA_VERIFIED: "2FA-Code bestätigt",
    MFA_FAILED: "2FA-Code falsch",
    SIGNUP: "Registrierung",
    EMAIL_CONFIRMED: "E-Mail-Adresse bestätigt",
    USER_CREATED: "Benutzer angelegt",
    USER_CHANGED: "Benutzer geändert",
    SESSIONS_ENDED: "Sitzungen beendet",
    PASSWORD_CHANGED: "Passwort geändert",
    PASSWORD_RESET: "Passwort zurückgesetzt",
    INVITATION_CREATED: "Einladung erstellt",
    INVITATION_RENEWED: "Einladungslink erneuert",
    INVITATION_REVOKED: "Einladung widerrufen",
    INVITATION_USED: "Einladung verwendet",
    DOMAIN_CREATED: "Domain freigegeben",
    DOMAIN_DELETED: "Domain-Freigabe entfernt",
    MFA_ENABLED: "2FA eingerichtet",
    MFA_DISABLED: "2FA deaktiviert",
    MFA_RESET: "2FA zurückgesetzt",
    BACKUP_CODES_REGENERATED: "Backup-Codes neu erzeugt",
    ADMIN_CREATED: "Angelegt (Django-Admin)",
    ADMIN_CHANGED: "Geändert (Django-Admin)",
    ADMIN_DELETED: "Gelöscht (Django-Admin)",
    READ: "Angesehen",
    DOWNLOAD: "Heruntergeladen",
}


def register_action_labels(labels):
    """Let another app name its actions for the audit pages (call from AppConfig.ready)."""
    _LABELS.update(labels)


def action_label(action):
    return _LABELS.get(action, action)


# Pages that show one audited record, by entity type: a URL name taking the primary key, or
# one without arguments (a list). Types not listed here link to their Django-admin change page.
_ENTITY_PAGES = {
    "accounts.user": ("accounts:user_edit", True),
    "accounts.invitation": ("accounts:invitation_list", False),
    "accounts.alloweddomain": ("accounts:domain_list", False),
}
# German names of stored keys that are not model fields (counts, file facts, ...).
_FIELD_LABELS = {
    "datei": "Datei",
    "ansicht": "Ansicht",
    "seite": "Seite",
    "seite_faelle": "Seite der Fälle",
    "seite_meldungen": "Seite der Meldungen",
    "zeilen": "Zeilen",
    "importiert": "neu",
    "aktualisiert": "aktualisiert",
    "übersprungen": "übersprungen",
    "unverändert": "unverändert",
    "fehler": "Fehler",
    "import_log_ids": "Importprotokolle",
}


def register_entity_pages(pages):
    """{entity type: (URL name, takes the pk)} for the audit log's links (AppConfig.ready)."""
    _ENTITY_PAGES.update(pages)


def entity_page(entity_type):
    return _ENTITY_PAGES.get(entity_type)


def register_field_labels(labels):
    """German names for stored keys that are not model fields (call from AppConfig.ready)."""
    _FIELD_LABELS.update(labels)


def field_label(key, model=None):
    """A stored key as staff read it: the model field's verbose name, a registered label, or
    the key itself."""
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:
            pass
    return _FIELD_LABELS.get(key, key)


def action_choices():
    return sorted(_LABELS.items(), key=lambda item: item[1])


def to_json(value):
    """A JSON-safe copy of value: dates → ISO, decimals → str, instances → pk, sets → lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_json(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, bytes):
        return f"<{len(value)} Bytes>"
    return str(value)


def changed_fields(old, new):
    """(old, new) reduced to the keys whose JSON values differ (a missing key counts as None)."""
    old = to_json(old or {})
    new = to_json(new or {})
    keys = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    return {k: old[k] for k in keys if k in old}, {k: new[k] for k in keys if k in new}


def entity_ref(entity):
    """(`app_label.model`, str(pk)) for a model instance."""
    return entity._meta.label_lower, str(entity.pk)


def record(
    *,
    action,
    user=None,
    entity=None,
    entity_type="",
    entity_id=None,
    old=None,
    new=None,
    request=None,
    actor=None,
):
    """Write one audit entry; with old and new, only the fields that changed are kept.

    The acting user, address and user agent come from ``actor`` (an accounts.actor.Actor), or
    from ``request`` for older call sites; an explicit ``user`` wins over both.
    """
    if actor is not None:
        user = user if user is not None else actor.user
        request = request if request is not None else actor.request
    if entity is not None:
        entity_type, entity_id = entity_ref(entity)
    if old is not None and new is not None:
        old, new = changed_fields(old, new)
    else:
        old, new = to_json(old or {}), to_json(new or {})
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is not None and not getattr(user, "pk", None):
        user = None
    return AuditLog.objects.create(
        action=action,
        user=user,
        user_email=user.email if user is not None else "",
        entity_type=entity_type or "",
        entity_id="" if entity_id is None else str(entity_id),
        old_values=old,
        new_values=new,
        ip_address=(client_ip(request) if request is not None else (actor.ip if actor else None)),
        user_agent=(
            user_agent(request) if request is not None else (actor.user_agent if actor else "")
        ),
    )


def record_read(
    request=None,
    entity=None,
    *,
    actor=None,
    action=READ,
    entity_type="",
    entity_id=None,
    details=None,
):
    """Audit that someone looked at or downloaded patient data (domain.md §6): the one helper
    for reads, called by views (never by templates), with the request or an ``actor``.

    The entry names the entity by type and primary key only (an instance, or ``entity_type``
    and ``entity_id`` for something without one). ``details`` are facts about the access
    (e.g. {"datei": "Fehlerzeilen_123.csv", "seite": 2}); never a field value of the entity.
    """
    if request is None and actor is None:
        raise ValueError("record_read braucht request oder actor.")
    return record(
        action=action,
        entity=entity,
        entity_type=entity_type,
        entity_id=entity_id,
        new=details or {},
        request=request,
        actor=actor,
    )


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")


def display_value(value):
    """An old/new value as staff read it: ja/nein, German dates, lists joined, – for empty."""
    if value is None or value in ("", [], {}):
        return "–"
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    if isinstance(value, list):
        return ", ".join(display_value(item) for item in value)
    if isinstance(value, str) and ISO_DATE.match(value):
        if "T" not in value:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        moment = dt.datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%d.%m.%Y %H:%M")
    return str(value)


def model_values(instance, fields=None):
    """A dict of an instance's concrete field values (FKs as ids), for old/new snapshots."""
    values = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name == "password":
            continue
        values[field.name] = field.value_from_object(instance)
    return values
