"""Session lifetime: 30 minutes idle, 12 hours after login; polling is not activity."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AuditLog

pytestmark = pytest.mark.django_db
LOGIN = reverse("account_login")


def later(minutes):
    return time_machine.travel(timezone.now() + timezone.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def start():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_a_session_ends_after_thirty_idle_minutes(start, dak_client):
    assert dak_client.get(reverse("home")).status_code == 200
    start.shift(timezone.timedelta(minutes=31))
    response = dak_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert AuditLog.objects.filter(action=audit.SESSION_EXPIRED).exists()
    page = dak_client.get(response["Location"]).content.decode()
    assert "Ihre Sitzung ist abgelaufen" in page


def test_activity_keeps_the_session_alive(start, dak_client):
    for _ in range(4):
        start.shift(timezone.timedelta(minutes=20))
        assert dak_client.get(reverse("home")).status_code == 200


def test_polling_the_bell_does_not_keep_the_session_alive(start, dak_client):
    dak_client.get(reverse("home"))
    for _ in range(6):
        start.shift(timezone.timedelta(minutes=5))
        response = dak_client.get(reverse("konto:notification_badge"), HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "HX-Redirect" not in response
    start.shift(timezone.timedelta(minutes=1, seconds=30))
    response = dak_client.get(reverse("konto:notification_badge"), HTTP_HX_REQUEST="true")
    # An expired session answers HTMX with a full-page redirect, not a login form fragment.
    assert response["HX-Redirect"].startswith(LOGIN)


def test_a_session_ends_twelve_hours_after_login_even_when_active(start, dak_client):
    for _ in range(12 * 3):
        start.shift(timezone.timedelta(minutes=20))
        dak_client.get(reverse("home"))
    start.shift(timezone.timedelta(minutes=20))
    assert dak_client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_the_limits_come_from_settings(start, dak_client, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    dak_client.get(reverse("home"))
    start.shift(timezone.timedelta(minutes=6))
    assert dak_client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_an_expired_session_gets_hx_redirect_for_htmx(client):
    # No session at all (expired cookie): still a full-page redirect for HTMX.
    response = client.get(reverse("konto:notification_menu"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(LOGIN)


def test_the_api_gets_401_json_without_a_session(client):
    response = client.get(reverse("home"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Anmeldung erforderlich."}


def test_other_sessions_can_be_ended_from_the_session_list(dak_user, client_factory):
    first, second = client_factory(), client_factory()
    for c in (first, second):
        c.post(LOGIN, {"login": dak_user.email, "password": "Sicheres-Testpasswort-2026"})
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(verified=False).exists()
    page = first.get(reverse("usersessions_list")).content.decode()
    assert "diese Sitzung" in page and "Alle anderen Sitzungen beenden" in page
    first.post(reverse("usersessions_list"))
    assert first.get(reverse("home")).status_code == 200
    assert second.get(reverse("home")).status_code == 302
