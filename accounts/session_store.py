"""The session store (settings.SESSION_ENGINE): Django's database sessions, with the one read
every request makes as a plain statement.

Loading the session is the first query of every logged-in request. Django's store builds it
through the ORM (``Session.objects.get(session_key=…, expire_date__gt=now)``), which costs
several times what the statement itself does (docs/decisions.md, "Page speed under load").
Here the same condition is one prepared SELECT of the session's data; everything else —
creating, saving, rotating, deleting, expiry, the table — is Django's store unchanged.
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        """The session's data, or {} (and no key) if it does not exist or has expired — as
        Django's database store answers."""
        using = router.db_for_read(self.model)
        connection = connections[using]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_load_sql(self.model, using), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])


@functools.cache
def _load_sql(model, using):
    meta, quote = model._meta, connections[using].ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("session_key", "session_data")}
    expires = quote(meta.get_field("expire_date").column)
    return (
        f"SELECT {column['session_data']} FROM {quote(meta.db_table)} "  # noqa: S608 - model names
        f"WHERE {column['session_key']} = %s AND {expires} > %s"
    )
