"""Exact collation on MariaDB for the login-related keys of third-party tables.

These apps declare plain CharFields, so MariaDB gives them the database default
(utf8mb4_unicode_ci), under which `dák@dak.de` = `dak@dak.de`:

- account_emailaddress.email: allauth looks addresses up with `=` and keeps (user, email)
  unique; a look-alike address would find or collide with the real one.
- axes_accessattempt.username (and the rest of its unique key, ip_address and user_agent), and
  axes_accessfailurelog.username: failed logins as `dák@dak.de` would count against, and lock,
  the account `dak@dak.de`.
- account_emailconfirmation.key: confirmation keys (unique), compared with `=`.
- otp_static_statictoken.token: backup codes are compared with `=`.
- django_session.session_key and usersessions_usersession.session_key: session keys.

Only MariaDB/MySQL is changed (SQLite compares bytes already). The column type and NULL-ness
are read from information_schema, so nothing else about the columns changes.
tests/test_schema_collation.py checks the result and would notice a later migration of those
apps undoing it.
"""

from django.db import migrations

from cases.fields import exact_collation

COLUMNS = [
    ("account_emailaddress", "email"),
    ("account_emailconfirmation", "key"),
    ("axes_accessattempt", "username"),
    ("axes_accessattempt", "ip_address"),
    ("axes_accessattempt", "user_agent"),
    ("axes_accessfailurelog", "username"),
    ("otp_static_statictoken", "token"),
    ("django_session", "session_key"),
    ("usersessions_usersession", "session_key"),
]


def _modify(schema_editor, collation_for):
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        for table, column in COLUMNS:
            cursor.execute(
                "SELECT COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s",
                [table, column],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            column_type, nullable = row
            null = "NULL" if nullable == "YES" else "NOT NULL"
            schema_editor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} MODIFY "
                f"{schema_editor.quote_name(column)} {column_type} CHARACTER SET utf8mb4 "
                f"COLLATE {collation_for(connection)} {null}"
            )


def to_exact(apps, schema_editor):
    _modify(schema_editor, exact_collation)


def to_default(apps, schema_editor):
    _modify(schema_editor, lambda connection: "utf8mb4_unicode_ci")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_exact_collation"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_static", "0003_add_timestamps"),
        ("sessions", "0001_initial"),
        ("usersessions", "0001_initial"),
    ]

    # DDL on MariaDB commits implicitly; RunPython must not wrap it in a transaction.
    operations = [migrations.RunPython(to_exact, to_default, atomic=False)]
