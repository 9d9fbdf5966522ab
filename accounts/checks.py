"""System checks of the portal's database setup (run by `migrate` and `check --database`)."""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections

TIME_ZONE_TABLES_COMMAND = "mariadb-tzinfo-to-sql /usr/share/zoneinfo | mariadb -u root mysql"


@checks.register(checks.Tags.database)
def time_zone_tables(app_configs=None, databases=None, **kwargs):
    """Warn when MariaDB cannot convert between UTC and TIME_ZONE.

    Django's date drill-down (`date_hierarchy` in the Django admin: import logs, previews, cases)
    converts with CONVERT_TZ, which needs the server's time-zone tables; a stock MariaDB has none
    and those lists fail. The portal's own pages filter by UTC bounds and do not need them.
    """
    warnings = []
    if not settings.USE_TZ:
        return warnings
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "mysql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT CONVERT_TZ('2000-01-01 00:00:00', %s, %s)",
                    [connection.timezone_name, settings.TIME_ZONE],
                )
                (converted,) = cursor.fetchone()
        except DatabaseError:
            continue  # an unreachable database is reported by the checks that need it
        if converted is None:
            warnings.append(
                checks.Warning(
                    f"Der Datenbankserver ({alias}) kennt die Zeitzone {settings.TIME_ZONE} "
                    "nicht: die Zeitzonentabellen fehlen. Die Datumsnavigation der "
                    "Django-Verwaltung (Import-Protokolle, Vorschauen, Fälle) schlägt dann fehl.",
                    hint=f"Einmal laden: {TIME_ZONE_TABLES_COMMAND} (siehe README, MariaDB).",
                    id="accounts.W001",
                )
            )
    return warnings
