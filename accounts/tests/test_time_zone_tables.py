"""Time-zone support on MariaDB (issue 11 §2).

The Django admin's date drill-down needs the server's time-zone tables (.ci/run and the README
load them; `accounts.checks.time_zone_tables` warns where they are missing). The portal's own
pages must not need them: they filter by instants, never by `__date` in SQL.
"""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import audit
from accounts.checks import TIME_ZONE_TABLES_COMMAND, time_zone_tables
from accounts.models import AuditLog
from imports.models import ImportLog, ImportType

pytestmark = pytest.mark.django_db

# SQL that converts time zones in the database: CONVERT_TZ on MariaDB, Django's own functions
# on SQLite (the same `__date`/truncation would need the tables on MariaDB).
TIME_ZONE_SQL = ("CONVERT_TZ", "django_datetime_cast_date", "django_datetime_trunc")


def _mariadb():
    if connection.vendor != "mysql":
        pytest.skip("time-zone tables are a MariaDB question")


@pytest.mark.mariadb
@override_settings(TIME_ZONE="Antarctica/Unbekannt")
def test_the_check_warns_when_the_server_cannot_convert_the_zone():
    _mariadb()
    warnings = time_zone_tables(databases=["default"])
    assert [w.id for w in warnings] == ["accounts.W001"]
    assert "Zeitzonentabellen fehlen" in warnings[0].msg
    assert TIME_ZONE_TABLES_COMMAND in warnings[0].hint


@pytest.mark.mariadb
def test_the_check_is_silent_once_the_tables_are_loaded():
    _mariadb()
    assert time_zone_tables(databases=["default"]) == [], (
        f"MariaDB hat keine Zeitzonentabellen: {TIME_ZONE_TABLES_COMMAND}"
    )


def test_the_check_runs_only_where_it_applies():
    # Without databases (plain `check`) or on SQLite it has nothing to say.
    assert time_zone_tables(databases=None) == []
    if connection.vendor != "mysql":
        assert time_zone_tables(databases=["default"]) == []


@pytest.mark.mariadb
@pytest.mark.parametrize(
    "changelist", ["admin:imports_importlog_changelist", "admin:imports_importpreview_changelist"]
)
def test_the_admin_date_drill_down_works(admin_client, admin_user, changelist):
    _mariadb()
    ImportLog.objects.create(
        file_name="export.csv", import_type=ImportType.CRM_CSV, sha256="0" * 64, user=admin_user
    )
    log = ImportLog.objects.get()
    url = reverse(changelist)
    assert admin_client.get(url).status_code == 200
    year = log.created_at.year
    assert admin_client.get(url, {"created_at__year": year}).status_code == 200


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("home", {}),
        ("accounts:audit_list", {"date_from": "2026-01-01", "date_to": "2026-12-31"}),
        ("accounts:user_list", {}),
        ("konto:notification_list", {}),
        ("imports:log_list", {}),
        ("admin:accounts_auditlog_changelist", {"created_at__date__gte": "2026-01-01"}),
    ],
)
def test_the_portal_pages_convert_no_time_zones_in_sql(admin_client, admin_user, name, params):
    audit.record(action=audit.LOGIN, user=admin_user, entity=admin_user)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse(name), params)
    assert response.status_code == 200
    offending = [q["sql"] for q in queries if any(word in q["sql"] for word in TIME_ZONE_SQL)]
    assert offending == []


def test_the_admin_date_range_covers_whole_local_days(admin_client, admin_user):
    import datetime as dt

    from django.utils import timezone

    # 00:30 in Berlin on 1 March is still 28 February in UTC: the local day decides.
    early = timezone.make_aware(dt.datetime(2026, 3, 1, 0, 30))
    entry = AuditLog.objects.create(action=audit.LOGIN, user=admin_user, created_at=early)
    changelist = reverse("admin:accounts_auditlog_changelist")
    inside = admin_client.get(
        changelist, {"created_at__date__gte": "2026-03-01", "created_at__date__lte": "2026-03-01"}
    )
    outside = admin_client.get(
        changelist, {"created_at__date__gte": "2026-02-28", "created_at__date__lte": "2026-02-28"}
    )
    assert inside.context["cl"].result_count == 1
    assert list(inside.context["cl"].result_list) == [entry]
    assert outside.context["cl"].result_count == 0
