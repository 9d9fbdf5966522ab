"""The case list (/faelle/): structured filters, sort and page in the URL, the search term in the
session (it is personal data: never in a URL or an access log), HTMX swapping only the results
while the URL follows, the same URL rendering the full page without JavaScript, and the export
of the filtered list."""

import math

from django.contrib import messages
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from accounts.permissions import DAK_OR_ADMIN, LOGGED_IN, requires, user_may
from cases import exports, rules
from cases.filters import CaseFilterForm, SearchForm
from cases.models import Case
from cases.selectors import LIST_FIELDS, case_list, is_name_search
from dak_portal.jinja2 import render_fragment
from dak_portal.reversing import fixed_url

PAGE_SIZE = 50
# Counting stops here: an exact COUNT(*) of a large filtered set costs a scan on MariaDB, so
# beyond this the page says "mehr als 1.000".
COUNT_LIMIT = 1000
# Offset paging reads every skipped row; deeper than this, filters are the better way.
MAX_PAGE = 2000
# Up to this offset the page is one query (but for a name search); beyond it, the keys first
# (see _list_context).
DIRECT_OFFSET_LIMIT = 5 * PAGE_SIZE
SEARCH_SESSION_KEY = "cases.list.search"

# The page (Django, base.html) holds the filter bar and the results (Jinja2: the ~2,000 nodes
# of 50 rows cost the Django engine two thirds of the request, dak_portal/jinja2.py).
FULL_TEMPLATE = "cases/list.html"
PAGE_TEMPLATE = "cases/list_page.jinja"
RESULTS_TEMPLATE = "cases/list_results.jinja"

# (label, sort key or None, direction of the first click)
COLUMNS = (
    ("Fall-ID", "fall_id", ""),
    ("KW", "kw", "-"),
    ("Datum", "datum", "-"),
    ("Nachname", "nachname", ""),
    ("Vorname", None, ""),
    ("Fallgruppe", "fallgruppe", ""),
    ("Status", None, ""),
    ("ICD", "icd", ""),
    ("Gutachten/Typ", "gutachten", "-"),
)


def list_url(query_string=""):
    base = fixed_url("cases:list")
    return f"{base}?{query_string}" if query_string else base


@requires(LOGGED_IN)
@require_GET
def case_list_page(request):
    if "q" in request.GET:
        return _search_from_url(request)
    form = CaseFilterForm(request.GET)
    if form.is_valid() and not request.htmx:
        # One spelling per list state (no empty fields from a plain form submit, no defaults),
        # so bookmarks and the history hold one URL for it.
        canonical = form.query_string(seite=form.page_number)
        if QueryDict(canonical) != request.GET:
            return redirect(list_url(canonical))
    return _respond(request, form)


@requires(LOGGED_IN)
@require_POST
def case_search(request):
    """Store the term for this session's list, then show the list with its filters."""
    form = _filters_from_post(request)
    search_form = SearchForm(request.POST)
    if not search_form.is_valid():
        if request.htmx:
            return _respond(request, form, search_form=search_form)
        for error in search_form.errors["q"]:
            messages.error(request, error)
        return redirect(list_url(form.query_string() if form.is_valid() else ""))
    _store_search(request, search_form.cleaned_data["q"])
    return _after_search_change(request, form)


@requires(LOGGED_IN)
@require_POST
def case_search_reset(request):
    request.session.pop(SEARCH_SESSION_KEY, None)
    return _after_search_change(request, _filters_from_post(request))


@requires(LOGGED_IN)
@require_GET
def case_export(request):
    """The filtered (and searched) list as XLSX, as sorted on the page; audited."""
    form = CaseFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Der Export ist nicht möglich: die Filter enthalten Fehler.")
        return redirect(list_url(request.GET.urlencode()))
    search = request.session.get(SEARCH_SESSION_KEY, "")
    cases = case_list(user=request.user, filters=form.filters, search=search, sort=form.sort_key)
    if cases.order_by()[: exports.MAX_ROWS + 1].count() > exports.MAX_ROWS:
        messages.error(
            request,
            f"Die Liste umfasst mehr als {exports.MAX_ROWS:,} Fälle; so viele lassen sich "
            "nicht auf einmal exportieren. Bitte grenzen Sie die Liste ein (z. B. nach Jahr "
            "oder KW).".replace(",", "."),
        )
        return redirect(list_url(form.query_string()))
    file_name = f"Faelle_{timezone.localdate():%Y-%m-%d}.xlsx"
    content, rows = exports.case_list_xlsx(cases)
    audit.record_read(
        request,
        action=audit.DOWNLOAD,
        entity_type="cases.case",
        details={
            "datei": file_name,
            "zeilen": rows,
            "filter": form.query_string(),
            "suche": bool(search),
        },
    )
    return FileResponse(
        content, as_attachment=True, filename=file_name, content_type=exports.CONTENT_TYPE
    )


# --- helpers --------------------------------------------------------------------------------


def _search_from_url(request):
    """A term in the URL (an old link, a hand-typed address) is taken into the session and
    the URL is answered with a redirect without it, so it stays in no history or bookmark."""
    search_form = SearchForm({"q": request.GET.get("q", "")})
    if search_form.is_valid():
        _store_search(request, search_form.cleaned_data["q"])
    else:
        for error in search_form.errors["q"]:
            messages.error(request, error)
    rest = request.GET.copy()
    del rest["q"]
    return redirect(list_url(rest.urlencode()))


def _store_search(request, term):
    if term:
        request.session[SEARCH_SESSION_KEY] = term
    else:
        request.session.pop(SEARCH_SESSION_KEY, None)


def _filters_from_post(request):
    """The list state the search form was sent from (its hidden `filter` field)."""
    form = CaseFilterForm(QueryDict(request.POST.get("filter", "")))
    if not form.is_valid():
        form = CaseFilterForm(QueryDict(""))
        form.is_valid()
    return form


def _after_search_change(request, form):
    if request.htmx:
        return _respond(request, form)
    # 303: the browser fetches the list with GET; the URL carries the filters only.
    response = redirect(list_url(form.query_string()))
    response.status_code = 303
    return response


def _respond(request, form, *, search_form=None):
    search = request.session.get(SEARCH_SESSION_KEY, "")
    context = _list_context(request, form, search)
    context["search_form"] = search_form or SearchForm(initial={"q": search})
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, RESULTS_TEMPLATE, context)
    else:
        context["list_page"] = render_fragment(PAGE_TEMPLATE, context, request)
        response = render(request, FULL_TEMPLATE, context)
    if request.htmx and form.is_valid():
        # The address bar follows the list (bookmarkable, back button) in its canonical form.
        response["HX-Push-Url"] = list_url(form.query_string(seite=form.page_number))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _list_context(request, form, search):
    # Every name the templates read (Jinja2 refuses an undefined one), also for a list whose
    # filters have errors.
    context = {
        "form": form,
        "search": search,
        "sort": None,
        "filter_query": "",
        "page_error": None,
        "columns": [],
        "table_rows": [],
    }
    if not form.is_valid():
        return context
    sort, page = form.sort_key, form.page_number
    context.update(
        filter_query=form.query_string(),
        export_url=f"{fixed_url('cases:export')}?{form.query_string()}",
        sort=sort,
        columns=_columns(form, sort),
        import_log=form.filters.get("import"),
        # The inline ICD entry in each row (DAK staff and admins) returns here without JS.
        may_enter_icd=user_may(request.user, DAK_OR_ADMIN),
        icd_back=list_url(form.query_string(seite=form.page_number)),
    )
    if page > MAX_PAGE:
        context["page_error"] = (
            f"Seiten nach {MAX_PAGE:,} zeigt die Liste nicht an; bitte grenzen Sie sie mit den "
            "Filtern ein.".replace(",", ".")
        )
        return context
    cases = case_list(user=request.user, filters=form.filters, search=search, sort=sort)
    offset = (page - 1) * PAGE_SIZE
    # Within the first COUNT_LIMIT rows the page's query also counts the list, up to
    # COUNT_LIMIT + 1 rows (cheap), as a column of its own: one statement, not two.
    counted = offset + PAGE_SIZE + 1 <= COUNT_LIMIT
    page_query = cases.annotate(counted=_limited_count(cases)) if counted else cases
    # One row more than a page tells whether there is a next page.
    if offset < DIRECT_OFFSET_LIMIT and not (search and is_name_search(search)):
        fields = (*LIST_FIELDS, "counted") if counted else LIST_FIELDS
        rows = list(page_query.values(*fields)[offset : offset + PAGE_SIZE + 1])
        count = rows[0]["counted"] if counted and rows else None
    else:
        # Deeper, and for a name search, the page's keys come first, from an index alone (the
        # skipped rows, and the newer cases of other names, are never read in full); then only
        # the rows of the page.
        fields = ("pk", "counted") if counted else ("pk",)
        keyed = list(page_query.values_list(*fields)[offset : offset + PAGE_SIZE + 1])
        count = keyed[0][1] if counted and keyed else None
        rows = _rows_in_order([key[0] for key in keyed])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not has_next:
        total, exact = offset + len(rows), True
    elif not counted:
        total, exact = COUNT_LIMIT, False
    else:
        total, exact = min(count, COUNT_LIMIT), count <= COUNT_LIMIT
    context.update(
        table_rows=_table_rows(rows),
        icd_check_url=fixed_url("cases:icd_check"),
        page=page,
        has_next=has_next,
        total=total,
        total_exact=exact,
        pages=_page_links(form, page, has_next, math.ceil(total / PAGE_SIZE) if exact else None),
    )
    if rows:
        audit.record_read(
            request,
            entity_type="cases.case",
            details={
                "ansicht": "Fallliste",
                "seite": page,
                "filter": form.query_string(),
                "suche": bool(search),
                "faelle": [case["id"] for case in rows],
            },
        )
    return context


def _limited_count(cases):
    """The number of cases of the list, counting at most COUNT_LIMIT + 1 of them, as a column:
    COUNT over a LIMIT subquery (no whole-table COUNT), evaluated once per statement (it does
    not depend on the row)."""
    sql, params = cases.order_by().values("pk")[: COUNT_LIMIT + 1].query.sql_with_params()
    # The ORM's own SQL for the list, its values as parameters.
    limited = f"SELECT COUNT(*) FROM ({sql}) limited"  # noqa: S608
    return RawSQL(limited, params, output_field=IntegerField())  # noqa: S611


def _rows_in_order(keys):
    """The rows of these keys (already filtered and visible), in their order. By primary key
    alone: repeating the filters made MariaDB test a name search's condition again on every row
    (~0.3 ms a page)."""
    if not keys:
        return []
    position = {key: index for index, key in enumerate(keys)}
    rows = list(Case.objects.filter(pk__in=keys).order_by().values(*LIST_FIELDS))
    rows.sort(key=lambda row: position[row["id"]])
    return rows


class ListRow:
    """One row of the list as the templates show it. Attributes, not a dict: Jinja2 looks a
    name up as an attribute first, and on a dict that fails (an exception) before it tries the
    key, ~20 times a row."""

    __slots__ = (
        "datum",
        "detail_url",
        "fall_id",
        "fallgruppe",
        "gutachten",
        "icd",
        "icd_url",
        "jahr",
        "kw",
        "nachname",
        "pk",
        "status",
        "status_label",
        "vorname",
    )

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)


def _table_rows(cases):
    """The page's rows (dicts of LIST_FIELDS) as plain display values. Formatting 50 rows here
    (one URL reversed per kind, then filled in) instead of with template tags and filters per
    cell makes the page several times cheaper to render; the values are the ones the tags gave,
    the labels the model's own."""
    detail = reverse("cases:detail", args=[0]).replace("/0/", "/{}/")
    icd = reverse("cases:icd", args=[0]).replace("/0/", "/{}/")
    rows = []
    for case in cases:
        pk = case["id"]
        status = rules.status_of(case)
        gutachten = (case["gutachten_typ"] or "nicht codiert") if case["gutachten"] else "–"
        rows.append(
            ListRow(
                # Numbers as text: the template would localise every one of them.
                pk=str(pk),
                fall_id=case["fall_id"],
                detail_url=detail.format(pk),
                icd_url=icd.format(pk),
                jahr=str(case["jahr"]),
                kw=str(case["kw"]),
                datum=case["datum"].strftime("%d.%m.%Y") if case["datum"] else "",
                nachname=case["nachname"],
                vorname=case["vorname"] or "–",
                fallgruppe=rules.FALLGRUPPEN.get(case["fallgruppe"], case["fallgruppe"]),
                status=status,
                status_label=rules.STATUS_LABELS[status],
                icd=case["icd"],
                gutachten=gutachten,
            )
        )
    return rows


def _columns(form, sort):
    current = sort.lstrip("-")
    descending = sort.startswith("-")
    columns = []
    for label, key, first_direction in COLUMNS:
        column = {"label": label, "key": key, "aria_sort": None, "url": None}
        if key is not None:
            # Datum and KW are one order; the header that was clicked shows it.
            if key == current:
                next_sort = key if descending else f"-{key}"
                column["aria_sort"] = "descending" if descending else "ascending"
            else:
                next_sort = f"{first_direction}{key}"
            column["url"] = list_url(form.query_string(sort=next_sort))
        columns.append(column)
    return columns


def _page_links(form, page, has_next, last_page):
    """Page links around the current page: the first, two either side, the last when known."""
    known_last = last_page if last_page is not None else (page + 1 if has_next else page)
    numbers = sorted(
        {1, *range(max(1, page - 2), min(known_last, page + 2) + 1)}
        | ({last_page} if last_page else set())
    )
    links, previous = [], 0
    for number in numbers:
        if number > previous + 1:
            links.append({"gap": True})
        links.append(
            {
                "gap": False,
                "number": number,
                "current": number == page,
                "url": list_url(form.query_string(seite=number)),
            }
        )
        previous = number
    return {
        "links": links,
        "more": last_page is None and has_next,
        "previous_url": list_url(form.query_string(seite=page - 1)) if page > 1 else None,
        "next_url": list_url(form.query_string(seite=page + 1)) if has_next else None,
    }
