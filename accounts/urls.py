"""Verwaltung (admins only): users, invitations, allowed domains, audit log."""

from django.urls import path
from django.views.generic import RedirectView

from accounts.permissions import ADMIN, requires
from accounts.views import audit, domains, invitations, users

app_name = "accounts"

urlpatterns = [
    path(
        "",
        requires(ADMIN)(RedirectView.as_view(pattern_name="accounts:user_list")),
        name="index",
    ),
    path("benutzer/", users.user_list, name="user_list"),
    path("benutzer/neu/", users.user_create, name="user_create"),
    path("benutzer/<int:pk>/", users.user_edit, name="user_edit"),
    path("benutzer/<int:pk>/entsperren/", users.user_unlock, name="user_unlock"),
    path(
        "benutzer/<int:pk>/zwei-faktor-zuruecksetzen/",
        users.user_reset_mfa,
        name="user_reset_mfa",
    ),
    path("benutzer/<int:pk>/abmelden/", users.user_end_sessions, name="user_end_sessions"),
    path("einladungen/", invitations.invitation_list, name="invitation_list"),
    path("einladungen/neu/", invitations.invitation_create, name="invitation_create"),
    path("einladungen/<int:pk>/erneuern/", invitations.invitation_renew, name="invitation_renew"),
    path(
        "einladungen/<int:pk>/widerrufen/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("domains/", domains.domain_list, name="domain_list"),
    path("domains/neu/", domains.domain_create, name="domain_create"),
    path("domains/<int:pk>/entfernen/", domains.domain_delete, name="domain_delete"),
    path("protokoll/", audit.audit_list, name="audit_list"),
]
