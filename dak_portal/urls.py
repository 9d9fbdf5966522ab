from django.contrib import admin
from django.urls import include, path

from accounts.views import signup
from dak_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("konto/", include("accounts.urls_konto")),
    # allauth's sign-up under its own name and path, answering a unique-key race with a form
    # error instead of a 500 (accounts/views/signup.py).
    path("konto/signup/", signup.signup, name="account_signup"),
    path("konto/", include("allauth.urls")),
    path("verwaltung/", include("accounts.urls")),
    path("faelle/", include("cases.urls")),
    path("import/", include("imports.urls")),
    path("codierung/", include("coding.urls")),
    path("berichte/", include("reports.urls")),
    path("api/", include("reports.api_urls")),
    path("verwaltung/django/", admin.site.urls),
]

handler403 = "dak_portal.views.permission_denied"
handler404 = "dak_portal.views.page_not_found"
handler500 = "dak_portal.views.server_error"
