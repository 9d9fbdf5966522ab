from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "Benutzer und Sicherheit"

    def ready(self):
        from allauth.account.views import LoginView
        from axes.decorators import axes_dispatch, axes_form_invalid
        from django.utils.decorators import method_decorator

        from accounts import checks, signals  # noqa: F401 - registers the checks and receivers

        # django-axes' documented allauth integration: a locked account gets the lock page
        # before its form is even looked at.
        if not getattr(LoginView, "_portal_axes", False):
            LoginView.dispatch = method_decorator(axes_dispatch)(LoginView.dispatch)
            LoginView.form_invalid = method_decorator(axes_form_invalid)(LoginView.form_invalid)
            LoginView._portal_axes = True


class PortalAdminConfig(admin_apps.AdminConfig):
    """The Django admin, as the OTP-protected PortalAdminSite behind the portal login."""

    default = False
    default_site = "accounts.admin_site.PortalAdminSite"
