"""Expected access for the URLs of accounts, allauth, the Django admin and the project root."""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.utils.http import int_to_base36

from accounts.models import hash_token
from accounts.permissions import ADMIN, LOGGED_IN, PUBLIC
from accounts.tests.permission_table import rule


def _user(ctx):
    return {"pk": ctx.other_user.pk}


def _invitation(ctx):
    return {"pk": ctx.make("accounts.Invitation", token_hash=hash_token("url-rules")).pk}


def _invitation_token(ctx):
    from accounts.services import invitation_create

    _, token = invitation_create(created_by=ctx.admin_user, role="dak_mitarbeiter")
    return {"token": token}


def _domain(ctx):
    return {"pk": ctx.make("accounts.AllowedDomain", domain="beispiel.de").pk}


def _notification(ctx):
    # Each persona opens its own notification; a stranger's notification is a 404.
    return {"pk": ctx.make("accounts.Notification", recipient=ctx.admin_user).pk}


def _email_key(ctx):
    address = EmailAddress.objects.create(user=ctx.other_user, email=ctx.other_user.email)
    return {"key": EmailConfirmationHMAC(address).key}


def _reset_key(ctx):
    user = ctx.other_user
    return {"uidb36": int_to_base36(user.pk), "key": default_token_generator.make_token(user)}


# Pages of allauth that a logged-in user is sent away from (to the start page).
ANON_ONLY = {"dak": "redirect", "admin_no_mfa": "mfa", "admin": "redirect"}

URL_RULES = {
    # --- project ------------------------------------------------------------------------------
    "home": rule(LOGGED_IN),
    "healthz": rule(PUBLIC, admin_no_mfa="ok"),
    # --- Verwaltung (accounts) ----------------------------------------------------------------
    "accounts:index": rule(ADMIN, admin="redirect"),
    "accounts:user_list": rule(ADMIN),
    "accounts:user_create": rule(ADMIN),
    "accounts:user_edit": rule(ADMIN, kwargs=_user),
    "accounts:user_unlock": rule(ADMIN, method="post", kwargs=_user, admin="redirect"),
    "accounts:user_reset_mfa": rule(ADMIN, method="post", kwargs=_user, admin="redirect"),
    "accounts:user_end_sessions": rule(ADMIN, method="post", kwargs=_user, admin="redirect"),
    "accounts:invitation_list": rule(ADMIN),
    "accounts:invitation_create": rule(ADMIN),
    "accounts:invitation_renew": rule(ADMIN, method="post", kwargs=_invitation, admin="redirect"),
    "accounts:invitation_revoke": rule(ADMIN, method="post", kwargs=_invitation, admin="redirect"),
    "accounts:domain_list": rule(ADMIN),
    # An empty form is refused with the list and its errors.
    "accounts:domain_create": rule(ADMIN, method="post", admin=400),
    "accounts:domain_delete": rule(ADMIN, method="post", kwargs=_domain, admin="redirect"),
    "accounts:audit_list": rule(ADMIN),
    # --- own account (konto) ------------------------------------------------------------------
    "konto:invitation_accept": rule(PUBLIC, kwargs=_invitation_token),
    "konto:mfa": rule(LOGGED_IN),
    "konto:mfa_setup": rule(LOGGED_IN, admin="redirect"),  # a verified admin has a device
    "konto:mfa_verify": rule(LOGGED_IN, dak="redirect", admin_no_mfa="ok", admin="redirect"),
    "konto:mfa_backup_codes": rule(LOGGED_IN, dak="redirect"),  # without a device: overview
    "konto:mfa_backup_codes_regenerate": rule(
        LOGGED_IN, method="post", dak="redirect", admin="redirect"
    ),
    "konto:mfa_disable": rule(LOGGED_IN, method="post", dak="redirect", admin=400),
    "konto:notification_list": rule(LOGGED_IN),
    "konto:notification_badge": rule(LOGGED_IN),
    "konto:notification_menu": rule(LOGGED_IN),
    "konto:notification_open": rule(
        LOGGED_IN, method="post", kwargs=_notification, dak="not_found", admin="redirect"
    ),
    "konto:notification_read_all": rule(LOGGED_IN, method="post", dak="redirect", admin="redirect"),
    # --- allauth ------------------------------------------------------------------------------
    "account_login": rule(PUBLIC, **ANON_ONLY),
    "account_signup": rule(PUBLIC, **ANON_ONLY),
    # Logging out is possible in every state; anonymous visitors are sent to the login.
    "account_logout": rule(PUBLIC, anon="login", admin_no_mfa="ok"),
    "account_inactive": rule(PUBLIC),
    "account_email_verification_sent": rule(PUBLIC),
    "account_confirm_email": rule(PUBLIC, kwargs=_email_key),
    "account_reset_password": rule(PUBLIC),
    "account_reset_password_done": rule(PUBLIC),
    # The key moves from the URL into the session, then the form shows.
    "account_reset_password_from_key": rule(
        PUBLIC, kwargs=_reset_key, anon="redirect", dak="redirect", admin="redirect"
    ),
    "account_reset_password_from_key_done": rule(PUBLIC),
    # Login by code is off: the page sends everyone back to the login.
    "account_confirm_login_code": rule(PUBLIC, anon="login", dak="redirect", admin="redirect"),
    "account_reauthenticate": rule(LOGGED_IN),
    "account_email": rule(LOGGED_IN),
    "account_change_password": rule(LOGGED_IN),
    # Everyone here has a password, so allauth sends them to "change".
    "account_set_password": rule(LOGGED_IN, dak="redirect", admin="redirect"),
    "usersessions_list": rule(LOGGED_IN),
    # --- Django admin (PortalAdminSite: OTPAdminSite behind the portal login) -----------------
    # The whole site has one gate; rows below pin it down for a few pages, "admin:*" covers the
    # rest (what a verified admin may do there is the ModelAdmin's business).
    "admin:*": rule(ADMIN, dak="forbidden", admin="passes"),
    "admin:index": rule(ADMIN),
    "admin:login": rule(PUBLIC, anon="login", dak="forbidden", admin="redirect"),
    "admin:logout": rule(ADMIN, method="post", admin="login"),
    "admin:accounts_user_changelist": rule(ADMIN),
    "admin:accounts_auditlog_changelist": rule(ADMIN),
    # The audit log is append-only in the admin too.
    "admin:accounts_auditlog_add": rule(ADMIN, admin="forbidden"),
    "admin:accounts_user_delete": rule(
        ADMIN, kwargs=lambda ctx: {"object_id": ctx.other_user.pk}, admin="forbidden"
    ),
}
