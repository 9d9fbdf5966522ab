from functools import wraps

from allauth.account.decorators import secure_admin_login
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The Django admin for verified administrators only.

    Logging in happens in the portal (allauth, then the OTP step); the admin's own login page
    only forwards there (allauth's `secure_admin_login`). OTPAdminSite adds the requirement of
    a session verified by a second factor.
    """

    site_header = "DAK Zweitmeinungs-Portal · Django-Verwaltung"
    site_title = "Django-Verwaltung"
    index_title = "Datenpflege"
    site_url = "/"

    def __init__(self, name="admin"):
        super().__init__(name)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            # Logged in without the right: a plain 403 instead of the admin's login form.
            # (Anonymous visitors never get here: LoginRequiredMiddleware sends them to the
            # admin login, which forwards to the portal's.)
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        return secure_admin_login(self._forward_after_login)(request)

    def _forward_after_login(self, request):
        if not self.has_permission(request):
            raise PermissionDenied
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index", current_app=self.name)
        return redirect(target)
