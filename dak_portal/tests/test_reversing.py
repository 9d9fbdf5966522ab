"""Remembered addresses of URL names without arguments (dak_portal/reversing.py): the same
path as reverse(), below the script prefix the request came in on, and never an address of a
URLconf that a test (or a reconfiguration) has replaced."""

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from dak_portal.reversing import fixed_url

urlpatterns = []  # a URLconf without any names, for the override below


def test_the_same_path_as_reverse():
    for name in ("home", "cases:list", "cases:icd_check", "coding:queue"):
        assert fixed_url(name) == reverse(name)


def test_the_script_prefix_is_part_of_the_address():
    assert fixed_url("cases:list") == "/faelle/"
    set_script_prefix("/portal/")
    try:
        assert fixed_url("cases:list") == "/portal/faelle/"
    finally:
        clear_script_prefix()
    assert fixed_url("cases:list") == "/faelle/"


def test_a_replaced_urlconf_is_not_answered_from_memory():
    assert fixed_url("cases:list") == "/faelle/"
    with override_settings(ROOT_URLCONF=__name__), pytest.raises(NoReverseMatch):
        fixed_url("cases:list")
    assert fixed_url("cases:list") == "/faelle/"


def test_an_unknown_name_is_an_error_each_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            fixed_url("gibt-es-nicht")


def test_the_template_tag_writes_what_the_url_tag_writes():
    from django.template import engines

    def render(source):
        return engines["django"].from_string("{% load portal %}" + source).render({})

    for name in ("home", "account_logout", "konto:notification_badge"):
        assert render(f"{{% fixed_url '{name}' %}}") == render(f"{{% url '{name}' %}}")
    assert render("{% fixed_url 'home' as home %}[{{ home }}]") == "[/]"
