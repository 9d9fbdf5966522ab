"""/healthz: 200 JSON while the database answers, 503 JSON when it does not — also for a
browser that still carries a session cookie (the monitoring check of a logged-in admin)."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_it_needs_no_login(client):
    assert client.get(reverse("healthz")).status_code == 200


def test_it_rejects_post(client):
    assert client.post(reverse("healthz")).status_code == 405


def _unreachable_settings():
    """Settings under which a new connection cannot reach the database."""
    if connection.vendor == "mysql":
        return {"HOST": "127.0.0.1", "PORT": "1"}  # nothing listens on port 1
    return {"NAME": "/nonexistent/dak-portal/db.sqlite3"}


def _get_with_database_down(client, path):
    """GET path from a fresh thread, whose new connection points at a dead database.

    Django opens one connection per thread from the shared settings; the test's own
    connection (and its transaction) stays as it is.
    """
    settings_dict = connection.settings_dict
    saved = {key: settings_dict.get(key) for key in ("NAME", "HOST", "PORT")}
    result = {}

    def run():
        from django.db import connection as thread_connection

        try:
            result["response"] = client.get(path)
        except Exception as error:
            result["error"] = error
        finally:
            thread_connection.close()

    settings_dict.update(_unreachable_settings())
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(30)
    finally:
        settings_dict.update(saved)
    assert "error" not in result, f"{type(result.get('error')).__name__}: {result.get('error')}"
    return result["response"]


def test_it_answers_503_json_when_the_database_is_down(client):
    response = _get_with_database_down(client, reverse("healthz"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "database": "unreachable"}


@pytest.mark.parametrize("persona", ["admin_client", "dak_client"])
def test_it_answers_503_json_with_a_session_cookie(request, persona):
    client = request.getfixturevalue(persona)
    assert settings.SESSION_COOKIE_NAME in client.cookies
    response = _get_with_database_down(client, reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
