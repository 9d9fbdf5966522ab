"""The Jinja2 environment of the portal's hot templates: the case list, the case page, their
ICD cells and sections, and the navigation bar and assets every page prints (base.html).

Django templates render everything else; the case list's 50 rows and its filter bar are
Jinja2 templates because the Django engine spent about two thirds of the page's time walking
their ~2,000 nodes, the case page's ~50 field rows because they cost it about a millisecond,
the navigation bar because it cost every page ~0.5 ms (docs/decisions.md, "Page speed under
load"). The helpers are the ones the Django templates use, so both engines write the same
URLs, numbers and dates: ``url`` is ``reverse`` (remembered for names without arguments,
dak_portal/reversing.py), ``static`` the manifest name whitenoise serves (remembered too),
``intcomma`` humanize's German grouping, ``date`` Django's date format in the portal's time
zone. Autoescaping is always on and an undefined name is an error, not an empty string.
``linebreaksbr`` is Django's filter (escapes, then <br>).

Each printed value (``{{ … }}``) is escaped by ``escape_output``, which gives the text
markupsafe's ``escape`` gives but as a plain string: ``escape`` wraps every result in a
``Markup`` object, and a list page prints ~1,600 values.
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import mark_safe
from jinja2 import Environment, StrictUndefined
from jinja2.compiler import CodeGenerator
from markupsafe import escape

from dak_portal.reversing import fixed_url

try:
    # The C function behind markupsafe's escape(): the escaped text, without the Markup.
    from markupsafe._speedups import _escape_inner as _escape_text
except ImportError:  # pragma: no cover - markupsafe without its C speedups, or a newer one

    def _escape_text(text):
        return str(escape(text))


@lru_cache(maxsize=256)
def static_url(path):
    """Django's ``static``, remembered per process: the address of a static file only changes
    with the settings (dropped then) or a new deployment (a new process). A page asks for ten,
    at ~10 µs each (the manifest lookup and urljoin)."""
    return static(path)


@receiver(setting_changed)
def _static_settings_changed(*, setting, **kwargs):
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "INSTALLED_APPS", "DEBUG"}:
        static_url.cache_clear()
        _rendered_once.cache_clear()


def url(name, *args):
    return reverse(name, args=args) if args else fixed_url(name)


def local_date(value, format_string):
    """Django's ``date`` filter as the Django templates apply it: aware times shown in the
    portal's time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, format_string)


def linebreaks_br(value):
    """Django's ``linebreaksbr``: the text escaped, its line breaks as <br> (safe markup)."""
    return linebreaksbr(value, autoescape=True)


def escape_output(value):
    """What ``escape(value)`` prints, as a plain string: the text escaped, or the markup of an
    object that is already safe (``__html__``: Markup, Django's SafeString, a macro's output).
    A printed value is only joined into the page, so it need not be a Markup object itself;
    what Jinja2 marks safe elsewhere (macro results, ``set`` blocks) it still wraps."""
    if type(value) is str:
        return _escape_text(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_text(str(value))


class _PortalCodeGenerator(CodeGenerator):
    """Jinja2's code generator, printing each value through ``escape_output`` where it would
    call ``escape`` (autoescaping on; an ``{% autoescape %}`` block keeps Jinja2's own code)."""

    def _output_child_pre(self, node, frame, finalize):
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)


class _PortalEnvironment(Environment):
    code_generator_class = _PortalCodeGenerator
    escape_output = staticmethod(escape_output)


def environment(**options):
    options.pop("autoescape", None)
    options["undefined"] = StrictUndefined
    env = _PortalEnvironment(autoescape=True, **options)
    env.globals.update(url=url, static=static_url)
    env.filters.update(intcomma=intcomma, date=local_date, linebreaksbr=linebreaks_br)
    return env


def render_fragment(template_name, context, request):
    """A Jinja2 template's output as markup for a Django page (base.html) to print: the case
    list and the case page render their content so. Escaped by Jinja2 already (autoescape).
    Rendered from a copy of the context: Django's Jinja2 backend adds its own lazy csrf_token
    to the dict it gets, which in base.html would shadow the context processor's (masked once
    per page) and mask the token anew at each use."""
    return mark_safe(render_to_string(template_name, {**context}, request))  # noqa: S308


def render_partial(template_name, context):
    """A Jinja2 template's output as markup for a Django template tag (the navigation bar of
    base.html): rendered with exactly the ``context`` given, no request, no context
    processors."""
    return mark_safe(get_template(template_name, using="jinja2").render(context))  # noqa: S308


def render_static_partial(template_name):
    """A Jinja2 template that prints only fixed markup and static addresses (the head's assets
    on every page), rendered once per process and remembered like those addresses; under
    DEBUG rendered each time, so an edited template shows at once."""
    if settings.DEBUG:
        return render_partial(template_name, {})
    return _rendered_once(template_name)


@lru_cache(maxsize=32)
def _rendered_once(template_name):
    return render_partial(template_name, {})
