from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from accounts import audit
from accounts.addresses import login_name, normalise_domain, normalise_email
from accounts.models import AllowedDomain, Role, User
from accounts.services import (
    ACCOUNT_EXISTS_MESSAGE,
    DOMAIN_EXISTS_MESSAGE,
    EMAIL_TAKEN_MESSAGE,
    role_for_email,
)

NOT_ALLOWED_MESSAGE = (
    "Mit dieser E-Mail-Adresse ist keine Registrierung möglich. Registrieren können sich nur "
    "Beschäftigte mit einer Adresse einer freigegebenen Domain (z. B. @dak.de) oder Personen "
    "mit einer Einladung. Wenden Sie sich bitte an die Administration des Portals."
)
OWN_ROLE_MESSAGE = "Sie können sich die Administrator-Rolle nicht selbst nehmen."
OWN_ACTIVE_MESSAGE = "Sie können Ihr eigenes Konto nicht deaktivieren."


class LoginForm(allauth_forms.LoginForm):
    """allauth's login with the credentials key django-axes reads (its documented integration)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-Mail-Adresse"
        self.fields["login"].widget.attrs.update(placeholder="name@beispiel.de")
        self.fields["password"].label = "Passwort"
        self.fields["password"].help_text = ""
        self.fields["password"].widget.attrs.pop("placeholder", None)

    def clean_login(self):
        # The stored form of the address (lower case, IDNA A-labels), so `A@DAK.de` logs in.
        return login_name(super().clean_login())

    def user_credentials(self):
        credentials = super().user_credentials()
        credentials["login"] = credentials.get("email") or credentials.get("username")
        return credentials


def _set_password_labels(form):
    form.fields["password1"].label = "Passwort"
    form.fields["password2"].label = "Passwort (Wiederholung)"
    for name in ("password1", "password2"):
        form.fields[name].widget.attrs.pop("placeholder", None)


class SignupForm(allauth_forms.SignupForm):
    """Self-registration, only for addresses of an allowed domain (domain.md §2)."""

    first_name = forms.CharField(label="Vorname", max_length=150)
    last_name = forms.CharField(label="Nachname", max_length=150)
    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Dienstliche E-Mail-Adresse"
        self.fields["email"].widget.attrs.pop("placeholder", None)
        _set_password_labels(self)

    def clean_email(self):
        # Normalised (and look-alikes refused) before allauth's duplicate check sees it.
        self.cleaned_data["email"] = normalise_email(self.cleaned_data["email"])
        email = super().clean_email()
        if role_for_email(email) is None:
            raise ValidationError(NOT_ALLOWED_MESSAGE, code="domain_not_allowed")
        return email


class AddEmailForm(allauth_forms.AddEmailForm):
    """Users keep the one address they log in with; only an admin changes it."""

    def clean_email(self):
        raise ValidationError(
            "Ihre E-Mail-Adresse kann nur die Administration ändern.", code="managed_by_admin"
        )


class PasswordPairMixin:
    """password1/password2 with the project's validators, checked against the e-mail and names
    of the account about to be created (forms with those fields)."""

    def clean(self):
        cleaned = super().clean()
        self._check_passwords(
            User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
        )
        return cleaned

    def _check_passwords(self, user):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "Die beiden Passwörter stimmen nicht überein.")
            return
        if password1:
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)


class InvitationAcceptForm(PasswordPairMixin, forms.Form):
    email = forms.EmailField(label="E-Mail-Adresse")
    first_name = forms.CharField(label="Vorname", max_length=150)
    last_name = forms.CharField(label="Nachname", max_length=150)
    password1 = forms.CharField(
        label="Passwort",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Passwort (Wiederholung)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)
        if invitation.email:
            # Bound to its address: shown, not editable, and never taken from the POST.
            self.fields["email"].initial = invitation.email
            self.fields["email"].disabled = True
            self.fields["email"].help_text = "Diese Einladung gilt nur für diese Adresse."

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError(EMAIL_TAKEN_MESSAGE, code="email_taken")
        return email


class UserCreateForm(PasswordPairMixin, forms.ModelForm):
    password1 = forms.CharField(
        label="Vorläufiges Passwort",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Die Person muss es bei der ersten Anmeldung ändern. "
        + password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Passwort (Wiederholung)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    send_welcome = forms.BooleanField(
        label="Willkommens-E-Mail mit dem Anmeldelink senden (ohne Passwort)",
        required=False,
        initial=True,
    )

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role")

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError(ACCOUNT_EXISTS_MESSAGE, code="email_taken")
        return email


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "is_active", "must_change_password")
        labels = {"is_active": "Konto aktiv", "must_change_password": "muss Passwort ändern"}

    def __init__(self, *args, acting_user, **kwargs):
        self.acting_user = acting_user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(ACCOUNT_EXISTS_MESSAGE, code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk == self.acting_user.pk:
            if cleaned.get("role") and cleaned["role"] != Role.ADMIN:
                self.add_error("role", OWN_ROLE_MESSAGE)
            if "is_active" in cleaned and not cleaned["is_active"]:
                self.add_error("is_active", OWN_ACTIVE_MESSAGE)
        return cleaned


class InvitationCreateForm(forms.Form):
    email = forms.EmailField(
        label="Feste E-Mail-Adresse",
        required=False,
        help_text="Optional. Ist eine Adresse angegeben, gilt die Einladung nur für sie.",
    )
    role = forms.ChoiceField(label="Rolle", choices=Role.choices, initial=Role.DAK_MITARBEITER)
    valid_days = forms.IntegerField(
        label="Gültig (Tage)", min_value=1, max_value=90, initial=settings.INVITATION_VALID_DAYS
    )
    send_email = forms.BooleanField(
        label="Einladung per E-Mail an diese Adresse senden", required=False, initial=True
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if not email:
            return ""
        email = normalise_email(email)
        if User.objects.filter(email=email).exists():
            raise ValidationError(ACCOUNT_EXISTS_MESSAGE, code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.ADMIN and not cleaned.get("email"):
            self.add_error(
                "email",
                "Eine Einladung als Administrator muss an eine feste E-Mail-Adresse gebunden sein.",
            )
        if cleaned.get("send_email") and not cleaned.get("email"):
            cleaned["send_email"] = False
        return cleaned


class AllowedDomainForm(forms.ModelForm):
    class Meta:
        model = AllowedDomain
        fields = ("domain", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.ADMIN]

    def clean_domain(self):
        domain = normalise_domain(self.cleaned_data["domain"].strip().lstrip("@"))
        if AllowedDomain.objects.filter(domain=domain).exists():
            raise ValidationError(DOMAIN_EXISTS_MESSAGE, code="domain_taken")
        return domain


class MFACodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


SELECT = {"class": "form-select"}
INPUT = {"class": "form-control"}
DATE_INPUT = forms.DateInput(attrs={"type": "date", **INPUT}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label="Benutzer",
        queryset=User.objects.order_by("email"),
        required=False,
        empty_label="alle",
        widget=forms.Select(attrs=SELECT),
    )
    action = forms.ChoiceField(label="Aktion", required=False, widget=forms.Select(attrs=SELECT))
    entity_type = forms.ChoiceField(
        label="Objekttyp", required=False, widget=forms.Select(attrs=SELECT)
    )
    entity_id = forms.CharField(
        label="Objekt-ID", required=False, max_length=64, widget=forms.TextInput(attrs=INPUT)
    )
    date_from = forms.DateField(label="von", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="bis", required=False, widget=DATE_INPUT)

    def __init__(self, *args, entity_types=(), **kwargs):
        """entity_types: (type, German name) pairs the log holds (accounts.views.audit)."""
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "alle"), *audit.action_choices()]
        self.fields["entity_type"].choices = [("", "alle"), *entity_types]


class UserFilterForm(forms.Form):
    q = forms.CharField(label="Suche", required=False, max_length=100)
    role = forms.ChoiceField(
        label="Rolle",
        required=False,
        choices=[("", "alle"), *Role.choices],
        widget=forms.Select(attrs=SELECT),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        widget=forms.Select(attrs=SELECT),
        choices=[
            ("", "alle"),
            ("aktiv", "aktiv"),
            ("inaktiv", "deaktiviert"),
            ("gesperrt", "gesperrt"),
            ("ohne_mfa", "ohne 2FA"),
        ],
    )
