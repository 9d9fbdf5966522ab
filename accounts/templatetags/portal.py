"""Template helpers of the accounts pages (Bootstrap form fields, audit values) and of the
layout every page extends (base.html)."""

from django import forms, template
from django.utils.safestring import mark_safe

from accounts import audit
from dak_portal.reversing import fixed_url as _fixed_url

register = template.Library()


def _css_class(field):
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return css


@register.inclusion_tag("accounts/partials/field.html")
def form_field(field, label=True):
    """One form field with label, Bootstrap classes, help text and errors."""
    attrs = {"class": _css_class(field)}
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}_help")
    if field.errors:
        describedby.append(f"{field.auto_id}_errors")
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    return {
        "field": field,
        "widget": mark_safe(field.as_widget(attrs=attrs)),  # noqa: S308 - rendered by Django
        "checkbox": isinstance(field.field.widget, forms.CheckboxInput),
        "show_label": label,
    }


@register.simple_tag
def fixed_url(name):
    """``{% url name %}`` for a URL name without arguments, remembered per process: base.html
    writes a dozen such links on every page, and each ``{% url %}`` costs ~28 µs."""
    return _fixed_url(name)


@register.filter
def audit_value(value):
    """An old/new value of the audit log as readable text."""
    return audit.display_value(value)


@register.filter
def action_label(action):
    """The German label of an audit action (the model does not know the labels: no cycle)."""
    return audit.action_label(action)


@register.filter
def minutes(value):
    """A timedelta as whole minutes (the lock duration on the lock page)."""
    try:
        return int(value.total_seconds() // 60)
    except AttributeError:
        return value
