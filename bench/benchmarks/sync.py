"""Benchmark of the Excel sync: export of one year's cases and the re-import of that unchanged
workbook (issue 13: 100,000 cases, export ≤ 10 s, re-import ≤ 15 s with 0 changes)."""

from __future__ import annotations

from django.conf import settings

from bench.benchmarks import Measurement, benchmark, cases_per_year, de, fullest_year

EXPORT_SECONDS = 10.0
IMPORT_SECONDS = 15.0


@benchmark(
    "imports.sync",
    title="Excel-Sync: Export eines Jahres und Re-Import der unveränderten Arbeitsmappe",
    order=45,
    description=(
        "`imports.sync_export.export_cases(jahr=…)` für das Jahr mit den meisten Fällen (bei "
        "1.000.000 Fällen gut 100.000; eigener, gestreamter SpreadsheetML-Schreiber), dann "
        "`imports.sync.sync_prepare` mit genau dieser Datei (Lesen mit python-calamine, "
        "Versionsblatt prüfen, Fälle in Blöcken von 5.000 Fall-IDs laden, jede Zelle mit dem "
        "exportierten Wert vergleichen). Ein Lauf; Zeiten inklusive Python und Treiber."
    ),
)
def excel_sync(ctx):
    from imports.sync import sync_prepare
    from imports.sync_export import export_cases

    ctx.ensure_cases(ctx.cases)
    jahr = fullest_year(cases_per_year())
    with ctx.measure() as run_export:
        export = export_cases(jahr=jahr)
        data = export.file.read()
    export.file.close()
    ctx.say(f"Export {jahr}: {export.cases} Fälle, {len(data) / 2**20:.1f} MiB")
    with ctx.measure() as run_import:
        plan = sync_prepare(data=data, file_name=export.file_name)
    changes = plan.counts.get("aktualisierung", 0)
    errors = plan.counts.get("fehler", 0)
    size_mib = len(data) / 2**20
    limit_mib = settings.IMPORT_MAX_BYTES / 2**20
    return [
        Measurement("Fälle im Export", de(export.cases), "≥ 100.000 bei 1 Mio. Fällen"),
        Measurement(
            "Export (Dauer)",
            f"{de(run_export.seconds, 1)} s",
            f"≤ {de(EXPORT_SECONDS, 0)} s",
            run_export.seconds <= EXPORT_SECONDS,
        ),
        Measurement("Export (Spitzenspeicher)", f"{de(run_export.peak_mib)} MiB", "Richtwert"),
        Measurement(
            "Dateigröße",
            f"{de(size_mib, 1)} MiB",
            f"Upload-Grenze {de(limit_mib, 0)} MiB",
            None,
        ),
        Measurement(
            "Re-Import unverändert (Dauer)",
            f"{de(run_import.seconds, 1)} s",
            f"≤ {de(IMPORT_SECONDS, 0)} s",
            run_import.seconds <= IMPORT_SECONDS,
        ),
        Measurement(
            "Re-Import: Änderungen / Fehler",
            f"{de(changes)} / {de(errors)}",
            "0 / 0",
            changes == 0 and errors == 0,
        ),
        Measurement("Re-Import (Spitzenspeicher)", f"{de(run_import.peak_mib)} MiB", "Richtwert"),
    ]
