"""schemathesis against /api/schema/: every operation, with generated query strings, answers as
its schema says and never with a server error — called in-process through the WSGI application,
logged in as DAK staff (the session cookie of the portal's login)."""

import datetime as dt

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import ignored_auth

from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in_app(dak_user):
    """The portal's WSGI application with a DAK user's session cookie on every request (the
    werkzeug client schemathesis drives keeps its own cookie jar and drops a Cookie header)."""
    for day, group in ((dt.date(2026, 1, 28), "onko"), (dt.date(2025, 3, 5), "kardio")):
        make_case(datum=day, fallgruppe=group, gutachten=True, gutachten_typ="Alternative")
    client = Client()
    client.force_login(dak_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    handler = WSGIHandler()

    def app(environ, start_response):
        environ["HTTP_COOKIE"] = cookie
        return handler(environ, start_response)

    # As Django's test client does: a request must not close the test's database connection
    # (its transaction holds the test data; MariaDB would lose it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(logged_in_app):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", logged_in_app)


def test_the_api_answers_as_its_schema_says_and_never_500(api_schema):
    # Driven through hypothesis directly: schemathesis' pytest integration (from_fixture /
    # parametrize) fails on pytest 9 ('Function' object has no attribute '_nodeid').
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def check(case):
            response = case.call()
            assert response.status_code < 500, response.text
            # ignored_auth: the wrapper above logs every request in, on purpose (anonymous
            # requests are tested in test_api.py).
            case.validate_response(response, excluded_checks=[ignored_auth])

        check()


def test_the_schema_lists_every_api_operation(api_schema):
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert operations == {("GET", "/api/dashboard/"), ("GET", "/api/jahre/")}
