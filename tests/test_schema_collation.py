"""The schema itself compares identifiers exactly (issue 11 §1, domain.md §3 "Exact keys").

MariaDB only: it reads ``information_schema`` of the test database (built by the migrations, as
production is) and fails when

- a text column in a UNIQUE index (the primary key included) has a collation that is not
  binary and NO PAD — under utf8mb4_unicode_ci ``Kühn`` = ``Kuhn``, ``Weiß`` = ``Weiss`` and
  ``'a '`` = ``'a'`` in every unique key, so a second, different person is refused as a duplicate;
- a column of EXACT_LOOKUP_COLUMNS (identifiers the code looks up with ``=``/``IN`` and compares
  exactly in Python, indexed or not) has such a collation;
- a model field declared exact (``cases.fields.ExactCollationMixin``) is not exact in the schema;
- an entry of EXACT_LOOKUP_COLUMNS or EXCEPTIONS names no real column, or an exception is no
  longer needed, so both lists stay true.

Names (nachname, vorname …), KVNR and ICD text keep utf8mb4_unicode_ci on purpose: they are
sorted and searched (German order, case-insensitive prefix search), never a key.
"""

import pytest
from django.apps import apps
from django.db import connection

from cases.fields import ExactCollationMixin

pytestmark = [pytest.mark.django_db, pytest.mark.mariadb]

# Identifiers compared exactly by the code, whether or not a unique index holds them.
EXACT_LOOKUP_COLUMNS = {
    # Cases: keys, the duplicate-key digest, the choice codes rules and filters compare.
    "cases_case.fall_id",
    "cases_case.crm_ticket_id",
    "cases_case.duplicate_key",
    "cases_case.fallgruppe",
    "cases_case.quelle",
    "cases_case.gutachten_typ",
    "cases_case.therapieaenderung",
    # ICD code rows and the catalogue.
    "cases_caseicdcode.icd_code",
    "cases_caseicdcode.icd_hauptgruppe",
    "coding_icdcatalogueentry.code",
    # File hashes and the import lock.
    "coding_icdcatalogueversion.sha256",
    "imports_importlog.sha256",
    "imports_importpreview.sha256",
    "imports_importlock.name",
    # Accounts: addresses, domains, roles, tokens, audit and notification keys.
    "accounts_user.email",
    "accounts_user.role",
    "accounts_alloweddomain.domain",
    "accounts_alloweddomain.role",
    "accounts_invitation.token_hash",
    "accounts_invitation.email",
    "accounts_invitation.role",
    "accounts_auditlog.action",
    "accounts_auditlog.entity_type",
    "accounts_auditlog.entity_id",
    "accounts_notification.type",
    "accounts_notification.entity_type",
    "accounts_notification.entity_id",
    # Third-party login keys (accounts/migrations/0005).
    "account_emailaddress.email",
    "account_emailconfirmation.key",
    "axes_accessattempt.username",
    "axes_accessfailurelog.username",
    "otp_static_statictoken.token",
    "django_session.session_key",
    "usersessions_usersession.session_key",
}

# Deliberately left at the database default; each must still be a real column that the rules
# above would flag (docs/decisions.md, "Accounts: exact identity").
EXCEPTIONS = {
    "auth_group.name": "Django's group names: ASCII names the code defines, never user input",
    "auth_permission.codename": "Django's permission codenames: ASCII identifiers from the code",
    "django_content_type.app_label": "Django's app labels: ASCII identifiers from the code",
    "django_content_type.model": "Django's model names: ASCII identifiers from the code",
}

_TEXT_COLUMNS_SQL = """
    SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLLATION_NAME
    FROM information_schema.COLUMNS c
    WHERE c.TABLE_SCHEMA = DATABASE()
"""
_UNIQUE_COLUMNS_SQL = """
    SELECT s.TABLE_NAME, s.COLUMN_NAME, s.INDEX_NAME
    FROM information_schema.STATISTICS s
    JOIN information_schema.COLUMNS c
      ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME
     AND c.COLUMN_NAME = s.COLUMN_NAME
    WHERE s.TABLE_SCHEMA = DATABASE() AND s.NON_UNIQUE = 0 AND c.COLLATION_NAME IS NOT NULL
"""


def is_exact(collation):
    """Binary and, on MariaDB, NO PAD ('a ' is not 'a'), as Python compares."""
    if not collation or not collation.endswith("_bin"):
        return False
    return "_nopad_" in collation or not connection.mysql_is_mariadb


def schema_findings(cursor, *, exact_lookups, exceptions, declared_exact=()):
    """Findings ("table.column: why", no data) for the schema ``cursor`` sees."""
    cursor.execute(_TEXT_COLUMNS_SQL)
    collations = {f"{table}.{column}": coll for table, column, coll in cursor.fetchall()}
    cursor.execute(_UNIQUE_COLUMNS_SQL)
    unique = {}
    for table, column, index in cursor.fetchall():
        unique.setdefault(f"{table}.{column}", []).append(index)

    must_be_exact = {
        name: f"in UNIQUE index {', '.join(sorted(idx))}" for name, idx in unique.items()
    }
    for name in exact_lookups:
        must_be_exact.setdefault(name, "used for exact lookups")
    for name in declared_exact:
        must_be_exact.setdefault(name, "declared exact in its model (ExactCollationMixin)")

    findings = []
    for name in sorted(set(exact_lookups) | set(exceptions) | set(declared_exact)):
        if name not in collations:
            findings.append(f"{name}: listed, but there is no such column")
    for name, why in sorted(must_be_exact.items()):
        if name in collations and name not in exceptions and not is_exact(collations[name]):
            findings.append(f"{name}: collation {collations[name]}, {why}")
    for name in sorted(exceptions):
        if name in collations and (is_exact(collations[name]) or name not in must_be_exact):
            findings.append(f"{name}: exception no longer needed (not a non-exact key column)")
    return findings


def declared_exact_columns():
    names = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.local_fields:
            if isinstance(field, ExactCollationMixin):
                names.add(f"{model._meta.db_table}.{field.column}")
    return names


@pytest.fixture
def mariadb():
    if connection.vendor != "mysql":
        pytest.skip("reads MariaDB's information_schema; SQLite compares text byte by byte anyway")


def test_every_key_and_exact_lookup_column_has_a_binary_no_pad_collation(mariadb):
    with connection.cursor() as cursor:
        findings = schema_findings(
            cursor,
            exact_lookups=EXACT_LOOKUP_COLUMNS,
            exceptions=EXCEPTIONS,
            declared_exact=declared_exact_columns(),
        )
    assert findings == []


def test_names_keep_the_german_case_insensitive_collation(mariadb):
    with connection.cursor() as cursor:
        cursor.execute(_TEXT_COLUMNS_SQL + " AND c.TABLE_NAME = 'cases_case'")
        collations = {column: coll for _table, column, coll in cursor.fetchall()}
    for column in ("nachname", "vorname"):
        assert collations[column].endswith("_ci"), column


@pytest.fixture
def probe_cursor(mariadb):
    """A cursor on its own connection with a probe table in the test schema (MariaDB's DDL
    commits implicitly, so it must not run on the test's transaction), dropped afterwards."""
    raw = connection.get_new_connection(connection.get_connection_params())
    cursor = raw.cursor()
    cursor.execute(
        "CREATE TABLE h11_probe ("
        " pk varchar(20) COLLATE utf8mb4_unicode_ci PRIMARY KEY,"
        " code varchar(20) COLLATE utf8mb4_unicode_ci UNIQUE,"
        " padded varchar(20) COLLATE utf8mb4_bin UNIQUE,"
        " exact varchar(20) COLLATE utf8mb4_nopad_bin UNIQUE,"
        " digest varchar(64) COLLATE utf8mb4_general_ci,"
        " name varchar(50) COLLATE utf8mb4_unicode_ci)"
    )
    try:
        yield cursor
    finally:
        cursor.execute("DROP TABLE h11_probe")
        raw.close()


def test_the_check_finds_case_insensitive_and_padding_keys(probe_cursor):
    findings = schema_findings(
        probe_cursor,
        exact_lookups={*EXACT_LOOKUP_COLUMNS, "h11_probe.digest"},
        exceptions=EXCEPTIONS,
    )
    probe = [f.split(":")[0] for f in findings if f.startswith("h11_probe.")]
    # The ci primary key, the ci and PAD SPACE unique columns, the ci exact-lookup column;
    # not the NO PAD binary key and not the plain name column.
    assert probe == ["h11_probe.code", "h11_probe.digest", "h11_probe.padded", "h11_probe.pk"]


def test_the_lists_must_name_real_columns_and_needed_exceptions(probe_cursor):
    findings = schema_findings(
        probe_cursor,
        exact_lookups={*EXACT_LOOKUP_COLUMNS, "h11_probe.gone"},
        exceptions={
            **EXCEPTIONS,
            "h11_probe.code": "probe",
            "h11_probe.padded": "probe",
            "h11_probe.pk": "probe",
            "h11_probe.exact": "already exact",
            "h11_probe.name": "not a key",
            "h11_probe.vanished": "renamed long ago",
        },
    )
    assert [f for f in findings if f.startswith("h11_probe.")] == [
        "h11_probe.gone: listed, but there is no such column",
        "h11_probe.vanished: listed, but there is no such column",
        "h11_probe.exact: exception no longer needed (not a non-exact key column)",
        "h11_probe.name: exception no longer needed (not a non-exact key column)",
    ]
