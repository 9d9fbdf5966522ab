"""Every URL pattern of the project against an explicit table of who may call it.

The table is the union of `URL_RULES` in `<app>/tests/url_rules.py` (see permission_table.py).
A pattern without a row fails, so a new view cannot ship without a declared rule; a row
without a pattern fails too, so the table stays true.
"""

import importlib
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from model_bakery import baker

from accounts.models import Role, User
from accounts.tests.permission_table import PERSONAS


def walk(resolver=None, prefix="", namespace=None):
    """(key, full route) of every URL pattern; key is the namespaced name or the route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from walk(pattern, route, ns)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
        else:
            yield route, route


def load_rules():
    rules, sources = {}, {}
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        module_name = f"{config.name}.tests.url_rules"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name in (module_name, f"{config.name}.tests"):
                continue
            raise
        for key, row in module.URL_RULES.items():
            if key in rules:
                raise AssertionError(f"{key} is in both {sources[key]} and {module_name}")
            rules[key], sources[key] = row, module_name
    return rules


PATTERNS = list(dict.fromkeys(walk()))
RULES = load_rules()


def rule_for(key):
    if key in RULES:
        return RULES[key]
    namespace = key.split(":", 1)[0] if ":" in key else None
    if namespace and f"{namespace}:*" in RULES:
        return RULES[f"{namespace}:*"]
    # Unnamed patterns of a namespace (the admin's redirects and catch-all) by their route.
    for wildcard, prefix in WILDCARD_ROUTES.items():
        if key.startswith(prefix) and wildcard in RULES:
            return RULES[wildcard]
    return None


WILDCARD_ROUTES = {"admin:*": "verwaltung/django/"}


def test_every_url_pattern_has_a_rule():
    missing = [key for key, _route in PATTERNS if rule_for(key) is None]
    assert not missing, "URL patterns without a row in a url_rules.py:\n" + "\n".join(missing)


def test_every_rule_has_a_url_pattern():
    keys = {key for key, _route in PATTERNS}
    namespaces = {key.split(":", 1)[0] for key in keys if ":" in key}
    stale = [
        key
        for key in RULES
        if key not in keys and not (key.endswith(":*") and key[:-2] in namespaces)
    ]
    assert not stale, "Rows without a URL pattern:\n" + "\n".join(stale)


@pytest.fixture
def ctx(db):
    dak_user = User.objects.create_user(
        email="perm.dak@dak.de", password="x-Perm-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    admin_user = User.objects.create_user(
        email="perm.admin@anbieter.example", password="x-Perm-Passwort-2026", role=Role.ADMIN
    )
    other_user = User.objects.create_user(
        email="perm.other@dak.de", password="x-Perm-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    device = TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)

    def make(model, **fields):
        return baker.make(model, **fields)

    def client_for(persona):
        client = Client()
        if persona == "dak":
            client.force_login(dak_user)
        elif persona in ("admin_no_mfa", "admin"):
            client.force_login(admin_user)
            if persona == "admin":
                session = client.session
                session["otp_device_id"] = device.persistent_id
                session.save()
        return client

    return SimpleNamespace(
        dak_user=dak_user,
        admin_user=admin_user,
        other_user=other_user,
        make=make,
        client_for=client_for,
    )


STEP_OUTCOMES = {
    "account_login": "login",
    # The admin's login page only forwards to the portal's (secure_admin_login).
    "admin:login": "login",
    "konto:mfa_verify": "mfa",
    "konto:mfa_setup": "mfa",
}


def outcome(response):
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"]).path
        for name, kind in STEP_OUTCOMES.items():
            if target == reverse(name):
                return kind
        return "redirect"
    if 200 <= status < 300:
        return "ok"
    named = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 410: "gone"}
    return named.get(status, status)


def matches(expected, actual):
    if expected == "passes":
        return actual not in ("login", "mfa")
    if isinstance(expected, tuple):
        return actual in expected
    return actual == expected


def sample_path(key, route, row, ctx):
    if row["path"]:
        return row["path"]
    if key not in RULES:
        return wildcard_sample_path(key, route, ctx)
    kwargs = row["kwargs"](ctx) if callable(row["kwargs"]) else (row["kwargs"] or {})
    return reverse(key, kwargs=kwargs)


def wildcard_sample_path(key, route, ctx):
    """A concrete path for an admin pattern (named or not) covered by "admin:*"."""
    if "/" not in key:
        name = key
        kwargs = {}
        if "app_label" in route:
            kwargs["app_label"] = "accounts"
        if "object_id" in route:
            kwargs["object_id"] = ctx.other_user.pk if "_user_" in name else 0
        if "<id>" in route:
            kwargs["id"] = ctx.other_user.pk
        if "content_type_id" in route:
            from django.contrib.contenttypes.models import ContentType

            kwargs["content_type_id"] = ContentType.objects.get_for_model(User).pk
            kwargs["object_id"] = ctx.other_user.pk
        return reverse(name, kwargs=kwargs)
    path = "/" + route.replace("<path:object_id>", "0").replace("(?P<url>.*)$", "gibt-es-nicht/")
    return path


@pytest.mark.parametrize(("key", "route"), PATTERNS, ids=[key for key, _ in PATTERNS])
def test_url_answers_each_persona_as_its_rule_says(key, route, ctx):
    row = rule_for(key)
    if row is None:
        pytest.fail(f"{key} has no row in a url_rules.py")
    path = sample_path(key, route, row, ctx)
    results = {}
    for persona in PERSONAS:
        client = ctx.client_for(persona)
        call = getattr(client, row["method"])
        results[persona] = outcome(call(path, row["data"]))
    wrong = {
        persona: f"expected {row['expected'][persona]}, got {results[persona]}"
        for persona in PERSONAS
        if not matches(row["expected"][persona], results[persona])
    }
    assert not wrong, f"{row['method'].upper()} {path}: {wrong}"


def test_a_new_view_without_a_row_fails_the_table():
    from types import ModuleType

    from django.http import HttpResponse
    from django.urls import path

    urlconf = ModuleType("urlconf_with_a_new_view")
    urlconf.urlpatterns = [path("neu/", lambda request: HttpResponse(), name="ohne_regel")]
    keys = [key for key, _route in walk(get_resolver(urlconf))]
    assert keys == ["ohne_regel"]
    assert rule_for("ohne_regel") is None
