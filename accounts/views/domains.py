"""Allowed e-mail domains for self-registration."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import AllowedDomainForm
from accounts.models import AllowedDomain
from accounts.permissions import ADMIN, requires


def _render_list(request, form, status=200):
    return render(
        request,
        "accounts/domain_list.html",
        {
            "domains": AllowedDomain.objects.select_related("created_by"),
            "form": form,
            "section": "domains",
        },
        status=status,
    )


@requires(ADMIN)
def domain_list(request):
    return _render_list(request, AllowedDomainForm())


@requires(ADMIN)
@require_POST
def domain_create(request):
    form = AllowedDomainForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    try:
        allowed = services.domain_create(
            domain=form.cleaned_data["domain"],
            role=form.cleaned_data["role"],
            acting_user=request.user,
            request=request,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _render_list(request, form, status=400)
    messages.success(request, f"Die Domain {allowed.domain} ist für die Registrierung freigegeben.")
    return redirect("accounts:domain_list")


@requires(ADMIN)
@require_POST
def domain_delete(request, pk):
    allowed = get_object_or_404(AllowedDomain, pk=pk)
    services.domain_delete(allowed, acting_user=request.user, request=request)
    messages.success(
        request,
        f"Die Freigabe für {allowed.domain} ist entfernt. Bestehende Konten bleiben bestehen.",
    )
    return redirect("accounts:domain_list")
