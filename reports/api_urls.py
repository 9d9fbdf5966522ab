"""/api/: the start page's read-only JSON API (reports/api.py)."""

from django.urls import path

from reports import api

app_name = "api"

urlpatterns = [
    path("dashboard/", api.portal_view(api.DashboardView), name="dashboard"),
    path("jahre/", api.portal_view(api.JahreView), name="jahre"),
    path("schema/", api.portal_view(api.SchemaView), name="schema"),
]
