"""deploy/gunicorn.conf.py: a worker freezes what Django and the URLconf loaded, so the cyclic
garbage collector no longer walks it (a full collection: ~50 ms → ~2 ms)."""

import gc
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_worker_freezes_what_it_loaded_after_the_urlconf(unfrozen):
    from django.urls import get_resolver

    hook = runpy.run_path(str(CONF))["post_worker_init"]
    assert gc.get_freeze_count() == 0
    hook(worker=None)
    assert gc.get_freeze_count() > 10_000
    # The URL patterns (and with them every view module) were loaded before the freeze.
    assert get_resolver().url_patterns
    assert gc.get_freeze_count() > 10_000


def test_gunicorn_accepts_the_settings_file():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", f"--config={CONF}", "dak_portal.wsgi"],
        cwd=CONF.parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
