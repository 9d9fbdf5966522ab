"""Shared fixtures: personas (admin with verified OTP, DAK user), a logged-in client per persona,
and the system Chromium driven by Playwright for browser tests."""

import os
import shutil
import subprocess

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run there
# unless told this is fine (it is: the test thread is not serving async requests).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
DEMO_PASSWORD = "Sicheres-Testpasswort-2026"


def pytest_configure(config):
    from django.conf import settings

    # Argon2 is the production hasher (tested on its own); a fast one keeps the suite quick.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture
def password():
    return DEMO_PASSWORD


@pytest.fixture
def dak_user(db):
    from accounts.models import Role, User

    return User.objects.create_user(
        email="dak.user@dak.de",
        password=DEMO_PASSWORD,
        role=Role.DAK_MITARBEITER,
        first_name="Dora",
        last_name="Dak",
    )


@pytest.fixture
def admin_user(db):
    from accounts.models import Role, User

    return User.objects.create_user(
        email="admin@anbieter.example",
        password=DEMO_PASSWORD,
        role=Role.ADMIN,
        first_name="Anna",
        last_name="Admin",
    )


def login_verified(client, user):
    """Log a user in with a verified second factor, as the OTP step would."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Test", defaults={"confirmed": True}
    )
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(client, admin_user):
    return login_verified(client, admin_user)


@pytest.fixture
def dak_client(client, dak_user):
    client.force_login(dak_user)
    return client


@pytest.fixture
def admin_no_mfa_client(client, admin_user):
    """An admin right after the password step: a confirmed device, the code not yet entered."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth's rate limits live in the cache; every test starts with none used.
    from django.core.cache import cache

    cache.clear()
    yield


def _find_chromium():
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _install_chromium():
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "chromium"], check=False, env=env, capture_output=True
    )


@pytest.fixture(scope="session")
def chromium_path():
    path = _find_chromium()
    if path is None:
        _install_chromium()
        path = _find_chromium()
    if path is None:
        message = "Chromium fehlt (apt-get install chromium); Browser-Tests können nicht laufen."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


# Runs in every document before the page's own scripts. Playwright injects it through the
# DevTools protocol, so the page's Content-Security-Policy does not block it.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__reportCspViolation(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " in " + event.documentURI + (event.sourceFile ? " (" + event.sourceFile + ":" +
    event.lineNumber + ")" : "") + (event.sample ? " sample: " + event.sample : "")
  );
});
"""


@pytest.fixture
def allowed_console_errors():
    """Regular expressions of console errors a test provokes on purpose (e.g. a 403 response).
    CSP violations are never allowed."""
    return []


@pytest.fixture
def page(browser, live_server, allowed_console_errors):
    """A fresh browser page on the live server that fails its test on any CSP violation,
    console error or uncaught script error the test did not declare as expected."""
    import re

    problems = []
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    context.expose_binding(
        "__reportCspViolation", lambda _source, text: problems.append(f"CSP-Verstoß: {text}")
    )
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_console(message):
        if message.type != "error":
            return
        text = message.text
        # Chrome logs a blocked resource as a console error too; the event above reports it
        # with the directive, and it is never allowed.
        if "Content Security Policy" in text or not any(
            re.search(pattern, text) for pattern in allowed_console_errors
        ):
            location = message.location.get("url", "") if message.location else ""
            problems.append(f"Konsolenfehler: {text} ({location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"Skriptfehler: {error}"))
    yield page
    # Let violations of the last page reach the binding before the context goes away.
    if not page.is_closed():
        page.wait_for_timeout(100)
    context.close()
    if problems:
        pytest.fail("Im Browser:\n" + "\n".join(problems), pytrace=False)
