import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_start_page_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/")


def test_login_page_is_german(client):
    response = client.get("/konto/login/")
    assert response.status_code == 200
    assert 'lang="de"' in response.content.decode()


def test_start_page_shows_counts_to_a_logged_in_user(dak_client):
    from reports.dashboard import current_year

    response = dak_client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Erstberatungen {current_year()}" in content
    assert f"Gutachten {current_year()}" in content


def test_navigation_shows_only_existing_pages(dak_client):
    from accounts.context_processors import NAVIGATION, first_url

    content = dak_client.get("/").content.decode()
    assert ">Übersicht<" in content
    assert "Dashboard" not in content
    for label, url_names, _rule in NAVIGATION:
        if first_url(url_names) is None:
            assert f">{label}<" not in content


def test_dak_staff_find_the_icd_entry_in_the_navigation_and_the_upload_from_there(dak_client):
    content = dak_client.get("/").content.decode()
    assert 'class="nav-link" href="/faelle/icd-eingabe/">ICD-Eingabe<' in content
    assert ">Import<" not in content  # the admin-only imports stay hidden
    assert 'href="/import/icd/"' in dak_client.get("/faelle/icd-eingabe/").content.decode()


def _active_nav_labels(content):
    import re

    return re.findall(r'class="nav-link active" aria-current="page" href="[^"]*">([^<]*)<', content)


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/", "Übersicht"),
        ("/import/", "Import"),
        ("/import/csv/", "Import"),
        ("/import/icd/", "ICD-Eingabe"),
        ("/faelle/icd-eingabe/", "ICD-Eingabe"),
        ("/faelle/", "Fälle"),
        ("/verwaltung/benutzer/", "Verwaltung"),
    ],
)
def test_exactly_one_navigation_item_is_marked_as_the_current_section(admin_client, path, section):
    assert _active_nav_labels(admin_client.get(path).content.decode()) == [section]


@override_settings(DEBUG=False)
def test_unknown_page_gets_german_404(dak_client):
    response = dak_client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_a_server_error_gets_a_german_page_without_details(rf):
    from dak_portal.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "interner Fehler" in content
    assert "Traceback" not in content


@override_settings(DEBUG=False)
def test_forbidden_pages_are_german(dak_client):
    response = dak_client.get("/import/")
    assert response.status_code == 403
    assert "Zugriff verweigert" in response.content.decode()


# --- Content-Security-Policy ----------------------------------------------------------------

TEMPLATE_ROOTS = [
    path
    for path in __import__("pathlib").Path(__file__).resolve().parents[1].glob("**/templates")
    if ".venv" not in path.parts and "node_modules" not in path.parts
]
INLINE_CODE = [
    # <script> without src, <style> blocks, style="" attributes, onclick="" etc., htmx's hx-on
    (r"<script(?![^>]*\bsrc=)[^>]*>", "Inline-<script>"),
    (r"<style\b", "<style>-Block"),
    (r"\sstyle\s*=", "style-Attribut"),
    (r"\son[a-z]+\s*=", "on…-Handler"),
    (r"\s(data-)?hx-on", "hx-on-Handler"),
    (r"javascript:", "javascript:-URL"),
]


def _policy(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/konto/login/", "/"])
def test_pages_are_served_with_a_policy_that_forbids_inline_code(dak_client, path):
    response = dak_client.get(path, follow=True)
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@override_settings(DEBUG=True)
def test_the_policy_is_enforced_in_development_too(client):
    response = client.get("/konto/login/")
    assert "Content-Security-Policy" in response
    assert "Content-Security-Policy-Report-Only" not in response


@override_settings(DEBUG=False)
def test_error_pages_carry_the_policy(dak_client):
    assert "script-src 'self'" in dak_client.get("/gibt-es-nicht/")["Content-Security-Policy"]
    assert "script-src 'self'" in dak_client.get("/import/")["Content-Security-Policy"]


def test_no_template_contains_inline_scripts_styles_or_handlers():
    import re

    found = []
    for root in TEMPLATE_ROOTS:
        for template in root.rglob("*.html"):
            text = template.read_text()
            for pattern, what in INLINE_CODE:
                for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{template}:{line}: {what}")
    assert TEMPLATE_ROOTS, "keine Template-Verzeichnisse gefunden"
    assert found == []


def test_the_500_page_takes_its_css_from_a_static_file(rf):
    from dak_portal.views import server_error

    content = server_error(rf.get("/")).content.decode()
    assert "<style" not in content
    assert 'href="/static/css/error.css"' in content
    assert 'href="/static/img/favicon.svg"' in content


def test_htmx_is_told_not_to_inject_styles_or_evaluate_attributes(dak_client):
    import json
    import re

    content = dak_client.get("/").content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", content)
    config = json.loads(meta.group(1))
    # "style" is not settled: htmx would copy an old element's style attribute onto the new one
    # with setAttribute, which the policy blocks (style-src-attr).
    assert config == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
        "attributesToSettle": ["class", "width", "height"],
    }


# --- Start page -----------------------------------------------------------------------------


def _tile_links(content):
    """The hrefs of links inside the start page's tiles."""
    import re

    tiles = re.findall(r'<section class="card kpi-card.*?</section>', content, flags=re.DOTALL)
    assert len(tiles) == 4
    return [
        [href.replace("&amp;", "&") for href in re.findall(r'<a [^>]*href="([^"]*)"', tile)]
        for tile in tiles
    ]


def _year_links():
    """The first and last tile: the current year's cases and its Gutachten in the list."""
    from reports.dashboard import current_year

    jahr = current_year()
    return (
        f"/faelle/?jahr={jahr}",
        [
            f"/faelle/?jahr={jahr}&status=gutachten_codiert",
            f"/faelle/?jahr={jahr}&status=gutachten",
        ],
    )


def _existing(*url_names):
    from accounts.context_processors import first_url

    url = first_url(url_names)
    return [url] if url else []


def test_start_page_tiles_link_only_to_pages_the_dak_user_may_open(dak_client):
    # The case list once it exists; the ICD entry (queue or upload); never the admin-only
    # import or coding queue.
    cases, gutachten = _year_links()
    assert _tile_links(dak_client.get("/").content.decode()) == [
        [cases],
        [*_existing("cases:icd_queue", "imports:icd"), "/faelle/?icd_fehlt=1"],
        ["/faelle/?codierung_fehlt=1"],
        gutachten,
    ]


def test_start_page_tiles_link_an_admin_to_import_and_coding(admin_client):
    cases, gutachten = _year_links()
    assert _tile_links(admin_client.get("/").content.decode()) == [
        [cases, "/import/"],
        [*_existing("cases:icd_queue", "imports:icd"), "/faelle/?icd_fehlt=1"],
        [*_existing("coding:queue"), "/faelle/?codierung_fehlt=1"],
        gutachten,
    ]


def test_the_pending_tiles_lead_to_the_cases_they_count(dak_client):
    import re

    from cases.tests.factories import make_case

    make_case(nachname="Ohne ICD")
    make_case(nachname="Ohne Typ", icd="C50", gutachten=True)
    make_case(nachname="Fertig", icd="C50", gutachten=True, gutachten_typ="Alternative")
    content = dak_client.get("/").content.decode()
    for testid, url in (
        ("kpi-pending-icd", "/faelle/?icd_fehlt=1"),
        ("kpi-pending-coding", "/faelle/?codierung_fehlt=1"),
    ):
        figure = re.search(rf'data-testid="{testid}">(\d+)<', content).group(1)
        listed = dak_client.get(url).content.decode()
        assert figure == "1"
        assert re.search(r'data-testid="case-count">\s*1 Fall\s*<', listed)


def test_start_page_and_navigation_say_uebersicht(dak_client):
    content = dak_client.get("/").content.decode()
    assert "<title>Übersicht · DAK Zweitmeinungs-Portal</title>" in content
    assert "Dashboard" not in content


def test_every_page_links_the_favicon_from_static(dak_client):
    content = dak_client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in content
    assert 'href="/static/img/favicon-32.png"' in content


@override_settings(DEBUG=False)
def test_error_pages_lead_back_to_the_uebersicht(dak_client, rf):
    from dak_portal.views import server_error

    pages = [
        dak_client.get("/gibt-es-nicht/").content.decode(),
        dak_client.get("/import/").content.decode(),
        server_error(rf.get("/")).content.decode(),
    ]
    for content in pages:
        assert "Zur Übersicht</a>" in content
        assert "Startseite" not in content
