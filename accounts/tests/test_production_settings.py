"""Production settings: __Host- cookies and a long SECRET_KEY (issue 11 §3).

Settings are read once per process, so each case starts a fresh Python with DJANGO_ENV=production.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 30 + "-production-secret-key-of-50+"

# Runs inside the fresh process: a request through the session and CSRF middleware of the
# production settings, over HTTPS, with a view that uses both; the cookies as they are set.
PROBE = """
import json, django
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import call_command
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

call_command("migrate", "sessions", verbosity=0)

def view(request):
    get_token(request)
    request.session["probe"] = 1
    return HttpResponse("ok")

request = RequestFactory().get("/", secure=True, HTTP_HOST="portal.example.de")
response = SessionMiddleware(CsrfViewMiddleware(view))(request)
print(json.dumps({
    name: {"secure": bool(c["secure"]), "path": c["path"], "domain": c["domain"]}
    for name, c in response.cookies.items()
}))
"""


def run_production(tmp_path, code, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dak_portal.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "portal.example.de",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_sets_host_prefixed_secure_cookies(tmp_path):
    result = run_production(tmp_path, PROBE)
    assert result.returncode == 0, result.stderr
    cookies = json.loads(result.stdout.strip().splitlines()[-1])
    # What the browser demands for the prefix: Secure, Path=/, no Domain.
    host_only = {"secure": True, "path": "/", "domain": ""}
    assert cookies == {"__Host-sessionid": host_only, "__Host-csrftoken": host_only}


@pytest.mark.parametrize("key", ["Geheim-2026", "x" * 49])
def test_production_refuses_a_short_secret_key(tmp_path, key):
    result = run_production(tmp_path, "import django; django.setup()", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY ist zu kurz" in result.stderr
    assert f"({len(key)} Zeichen)" in result.stderr
    assert key not in result.stderr.replace("SECRET_KEY", "")


def test_production_starts_with_a_key_of_50_characters(tmp_path):
    result = run_production(tmp_path, "import django; django.setup()", SECRET_KEY="y" * 50)
    assert result.returncode == 0, result.stderr
