"""User administration for admins (Verwaltung → Benutzer)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, mfa, services
from accounts.forms import UserCreateForm, UserEditForm, UserFilterForm
from accounts.models import User
from accounts.permissions import ADMIN, requires

PAGE_SIZE = 50


def _users(filters):
    users = User.objects.annotate(
        has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    ).order_by("email")
    if not filters.is_valid():
        return users
    data = filters.cleaned_data
    if data["q"]:
        q = data["q"].strip()
        # Addresses are stored lower-cased under an exact collation; names keep the German one.
        users = users.filter(
            Q(email__contains=q.lower()) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    if data["role"]:
        users = users.filter(role=data["role"])
    status = data["status"]
    if status == "aktiv":
        users = users.filter(is_active=True)
    elif status == "inaktiv":
        users = users.filter(is_active=False)
    elif status == "gesperrt":
        users = users.filter(email__in=list(lockout.locked_usernames()))
    elif status == "ohne_mfa":
        users = users.filter(has_mfa=False)
    return users


@requires(ADMIN)
def user_list(request):
    filters = UserFilterForm(request.GET or None)
    page = Paginator(_users(filters), PAGE_SIZE).get_page(request.GET.get("seite"))
    locked = lockout.locked_usernames_for([u.email for u in page.object_list])
    for user in page.object_list:
        user.locked_until = locked.get(user.email)
    query = request.GET.copy()
    query.pop("seite", None)
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "filters": filters, "query": query.urlencode(), "section": "users"},
    )


@requires(ADMIN)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                email=data["email"],
                password=data["password1"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                send_welcome=data["send_welcome"],
                created_by=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Das Konto {user.email} ist angelegt. Beim ersten Anmelden muss ein neues "
                "Passwort gesetzt werden.",
            )
            return redirect("accounts:user_edit", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form, "section": "users"})


@requires(ADMIN)
def user_edit(request, pk):
    user = get_object_or_404(User, pk=pk)
    form = UserEditForm(request.POST or None, instance=user, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(
                user,
                data={name: form.cleaned_data[name] for name in form.changed_data},
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Die Änderungen sind gespeichert.")
            return redirect("accounts:user_edit", pk=user.pk)
    if request.method == "POST":
        # The form already changed the instance in memory; show the stored state beside it.
        user = User.objects.get(pk=pk)
    context = {
        "form": form,
        "target": user,
        "has_mfa": mfa.has_device(user),
        "backup_codes_left": mfa.remaining_backup_codes(user),
        "locked_until": lockout.locked_until(user.email),
        "section": "users",
    }
    return render(request, "accounts/user_edit.html", context)


@requires(ADMIN)
@require_POST
def user_unlock(request, pk):
    user = get_object_or_404(User, pk=pk)
    services.user_unlock(user, acting_user=request.user, request=request)
    messages.success(request, f"Das Konto {user.email} ist entsperrt.")
    return redirect("accounts:user_edit", pk=user.pk)


@requires(ADMIN)
@require_POST
def user_reset_mfa(request, pk):
    user = get_object_or_404(User, pk=pk)
    if user == request.user:
        messages.error(
            request,
            "Ihre eigene Zwei-Faktor-Anmeldung verwalten Sie unter „Zwei-Faktor-Anmeldung“.",
        )
        return redirect("accounts:user_edit", pk=user.pk)
    mfa.reset(user, request=request)
    messages.success(
        request,
        f"Die Zwei-Faktor-Anmeldung von {user.email} ist zurückgesetzt; die Person wurde "
        "abgemeldet und richtet sie bei der nächsten Anmeldung neu ein.",
    )
    return redirect("accounts:user_edit", pk=user.pk)


@requires(ADMIN)
@require_POST
def user_end_sessions(request, pk):
    user = get_object_or_404(User, pk=pk)
    ended = services.user_end_sessions(user, acting_user=request.user, request=request)
    messages.success(request, f"{ended} Sitzung(en) von {user.email} beendet.")
    return redirect("accounts:user_edit", pk=user.pk)
