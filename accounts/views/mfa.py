"""The user's own second factor: set up, the code step after login, backup codes, switch off."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import mfa
from accounts.forms import MFACodeForm
from accounts.models import Role
from accounts.permissions import LOGGED_IN, requires
from accounts.sessions import NEXT_URL_KEY

NEW_CODES_KEY = "portal_new_backup_codes"


def _continue(request):
    target = request.session.pop(NEXT_URL_KEY, None)
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("home")


def _overview(request, disable_form=None, status=200):
    user = request.user
    return render(
        request,
        "mfa/overview.html",
        {
            "has_mfa": mfa.has_device(user),
            "backup_codes_left": mfa.remaining_backup_codes(user),
            "required": user.role == Role.ADMIN,
            "disable_form": disable_form or MFACodeForm(),
        },
        status=status,
    )


@requires(LOGGED_IN)
@never_cache
def overview(request):
    return _overview(request)


@requires(LOGGED_IN)
@never_cache
def setup(request):
    if mfa.has_device(request.user):
        messages.info(request, "Die Zwei-Faktor-Anmeldung ist bereits eingerichtet.")
        return redirect("konto:mfa")
    device = mfa.setup_device(request.user)
    form = MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_setup(request, device, form.cleaned_data["code"])
        if codes is not None:
            request.session[NEW_CODES_KEY] = codes
            messages.success(request, "Die Zwei-Faktor-Anmeldung ist eingerichtet.")
            return redirect("konto:mfa_backup_codes")
        form.add_error(
            "code",
            "Der Code stimmt nicht. Prüfen Sie die Uhrzeit Ihres Telefons und versuchen Sie "
            "es mit dem aktuellen Code erneut.",
        )
    return render(
        request,
        "mfa/setup.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.secret_for_typing(device),
            "required": request.user.role == Role.ADMIN,
        },
    )


@requires(LOGGED_IN)
@never_cache
def verify(request):
    """The second step of the login for users with a device."""
    if request.user.is_verified() or not mfa.has_device(request.user):
        return _continue(request)
    form = MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = mfa.verify(request, form.cleaned_data["code"])
        if result:
            return _continue(request)
        form.add_error("code", result.error)
    return render(request, "mfa/verify.html", {"form": form})


@requires(LOGGED_IN)
@never_cache
def backup_codes(request):
    codes = request.session.pop(NEW_CODES_KEY, None)
    if codes is None and not mfa.has_device(request.user):
        return redirect("konto:mfa")
    return render(
        request,
        "mfa/backup_codes.html",
        {"codes": codes, "backup_codes_left": mfa.remaining_backup_codes(request.user)},
    )


@requires(LOGGED_IN)
@require_POST
def backup_codes_regenerate(request):
    if not mfa.has_device(request.user):
        return redirect("konto:mfa")
    request.session[NEW_CODES_KEY] = mfa.regenerate_backup_codes(request)
    messages.success(request, "Neue Backup-Codes erzeugt; die bisherigen gelten nicht mehr.")
    return redirect("konto:mfa_backup_codes")


@requires(LOGGED_IN)
@require_POST
def disable(request):
    form = MFACodeForm(request.POST)
    if not mfa.has_device(request.user):
        return redirect("konto:mfa")
    if form.is_valid():
        result = mfa.disable(request, form.cleaned_data["code"])
        if result:
            messages.success(request, "Die Zwei-Faktor-Anmeldung ist ausgeschaltet.")
            return redirect("konto:mfa")
        form.add_error("code", result.error)
    return _overview(request, disable_form=form, status=400)
