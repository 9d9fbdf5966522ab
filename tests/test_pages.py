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
    from accounts.context_processors import NAVIGATION

    content = dak_client.get("/").content.decode()
    assert ">Dashboard<" in content
    # entries whose page does not exist yet are not rendered
    from django.urls import NoReverseMatch, reverse

    for label, url_name, _rule in NAVIGATION:
        try:
            reverse(url_name)
        except NoReverseMatch:
            assert f">{label}<" not in content


@override_settings(DEBUG=False)
def test_unknown_page_gets_german_404(dak_client):
    response = dak_client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()
