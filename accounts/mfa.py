"""Two-factor authentication with django-otp: TOTP app plus single-use backup codes."""

import base64
import functools
import re

import segno
from django.db import connection, transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.sessions import cycle_key, end_sessions

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator-App"
BACKUP_NAME = "Backup-Codes"


def has_device(user):
    """True if the user has a confirmed second factor. Asked on every page (the login steps);
    one plain statement, as the bell's count: the ORM's exists() spent several times the
    statement's own cost building the query (docs/decisions.md, "Page speed under load")."""
    with connection.cursor() as cursor:
        cursor.execute(_has_device_sql(), [user.pk, True])
        return cursor.fetchone() is not None


@functools.cache
def _has_device_sql():
    meta, quote = TOTPDevice._meta, connection.ops.quote_name
    owner, confirmed = meta.get_field("user").column, meta.get_field("confirmed").column
    return (
        f"SELECT 1 FROM {quote(meta.db_table)} "  # noqa: S608 - model names, no input
        f"WHERE {quote(owner)} = %s AND {quote(confirmed)} = %s LIMIT 1"
    )


def setup_device(user):
    """The unconfirmed TOTP device the setup page shows (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_base32(device):
    return base64.b32encode(device.bin_key).decode()


def secret_for_typing(device):
    """The key in blocks of four (`JBSW Y3DP …`), as people read and type it; authenticator
    apps ignore the spaces."""
    secret = secret_base32(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# The QR code standard asks for a quiet zone of four modules around the symbol.
QR_QUIET_ZONE = 4


def qr_svg(device):
    """The otpauth URI as an inline SVG QR code, rendered here (no external service).

    Without a fixed size (only a viewBox) the code scales to its box in portal.css instead of
    overflowing into the key beside it; the light modules and the quiet zone are drawn white so
    a scanner finds the edge on any background.
    """
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=QR_QUIET_ZONE, light="#fff", omitsize=True
    )


def _normalise(token):
    return re.sub(r"[\s-]", "", token or "").lower()


def _new_backup_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _login_device(request, device):
    otp_login(request, device)
    # django_otp.login() keeps the session key; a new one closes session fixation (§pitfalls).
    cycle_key(request)


def confirm_setup(request, device, token):
    """Confirm the setup device with a first code; returns the new backup codes or None."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(_normalise(token)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_backup_codes(user)
        audit.record(action=audit.MFA_ENABLED, entity=user, request=request)
    _login_device(request, device)
    return codes


class VerifyResult:
    def __init__(self, device=None, error=""):
        self.device = device
        self.error = error

    def __bool__(self):
        return self.device is not None


def _check(user, token):
    """The confirmed device that accepts token (TOTP for digits, else a backup code)."""
    token = _normalise(token)
    if not token:
        return VerifyResult(error="Bitte geben Sie einen Code ein.")
    wanted = TOTPDevice if token.isdigit() else StaticDevice
    throttled = False
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if not isinstance(device, wanted):
                continue
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                return VerifyResult(device=device)
    if throttled:
        return VerifyResult(
            error="Zu viele falsche Codes nacheinander. Bitte warten Sie einen Moment und "
            "versuchen Sie es dann erneut."
        )
    return VerifyResult(error="Der Code ist falsch, abgelaufen oder wurde bereits verwendet.")


def verify(request, token):
    """The 2FA code step after the password login; on success the session is verified."""
    result = _check(request.user, token)
    if result:
        _login_device(request, result.device)
        audit.record(
            action=audit.MFA_VERIFIED,
            entity=request.user,
            new={"methode": "Backup-Code" if isinstance(result.device, StaticDevice) else "App"},
            request=request,
        )
    else:
        audit.record(action=audit.MFA_FAILED, entity=request.user, request=request)
    return result


def remaining_backup_codes(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def regenerate_backup_codes(request):
    with transaction.atomic():
        codes = _new_backup_codes(request.user)
        audit.record(action=audit.BACKUP_CODES_REGENERATED, entity=request.user, request=request)
    return codes


def _remove_devices(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def disable(request, token):
    """Switch 2FA off for the request's user; needs a current code."""
    result = _check(request.user, token)
    if not result:
        return result
    with transaction.atomic():
        _remove_devices(request.user)
        audit.record(action=audit.MFA_DISABLED, entity=request.user, request=request)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    return result


def reset(target, *, request):
    """An admin removes another user's second factor; the user's sessions end."""
    with transaction.atomic():
        had_device = has_device(target)
        _remove_devices(target)
        audit.record(
            action=audit.MFA_RESET,
            entity=target,
            old={"2fa": had_device},
            new={"2fa": False},
            request=request,
        )
    end_sessions(target, keep_session_key=request.session.session_key)
