"""Benchmarks of the imports (issue 4): CRM CSV into a full database, again as all duplicates,
and the historical workbook. Each runs the real management command in this process."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection

from bench.benchmarks import Measurement, benchmark, de
from bench.files import crm_csv, historical_workbook
from cases.models import Case, CaseICDCode
from imports.models import ImportLog

CRM_ROWS = 100_000
CRM_TARGET_S = 15
CRM_AGAIN_TARGET_S = 10
HISTORICAL_ROWS = 20_000
HISTORICAL_TARGET_S = 20
TICKET_PREFIX = "BCRM-"


def _command(name, path):
    """Run an import command; exit code 1 (rows in error) must not happen with these files."""
    out = io.StringIO()
    try:
        call_command(name, str(path), stdout=out, stderr=out)
    except SystemExit as exc:
        raise AssertionError(f"{name} meldete Fehlerzeilen:\n{out.getvalue()[-2000:]}") from exc


def _remove_imported(**lookup):
    """Put the database back to its generated cases so the next benchmark finds it as before."""
    with connection.cursor() as cursor:
        ids = list(Case.objects.filter(**lookup).values_list("id", flat=True))
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            CaseICDCode.objects.filter(case_id__in=chunk)._raw_delete(using="default")
            Case.objects.filter(id__in=chunk)._raw_delete(using="default")
        cursor.execute("DELETE FROM imports_importlog")


def _wait_for_purge(ctx, timeout=120):
    """Wait until InnoDB has purged the rows the previous step deleted (the clean-up after an
    earlier import), so a measurement does not pay for the benchmark's own earlier work."""
    import time

    started = time.monotonic()
    with connection.cursor() as cursor:
        while time.monotonic() - started < timeout:
            cursor.execute(
                "SELECT count FROM information_schema.INNODB_METRICS "
                "WHERE name = 'trx_rseg_history_len'"
            )
            if int(cursor.fetchone()[0] or 0) < 1000:
                return
            time.sleep(2)
    ctx.say("InnoDB hat das Aufräumen nicht beendet; es wird trotzdem gemessen")


def _buffer_pool_mib():
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@innodb_buffer_pool_size")
        return int(cursor.fetchone()[0]) / 2**20


@benchmark(
    "imports.crm",
    title="CRM-Import: 100.000 Zeilen in eine Datenbank mit 1.000.000 Fällen, dann noch einmal",
    order=30,
    description=(
        "`manage.py import_crm` mit einer erzeugten CRM-Datei (100.000 neue Fälle, UTF-8 mit "
        "BOM, alle Spalten des Exports) gegen die Benchmark-Datenbank mit den generierten "
        "Fällen. Gemessen wird der ganze Befehl: Datei lesen und prüfen, Zeilen einordnen, "
        "in einer Transaktion schreiben, Importprotokoll, Audit-Eintrag. Danach dieselbe Datei "
        "noch einmal: alle Zeilen sind Duplikate, es darf nichts entstehen."
    ),
)
def crm_import(ctx):
    ctx.ensure_cases(ctx.cases)
    path = ctx.workdir / "crm_100k.csv"
    path.write_bytes(crm_csv(CRM_ROWS, ticket_prefix=TICKET_PREFIX))
    before = Case.objects.count()
    _wait_for_purge(ctx)
    try:
        with ctx.measure() as first:
            _command("import_crm", path)
        created = Case.objects.count() - before
        _wait_for_purge(ctx)
        with ctx.measure() as again:
            _command("import_crm", path)
        created_again = Case.objects.count() - before - created
    finally:
        _remove_imported(crm_ticket_id__startswith=TICKET_PREFIX)
    pool = de(_buffer_pool_mib())
    return [
        Measurement(
            f"{de(CRM_ROWS)} neue Zeilen bei {de(before)} Fällen",
            f"{de(first.seconds, 1)} s, {de(created)} neue Fälle",
            f"≤ {CRM_TARGET_S} s",
            first.seconds <= CRM_TARGET_S and created == CRM_ROWS,
            note=f"Spitzenspeicher {de(first.peak_mib)} MiB; InnoDB-Pufferpool {pool} MiB",
        ),
        Measurement(
            "dieselbe Datei noch einmal (nur Duplikate)",
            f"{de(again.seconds, 1)} s, {de(created_again)} neue Fälle",
            f"≤ {CRM_AGAIN_TARGET_S} s, 0 neue",
            again.seconds <= CRM_AGAIN_TARGET_S and created_again == 0,
            note=f"Spitzenspeicher {de(again.peak_mib)} MiB",
        ),
    ]


@benchmark(
    "imports.historical",
    title="Historischer Import: Arbeitsmappe mit 20.000 Zeilen",
    order=31,
    description=(
        "`manage.py import_historical` mit einer erzeugten `Abrechnung_DAK.xlsx` (ein Jahresblatt, "
        "20.000 Zeilen, alle 39 Spalten gefüllt, ICD-Codes, Beträge als Text) gegen die "
        "Benchmark-Datenbank mit den generierten Fällen."
    ),
)
def historical_import(ctx):
    ctx.ensure_cases(ctx.cases)
    path = ctx.workdir / "historisch_20k.xlsx"
    path.write_bytes(historical_workbook(HISTORICAL_ROWS))
    before = Case.objects.count()
    _wait_for_purge(ctx)
    try:
        with ctx.measure() as run:
            _command("import_historical", path)
        created = Case.objects.count() - before
        logs = ImportLog.objects.count()
    finally:
        _remove_imported(crm_ticket_id__startswith="BH-")
    return [
        Measurement(
            f"{de(HISTORICAL_ROWS)} Zeilen bei {de(before)} Fällen",
            f"{de(run.seconds, 1)} s, {de(created)} neue Fälle",
            f"≤ {HISTORICAL_TARGET_S} s",
            run.seconds <= HISTORICAL_TARGET_S and created == HISTORICAL_ROWS,
            note=f"Spitzenspeicher {de(run.peak_mib)} MiB; {logs} Importprotokoll(e)",
        ),
    ]
