"""The Jinja2 environment of the case list (dak_portal/jinja2.py): escaping, an undefined
name as an error, and the Django templates' URLs, numbers and local dates."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from jinja2 import UndefinedError


def render(source, **context):
    return engines["jinja2"].from_string(source).render(context)


def test_values_are_escaped():
    assert render("{{ name }}", name="<b>Groß</b>") == "&lt;b&gt;Groß&lt;/b&gt;"


def test_an_undefined_name_is_an_error_not_an_empty_cell():
    with pytest.raises(UndefinedError):
        render("{{ nachnahme }}", nachname="Kühn")
    with pytest.raises(UndefinedError):
        render("{% if fehlt %}x{% endif %}")


def test_numbers_are_grouped_the_german_way():
    assert render("{{ n|intcomma }}", n=1234567) == "1.234.567"


def test_dates_are_shown_in_berlin_time():
    # 23:30 UTC on 31 December is already the new year in Berlin.
    value = dt.datetime(2025, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert render('{{ t|date("d.m.Y H:i") }}', t=value) == "01.01.2026 00:30"
    assert render('{{ t|date("d.m.Y") }}', t=None) == ""


def test_url_reverses_with_arguments():
    assert render("{{ url('cases:detail', 7) }}") == "/faelle/7/"


def test_line_breaks_become_br_and_the_text_stays_escaped():
    assert render("{{ t|linebreaksbr }}", t="Zeile 1\nZeile <2> & Groß") == (
        "Zeile 1<br>Zeile &lt;2&gt; &amp; Groß"
    )
