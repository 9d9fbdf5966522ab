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
    response = dak_client.get("/")
    assert response.status_code == 200
    assert "Fälle gesamt" in response.content.decode()


def test_navigation_shows_only_existing_pages(dak_client):
    from accounts.context_processors import NAVIGATION, first_url

    content = dak_client.get("/").content.decode()
    assert ">Dashboard<" in content
    for label, url_names, _rule in NAVIGATION:
        if first_url(url_names) is None:
            assert f">{label}<" not in content


def test_dak_staff_find_the_icd_upload_in_the_navigation(dak_client):
    content = dak_client.get("/").content.decode()
    assert 'href="/import/icd/"' in content
    assert ">Import<" not in content  # the admin-only imports stay hidden


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
