"""The user's own account pages under /konto/ (allauth provides login, password, sessions)."""

from django.urls import path

from accounts.views import invitations, mfa, notifications

app_name = "konto"

urlpatterns = [
    path("einladung/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("zwei-faktor/", mfa.overview, name="mfa"),
    path("zwei-faktor/einrichten/", mfa.setup, name="mfa_setup"),
    path("zwei-faktor/code/", mfa.verify, name="mfa_verify"),
    path("zwei-faktor/backup-codes/", mfa.backup_codes, name="mfa_backup_codes"),
    path(
        "zwei-faktor/backup-codes/neu/",
        mfa.backup_codes_regenerate,
        name="mfa_backup_codes_regenerate",
    ),
    path("zwei-faktor/ausschalten/", mfa.disable, name="mfa_disable"),
    path("benachrichtigungen/", notifications.notification_list, name="notification_list"),
    path("benachrichtigungen/anzahl/", notifications.notification_badge, name="notification_badge"),
    path("benachrichtigungen/menue/", notifications.notification_menu, name="notification_menu"),
    path(
        "benachrichtigungen/<int:pk>/oeffnen/",
        notifications.notification_open,
        name="notification_open",
    ),
    path(
        "benachrichtigungen/alle-gelesen/",
        notifications.notification_read_all,
        name="notification_read_all",
    ),
]
