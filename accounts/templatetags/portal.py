"""Template helpers of the accounts pages (Bootstrap form fields, audit values) and of the
layout every page extends (base.html)."""

from django import forms, template
from django.utils.safestring import mark_safe

from accounts import audit
from dak_portal.jinja2 import render_partial, render_static_partial
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
def page_assets():
    """The style sheets, icons and scripts in every page's head (accounts/page_assets.jinja),
    the same on every page: rendered once per process."""
    return render_static_partial("accounts/page_assets.jinja")


@register.simple_tag(takes_context=True)
def page_navigation(context):
    """The navigation bar of base.html (accounts/page_navigation.jinja), from the values of the
    context processors; a page rendered without them (no request) gets the bar of a visitor
    who is not logged in."""
    user = context.get("user")
    return render_partial(
        "accounts/page_navigation.jinja",
        {
            "user": user,
            "authenticated": bool(user is not None and user.is_authenticated),
            "nav_items": context.get("nav_items", ()),
            "login_step_pending": context.get("login_step_pending", False),
            "show_notification_bell": context.get("show_notification_bell", False),
            "unread_notifications": context.get("unread_notifications", 0),
            # The context processor's lazy token: masked once, the same in the whole page.
            "csrf_token": context.get("csrf_token", ""),
        },
    )


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
