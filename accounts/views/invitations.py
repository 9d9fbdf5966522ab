"""Invitations: admins create, list, renew and revoke them; the invited person accepts."""

from allauth.account.internal.flows.signup import complete_signup
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import InvitationAcceptForm, InvitationCreateForm
from accounts.models import Invitation, InvitationState
from accounts.permissions import ADMIN, PUBLIC, requires

NEW_LINK_KEY = "portal_new_invitation_link"


def _show_link_once(request, invitation, token):
    request.session[NEW_LINK_KEY] = {
        "pk": invitation.pk,
        "url": services.invitation_url(token, request),
    }


@requires(ADMIN)
def invitation_list(request):
    invitations = Invitation.objects.select_related("created_by", "used_by")
    page = Paginator(invitations, 50).get_page(request.GET.get("seite"))
    return render(
        request,
        "accounts/invitation_list.html",
        {
            "page": page,
            "new_link": request.session.pop(NEW_LINK_KEY, None),
            "section": "invitations",
        },
    )


@requires(ADMIN)
def invitation_create(request):
    form = InvitationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation, token = services.invitation_create(
            created_by=request.user,
            role=data["role"],
            email=data["email"],
            valid_days=data["valid_days"],
            send_email=data["send_email"],
            request=request,
        )
        _show_link_once(request, invitation, token)
        if data["send_email"]:
            messages.success(request, f"Die Einladung wurde an {invitation.email} gesendet.")
        else:
            messages.success(request, "Die Einladung ist angelegt. Kopieren Sie jetzt den Link.")
        return redirect("accounts:invitation_list")
    return render(
        request, "accounts/invitation_create.html", {"form": form, "section": "invitations"}
    )


@requires(ADMIN)
@require_POST
def invitation_renew(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    if invitation.state in (InvitationState.USED, InvitationState.REVOKED):
        messages.error(
            request, "Verwendete oder widerrufene Einladungen lassen sich nicht erneuern."
        )
        return redirect("accounts:invitation_list")
    send = bool(request.POST.get("send_email")) and bool(invitation.email)
    invitation, token = services.invitation_renew(
        invitation, acting_user=request.user, send_email=send, request=request
    )
    _show_link_once(request, invitation, token)
    messages.success(
        request,
        "Neuer Einladungslink erzeugt; der bisherige Link gilt nicht mehr."
        + (f" Er wurde an {invitation.email} gesendet." if send else ""),
    )
    return redirect("accounts:invitation_list")


@requires(ADMIN)
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    if services.invitation_revoke(invitation, acting_user=request.user, request=request):
        messages.success(request, "Die Einladung ist widerrufen.")
    else:
        messages.error(request, "Diese Einladung war bereits verwendet oder widerrufen.")
    return redirect("accounts:invitation_list")


INVALID_TEXT = {
    None: (
        "Dieser Einladungslink ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig "
        "kopiert haben."
    ),
    InvitationState.USED: "Diese Einladung wurde bereits verwendet.",
    InvitationState.EXPIRED: "Diese Einladung ist abgelaufen.",
    InvitationState.REVOKED: "Diese Einladung wurde widerrufen.",
}


@requires(PUBLIC)
@never_cache
def invitation_accept(request, token):
    """Opening the link only shows the form; the account (and the use) comes with the POST."""
    invitation = Invitation.find(token)
    state = invitation.state if invitation else None
    if state != InvitationState.ACTIVE:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"message": INVALID_TEXT[state]},
            status=404 if invitation is None else 410,
        )
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_logged_in.html", {"invitation": invitation})
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                invitation,
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                request=request,
            )
        except services.InvitationUnusable:
            return render(
                request,
                "accounts/invitation_invalid.html",
                {"message": INVALID_TEXT[InvitationState.USED]},
                status=410,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return complete_signup(
                request,
                user=user,
                redirect_url=reverse("home"),
                signal_kwargs={"invitation_id": invitation.pk},
            )
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )
