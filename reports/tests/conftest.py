import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = Path(__file__).parents[2] / "imports" / "tests" / "fixtures" / "Abrechnung_DAK_sample.xlsx"
EXPECTED_WEEKS = ((2025, 52), (2026, 5), (2024, 1))
# Wednesday of KW 8 2026 in Berlin: the dashboard tests' today (the current year's charts run up
# to KW 8).
DASHBOARD_TODAY = dt.datetime(2026, 2, 18, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def expected_report(jahr, kw):
    return json.loads((FIXTURES / f"expected_report_{jahr}_KW{kw:02d}.json").read_text("utf-8"))


def import_sample():
    from accounts.actor import Actor
    from imports.models import ImportType
    from imports.services import import_commit, import_prepare

    plan = import_prepare(
        import_type=ImportType.HISTORISCH, data=SAMPLE.read_bytes(), file_name="sample.xlsx"
    )
    import_commit(plan=plan, actor=Actor.command_line())


@pytest.fixture(scope="module")
def sample_cases(django_db_setup, django_db_blocker):
    """The 1,742 sample cases, imported once per module through the historical import service,
    inside a transaction rolled back after the module (tests run in savepoints within it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        import_sample()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def dashboard_today():
    """Time stands at DASHBOARD_TODAY (the dashboard tests use it for the whole module)."""
    with time_machine.travel(DASHBOARD_TODAY, tick=False):
        yield
