from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    DAK_MITARBEITER = "dak_mitarbeiter", "DAK-Mitarbeiter"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Eine E-Mail-Adresse ist erforderlich.")
        user = self.model(email=self.normalize_email(email), **extra)
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
        # Log-in addresses are matched case-insensitively whatever the database collation says.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("E-Mail", unique=True)
    first_name = models.CharField("Vorname", max_length=150, blank=True)
    last_name = models.CharField("Nachname", max_length=150, blank=True)
    role = models.CharField(
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
