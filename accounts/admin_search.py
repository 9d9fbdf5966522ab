"""Django-admin search without the search term in the URL (docs/decisions.md, issue 11 §2).

The admin's own search is a GET (``?q=Müller``), so surnames and KVNRs would land in access
logs, the browser history and every link of the list. With ``SessionSearchMixin`` the search
box posts to ``…/suche/``; the term is kept in the session (one per model) and the list URL
never carries it. A ``?q=`` that still arrives (old bookmark, typed URL) is moved into the
session the same way and answered with a redirect to the URL without it.
"""

from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse

# Longer than any name or KVNR; a session is no place for pasted essays.
MAX_TERM_LENGTH = 200
# Form fields of the search form that are not list parameters.
_FORM_ONLY = {"csrfmiddlewaretoken", SEARCH_VAR, "_aufheben", PAGE_VAR}


class _SessionSearchChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # The list filters by the session's term; the template shows it in the search box.
        self.query = self.model_admin.search_term(request)
        return super().get_queryset(request, exclude_parameters)


class SessionSearchMixin:
    """Mix into a ModelAdmin (before ModelAdmin) whose search fields hold patient data."""

    change_list_template = "accounts/admin/change_list_session_search.html"

    def _search_key(self):
        return f"admin_search:{self.opts.label_lower}"

    def search_term(self, request):
        return request.session.get(self._search_key(), "")

    def _remember(self, request, term):
        term = (term or "").strip()[:MAX_TERM_LENGTH]
        if term:
            request.session[self._search_key()] = term
        else:
            request.session.pop(self._search_key(), None)

    def _changelist_url(self, params):
        url = reverse(admin_urlname(self.opts, "changelist"), current_app=self.admin_site.name)
        query = QueryDict(mutable=True)
        for key, values in params.lists():
            if key not in _FORM_ONLY:
                query.setlist(key, values)
        return f"{url}?{query.urlencode()}" if query else url

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_search"
        search = path("suche/", self.admin_site.admin_view(self.search_view), name=name)
        return [search, *super().get_urls()]

    def search_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        self._remember(request, "" if "_aufheben" in request.POST else request.POST.get(SEARCH_VAR))
        return redirect(self._changelist_url(request.POST))

    def changelist_view(self, request, extra_context=None):
        if SEARCH_VAR in request.GET:
            self._remember(request, request.GET.get(SEARCH_VAR))
            return redirect(self._changelist_url(request.GET))
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request, **kwargs):
        return _SessionSearchChangeList
