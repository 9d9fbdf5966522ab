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


# --- Printing values: escape_output instead of markupsafe's escape (no Markup per value) -------


@pytest.mark.parametrize(
    "value",
    [
        "Kühn & Söhne <GmbH>",
        'O\'Brien "Straße"',
        "",
        "ß",
        1234,
        12.5,
        None,
        dt.date(2025, 3, 1),
    ],
)
def test_a_printed_value_is_escaped_exactly_as_markupsafe_escapes_it(value):
    from markupsafe import escape

    from dak_portal.jinja2 import escape_output

    printed = escape_output(value)
    assert printed == str(escape(value))
    assert type(printed) is str  # not a Markup object: the point of it


def test_safe_markup_is_printed_as_it_is():
    from django.utils.safestring import mark_safe
    from markupsafe import Markup

    assert render("{{ a }}|{{ b }}", a=Markup("<b>fett</b>"), b=mark_safe("<i>x</i>")) == (
        "<b>fett</b>|<i>x</i>"
    )


def test_the_templates_print_values_through_escape_output():
    """Guards the code generator hook (Jinja2's _output_child_pre): after an upgrade that
    renamed it, templates would silently fall back to markupsafe's escape."""
    code = engines["jinja2"].env.compile("{{ name }}", raw=True)
    assert "environment.escape_output(" in code
    assert "yield escape(" not in code


def test_macros_and_set_blocks_stay_safe_markup_and_are_not_escaped_twice():
    source = (
        "{% macro cell(x) %}<td>{{ x }}</td>{% endmacro %}"
        "{% set row %}<tr>{{ cell(name) }}</tr>{% endset %}{{ row }}"
    )
    assert render(source, name="<Kühn>") == "<tr><td>&lt;Kühn&gt;</td></tr>"


def test_an_autoescape_false_block_prints_as_is():
    assert render("{% autoescape false %}{{ x }}{% endautoescape %}{{ x }}", x="<b>") == (
        "<b>&lt;b&gt;"
    )


def test_an_undefined_name_is_still_an_error_when_printed():
    with pytest.raises(UndefinedError):
        render("<p>{{ fehlt }}</p>")


def test_static_addresses_are_the_storage_s_and_remembered():
    from unittest import mock

    from dak_portal import jinja2 as portal_jinja2

    portal_jinja2.static_url.cache_clear()
    with mock.patch.object(portal_jinja2, "static", wraps=portal_jinja2.static) as storage_url:
        first = render("{{ static('css/portal.css') }}")
        again = render("{{ static('css/portal.css') }}")
    assert first == again == "/static/css/portal.css"
    assert storage_url.call_count == 1


def test_remembered_static_addresses_follow_a_settings_change(settings):
    from dak_portal.jinja2 import static_url

    assert render("{{ static('css/portal.css') }}") == "/static/css/portal.css"
    settings.STATIC_URL = "/assets/"
    assert static_url("css/portal.css") == "/assets/css/portal.css"
