import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.addresses import login_name, normalise_domain, normalise_email
from cases.fields import ExactCharField, ExactCollationMixin


class ExactEmailField(ExactCollationMixin, models.EmailField):
    """An address compared byte for byte by the database as by Python (cases.fields): on
    MariaDB's default collation `x@dák.de` would equal `x@dak.de` in lookups and unique keys."""


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    DAK_MITARBEITER = "dak_mitarbeiter", "DAK-Mitarbeiter"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Eine E-Mail-Adresse ist erforderlich.")
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.DAK_MITARBEITER)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["role"] = Role.ADMIN
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Addresses are stored normalised (lower case, IDNA A-labels) and compared exactly, so
        # the login name is normalised the same way: `A@DAK.de` logs in as `a@dak.de`.
        return self.get(email=login_name(username))


class User(AbstractBaseUser, PermissionsMixin):
    email = ExactEmailField("E-Mail", unique=True)
    first_name = models.CharField("Vorname", max_length=150, blank=True)
    last_name = models.CharField("Nachname", max_length=150, blank=True)
    role = ExactCharField(
        "Rolle", max_length=20, choices=Role.choices, default=Role.DAK_MITARBEITER
    )
    is_active = models.BooleanField("aktiv", default=True)
    # Derived from the role on every save; never set by hand (domain.md §2).
    is_staff = models.BooleanField("Zugang zur Django-Verwaltung", default=False, editable=False)
    must_change_password = models.BooleanField("muss Passwort ändern", default=False)
    date_joined = models.DateTimeField("registriert am", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "Benutzer"
        verbose_name_plural = "Benutzer"
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        # Before AbstractBaseUser.clean(), whose NFKC step would map a look-alike (`ｄak.de`)
        # onto the real domain instead of refusing it.
        try:
            self.email = normalise_email(self.email)
        except ValidationError as error:
            raise ValidationError({"email": error}) from error
        super().clean()

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        self.is_staff = self.role == Role.ADMIN
        if kwargs.get("update_fields") is not None and "role" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff"}
        super().save(*args, **kwargs)

    @property
    def is_admin(self):
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_dak(self):
        return self.is_active and self.role == Role.DAK_MITARBEITER

    # The admin role is the whole permission model (domain.md §2): no per-model permissions.
    def has_perm(self, perm, obj=None):
        return self.is_admin or super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        return self.is_admin or super().has_module_perms(app_label)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self):
        return self.first_name or self.email


class AllowedDomain(models.Model):
    """An e-mail domain whose owners may register themselves, with the role they get."""

    domain = ExactCharField(
        "Domain",
        max_length=253,
        unique=True,
        help_text="Genau die Domain nach dem @, z. B. dak.de (Subdomains zählen nicht mit).",
    )
    role = ExactCharField(
        "Rolle", max_length=20, choices=Role.choices, default=Role.DAK_MITARBEITER
    )
    created_at = models.DateTimeField("angelegt am", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="angelegt von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "freigegebene Domain"
        verbose_name_plural = "freigegebene Domains"
        ordering = ["domain"]
        constraints = [
            # A domain never makes anyone an administrator (domain.md §2).
            models.CheckConstraint(
                condition=~models.Q(role=Role.ADMIN), name="alloweddomain_role_not_admin"
            ),
        ]

    def __str__(self):
        return self.domain

    def clean(self):
        # One normal form (lower case, IDNA 2008); look-alikes are refused, never mapped.
        try:
            self.domain = normalise_domain((self.domain or "").strip().lstrip("@"))
        except ValidationError as error:
            raise ValidationError({"domain": error}) from error
        if self.role == Role.ADMIN:
            raise ValidationError({"role": "Über eine Domain kann niemand Administrator werden."})


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationState(models.TextChoices):
    ACTIVE = "aktiv", "aktiv"
    USED = "verwendet", "verwendet"
    EXPIRED = "abgelaufen", "abgelaufen"
    REVOKED = "widerrufen", "widerrufen"


class InvitationQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use registration link. Only the SHA-256 of its token is stored."""

    token_hash = ExactCharField(max_length=64, unique=True, editable=False)
    email = ExactEmailField(
        "feste E-Mail-Adresse",
        blank=True,
        help_text="Leer lassen, wenn die eingeladene Person ihre Adresse selbst angeben soll.",
    )
    role = ExactCharField("Rolle", max_length=20, choices=Role.choices)
    expires_at = models.DateTimeField("gültig bis")
    created_at = models.DateTimeField("angelegt am", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="angelegt von",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    used_at = models.DateTimeField("verwendet am", null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="angelegtes Konto",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField("widerrufen am", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="widerrufen von",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "Einladung"
        verbose_name_plural = "Einladungen"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Einladung {self.pk} ({self.email or 'ohne feste Adresse'})"

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(32)

    def set_token(self, token):
        self.token_hash = hash_token(token)

    @classmethod
    def find(cls, token):
        if not token or len(token) > 200:
            return None
        return cls.objects.filter(token_hash=hash_token(token)).first()

    @property
    def state(self):
        if self.revoked_at:
            return InvitationState.REVOKED
        if self.used_at:
            return InvitationState.USED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.ACTIVE


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Das Audit-Protokoll kann nicht geändert werden.")

    def delete(self):
        raise PermissionError("Das Audit-Protokoll kann nicht gelöscht werden.")

    def _raw_delete(self, using):
        raise PermissionError("Das Audit-Protokoll kann nicht gelöscht werden.")


class AuditLog(models.Model):
    """One audited event (domain.md §6). Append-only: rows are never updated or deleted."""

    created_at = models.DateTimeField("Zeitpunkt", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Benutzer",
        null=True,
        blank=True,
        # Users are deactivated, never deleted, so who did what stays answerable.
        on_delete=models.PROTECT,
        related_name="+",
    )
    user_email = models.CharField("E-Mail des Benutzers", max_length=254, blank=True)
    action = ExactCharField("Aktion", max_length=64, db_index=True)
    entity_type = ExactCharField("Objekttyp", max_length=100, blank=True)
    entity_id = ExactCharField("Objekt-ID", max_length=64, blank=True)
    old_values = models.JSONField("alte Werte", default=dict, blank=True)
    new_values = models.JSONField("neue Werte", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP-Adresse", null=True, blank=True)
    user_agent = models.CharField("Browser", max_length=300, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "Audit-Eintrag"
        verbose_name_plural = "Audit-Protokoll"
        ordering = ["-created_at", "-id"]
        indexes = [
            # An entity's entries; with the action, a case's history (everything but reads and
            # downloads) is read without stepping over the reads, which grow with every view.
            models.Index(
                fields=["entity_type", "entity_id", "action", "created_at"],
                name="auditlog_entity_action_idx",
            ),
            models.Index(fields=["user", "created_at"], name="auditlog_user_time_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%d.%m.%Y %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Das Audit-Protokoll kann nicht geändert werden.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Das Audit-Protokoll kann nicht gelöscht werden.")

    def changes(self):
        """(field, old, new) for every field in old or new values, in a stable order."""
        keys = list(dict.fromkeys([*self.old_values, *self.new_values]))
        return [(key, self.old_values.get(key), self.new_values.get(key)) for key in keys]


class OutboxEmail(models.Model):
    """An e-mail waiting to be sent, or sent (accounts/outbox.py)."""

    kind = models.CharField("Art", max_length=100)
    to = models.EmailField("Empfänger")
    subject = models.CharField("Betreff", max_length=255)
    body = models.TextField("Text", blank=True)
    html_body = models.TextField("HTML", blank=True)
    # Mails carrying a secret (reset link, invitation token) lose their text once sent.
    sensitive = models.BooleanField("enthält Zugangsdaten", default=False)
    created_at = models.DateTimeField("angelegt am", default=timezone.now)
    sent_at = models.DateTimeField("gesendet am", null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField("Versuche", default=0)
    last_error = models.TextField("letzter Fehler", blank=True)
    next_attempt_at = models.DateTimeField("nächster Versuch", default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "E-Mail (Postausgang)"
        verbose_name_plural = "E-Mails (Postausgang)"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sent_at", "next_attempt_at"], name="outbox_pending_idx"),
        ]

    def __str__(self):
        return f"E-Mail {self.pk} an {self.to}"


class NotificationType(models.TextChoices):
    NEW_CASES_UPLOADED = "new_cases_uploaded", "Neue Fälle importiert"
    ICD_ENTERED = "icd_entered", "ICD-Codes eingetragen"
    ICD_UPLOADED = "icd_uploaded", "ICD-Codierung hochgeladen"
    REPORT_READY = "report_ready", "Bericht erstellt"
    CODING_COMPLETED = "coding_completed", "Codierung abgeschlossen"


class Notification(models.Model):
    """An in-app notification; its e-mail copy goes through the outbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Empfänger",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    type = ExactCharField("Art", max_length=30, choices=NotificationType.choices)
    title = models.CharField("Titel", max_length=200)
    message = models.TextField("Nachricht", blank=True)
    link = models.CharField("Link", max_length=500, blank=True)
    entity_type = ExactCharField("Objekttyp", max_length=100, blank=True)
    entity_id = ExactCharField("Objekt-ID", max_length=64, blank=True)
    read = models.BooleanField("gelesen", default=False)
    read_at = models.DateTimeField("gelesen am", null=True, blank=True)
    email = models.OneToOneField(
        OutboxEmail,
        verbose_name="E-Mail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notification",
    )
    created_at = models.DateTimeField("erstellt am", default=timezone.now)

    class Meta:
        verbose_name = "Benachrichtigung"
        verbose_name_plural = "Benachrichtigungen"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read", "created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self):
        return self.title

    # The e-mail state lives in the one outbox table; these read it for the notification.
    @property
    def email_sent(self):
        return bool(self.email_id and self.email.sent_at)

    @property
    def attempts(self):
        return self.email.attempts if self.email_id else 0

    @property
    def last_error(self):
        return self.email.last_error if self.email_id else ""
