"""The session store: Django's database sessions, loaded with one plain statement
(accounts/session_store.py). Runs on SQLite and on MariaDB (CI), where the expiry is compared
in UTC."""

import datetime as dt
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def saved_session(**data):
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_the_portal_uses_this_store():
    assert import_module(settings.SESSION_ENGINE).SessionStore is SessionStore


def test_a_saved_session_loads_with_one_query(django_assert_num_queries):
    key = saved_session(suche="Müller", seite=2)
    store = SessionStore(key)
    with django_assert_num_queries(1):
        assert store.load() == {"suche": "Müller", "seite": 2}
    assert store.session_key == key


def test_an_unknown_key_loads_nothing_and_drops_the_key():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_a_session_loads_until_its_expiry_and_not_after(now):
    key = saved_session(a=1)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=30))
    now.shift(dt.timedelta(minutes=29))
    assert SessionStore(key).load() == {"a": 1}
    # One minute after the expiry: an hour's error in the time zone (UTC on MariaDB, the
    # portal's Europe/Berlin elsewhere) would still load it here.
    now.shift(dt.timedelta(minutes=2))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None


def test_a_logged_in_request_reads_its_session_through_the_store(dak_client):
    assert dak_client.get(reverse("home")).status_code == 200
    key = dak_client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = dak_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
