"""Model fields for identifiers the code compares exactly (domain.md §3, "Exact keys").

MariaDB's default collation (utf8mb4_unicode_ci) treats Kühn = Kuhn, Weiß = Weiss, MÜLLER =
Müller and 'a ' = 'a' in `=`, `IN`, `LIKE` and every UNIQUE index, while Python compares exactly.
For an identifier the database must agree with Python, so these fields carry a binary collation
on MariaDB/MySQL and none elsewhere: SQLite compares text byte by byte already and knows no
utf8mb4_* collation (``db_collation="utf8mb4_bin"`` would fail there).

The collation is chosen in ``db_parameters()`` per connection instead of ``db_collation``, so the
field deconstructs the same on every database and ``makemigrations --check`` stays clean whichever
one it runs against; a migration that switches a field to this class makes the schema editor
change the column's collation on MariaDB (and rebuild nothing on SQLite but the table copy).
"""

from django.db import models

# NO PAD: unlike utf8mb4_bin (PAD SPACE), 'a ' and 'a' differ, as they do in Python.
MARIADB_EXACT_COLLATION = "utf8mb4_nopad_bin"
# MySQL has no utf8mb4_nopad_bin; the portal runs on MariaDB, this only keeps MySQL working.
MYSQL_EXACT_COLLATION = "utf8mb4_bin"


def exact_collation(connection) -> str | None:
    """The binary collation for exact identifiers on this connection, None where not needed."""
    if connection.vendor != "mysql":
        return None
    return MARIADB_EXACT_COLLATION if connection.mysql_is_mariadb else MYSQL_EXACT_COLLATION


class ExactCollationMixin:
    """Gives a text field the connection's exact (binary) collation."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        params["collation"] = exact_collation(connection)
        return params


class ExactCharField(ExactCollationMixin, models.CharField):
    """A CharField compared byte for byte by the database too (identifiers, hashes, codes)."""
