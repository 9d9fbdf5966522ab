from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from accounts import outbox
from accounts.addresses import login_name
from accounts.models import AllowedDomain, Role
from accounts.net import client_ip
from accounts.services import role_for_email
from accounts.sessions import NEXT_URL_KEY

# Mails whose text grants access (links with keys) lose their text in the outbox once sent.
SENSITIVE_MAILS = ("email_confirmation", "password_reset_key")


class AccountAdapter(DefaultAccountAdapter):
    """allauth in the portal: registration by allowed domain, German texts, mail via the outbox."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": "Dieses Konto ist deaktiviert.",
        "cannot_remove_primary_email": "Sie können Ihre primäre E-Mail-Adresse nicht entfernen.",
        "duplicate_email": "Diese E-Mail-Adresse gehört bereits zu Ihrem Konto.",
        "email_password_mismatch": "E-Mail-Adresse oder Passwort sind nicht korrekt.",
        "email_taken": "Für diese E-Mail-Adresse gibt es bereits ein Konto.",
        "enter_current_password": "Bitte geben Sie Ihr aktuelles Passwort ein.",
        "incorrect_code": "Der Code ist nicht korrekt.",
        "incorrect_password": "Das Passwort ist nicht korrekt.",
        "invalid_or_expired_key": "Der Link ist ungültig oder abgelaufen.",
        "invalid_login": "Die Anmeldung ist ungültig.",
        "invalid_password_reset": "Der Link zum Zurücksetzen des Passworts ist ungültig.",
        "max_email_addresses": "Sie können nicht mehr als %d E-Mail-Adressen hinterlegen.",
        "too_many_login_attempts": (
            "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es später erneut."
        ),
        "unknown_email": "Diese E-Mail-Adresse gehört zu keinem Konto.",
        "unverified_primary_email": "Ihre primäre E-Mail-Adresse muss bestätigt sein.",
        "same_as_current": "Der neue Wert muss sich vom bisherigen unterscheiden.",
        "rate_limited": "Bitte haben Sie etwas Geduld: Sie senden zu viele Anfragen.",
    }

    def clean_email(self, email):
        # Every address allauth handles (sign-up, password reset, login by e-mail) in the form
        # the portal stores: lower case, IDNA A-labels (accounts.addresses).
        return login_name(super().clean_email(email))

    def is_open_for_signup(self, request):
        # Open only while at least one domain is allowed; invitations have their own page.
        return AllowedDomain.objects.exists()

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        # The domain decides the role (never admin); the form already refused other domains.
        user.role = role_for_email(user.email) or Role.DAK_MITARBEITER
        if user.role == Role.ADMIN:
            user.role = Role.DAK_MITARBEITER
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix, email, context):
        request = self.request
        ctx = {
            "email": email,
            "request": request,
            "current_site": get_current_site(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        outbox.enqueue_message(
            message,
            kind=template_prefix.rsplit("/", 1)[-1],
            sensitive=any(name in template_prefix for name in SENSITIVE_MAILS),
        )

    def format_email_subject(self, subject):
        return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"

    def get_client_ip(self, request):
        return client_ip(request) or "0.0.0.0"  # noqa: S104 - only a label for the session list

    def get_login_stages(self):
        stages = super().get_login_stages()
        return [
            "accounts.adapter.AdminVouchedEmailStage"
            if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in stages
        ]

    def get_password_change_redirect_url(self, request):
        # After the forced change at login, go on to the page that was asked for.
        return request.session.pop(NEXT_URL_KEY, None) or reverse("home")


class AdminVouchedEmailStage(EmailVerificationStage):
    """Mandatory verification, except for accounts created outside sign-up.

    Every sign-up stores an allauth EmailAddress. An account without any (made with
    `createadmin`, `createsuperuser`, the Django admin or the demo data) was created by an
    administrator, who vouches for the address: it is recorded as verified instead of
    sending a confirmation mail.
    """

    def handle(self):
        user = self.login.user
        if user is not None and user.pk and not EmailAddress.objects.filter(user=user).exists():
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        return super().handle()
