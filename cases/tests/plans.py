"""MariaDB's plan for a queryset (EXPLAIN), one dict per table row, for the tests that check a
list, a filter or a history is read through its index."""

from django.db import connection


def plans(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def analyze(table):
    """Fresh index statistics, so the optimiser plans with the rows a test wrote."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
        cursor.fetchall()
