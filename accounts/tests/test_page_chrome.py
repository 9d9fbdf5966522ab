"""The frame of every page (base.html): the head's assets and the navigation bar, which
base.html prints through Jinja2 templates ({% page_assets %}, {% page_navigation %})."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_bar_shows_the_sections_the_menu_and_the_bell_of_a_logged_in_user(dak_client):
    page = dak_client.get(reverse("cases:list")).content.decode()
    assert '<a class="nav-link active" aria-current="page" href="/faelle/">' in page
    assert 'id="notification-bell"' in page
    assert "Abmelden" in page
    assert 'href="/konto/zwei-faktor/"' in page
    # Assets from the portal itself, in the head.
    head = page.split("</head>")[0]
    assert '<link rel="stylesheet" href="/static/css/portal.css">' in head
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in head


def test_the_logout_form_and_htmx_carry_the_one_token_of_the_page(dak_client):
    """The context processor's token, masked once: the same value in hx-headers and in the
    logout form of the bar (a token of its own would mask the secret a second time)."""
    page = dak_client.get(reverse("cases:list")).content.decode()
    [header] = re.findall(r'"X-CSRFToken": "([^"]+)"', page)
    logout = page.split('action="/konto/logout/"')[1].split("</form>")[0]
    [field] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout)
    assert header == field
    assert len(field) == 64


def test_the_logout_form_of_the_bar_logs_out_under_csrf_checks(dak_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(dak_user)
    page = client.get(reverse("cases:list")).content.decode()
    logout = page.split('action="/konto/logout/"')[1].split("</form>")[0]
    [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout)
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 302  # to the login page


def test_a_page_rendered_without_a_request_shows_the_bar_without_menu():
    """No context processors ran (a template rendered on its own): the brand only, no
    sections, no user menu, and no error for the missing values."""
    page = render_to_string("404.html")
    assert 'class="navbar-brand"' in page
    assert 'id="hauptnav"' not in page
    assert "Abmelden" not in page


def test_the_names_in_the_bar_are_escaped(dak_client, dak_user):
    dak_user.first_name = "<b>Jörg</b>"
    dak_user.save(update_fields=["first_name"])
    page = dak_client.get(reverse("cases:list")).content.decode()
    assert "&lt;b&gt;Jörg&lt;/b&gt;" in page
    assert "<b>Jörg</b>" not in page


def test_the_head_s_assets_are_rendered_once_and_follow_the_static_settings(settings):
    from unittest import mock

    from dak_portal import jinja2 as portal_jinja2

    portal_jinja2._rendered_once.cache_clear()
    with mock.patch.object(
        portal_jinja2, "render_partial", wraps=portal_jinja2.render_partial
    ) as rendered:
        first = render_to_string("404.html")
        again = render_to_string("404.html")
    assert first == again
    assert '<link rel="stylesheet" href="/static/css/portal.css">' in first
    assert [call.args[0] for call in rendered.call_args_list].count(
        "accounts/page_assets.jinja"
    ) == 1
    settings.STATIC_URL = "/assets/"
    assert '<link rel="stylesheet" href="/assets/css/portal.css">' in render_to_string("404.html")


def test_under_debug_the_head_s_assets_are_rendered_each_time(settings):
    from unittest import mock

    from dak_portal import jinja2 as portal_jinja2

    settings.DEBUG = True
    with mock.patch.object(
        portal_jinja2, "render_partial", wraps=portal_jinja2.render_partial
    ) as rendered:
        render_to_string("404.html")
        render_to_string("404.html")
    assert [call.args[0] for call in rendered.call_args_list].count(
        "accounts/page_assets.jinja"
    ) == 2
