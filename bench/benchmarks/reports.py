"""Benchmark of the weekly report: figures from the database and the Berichtswesen workbook."""

from __future__ import annotations

import time

from django.db import connection

from bench.benchmarks import Measurement, benchmark, cases_per_year, de, fullest_year

TARGET_SECONDS = 1.0
RUNS = 5


def _explain(jahr: int, kw: int) -> str:
    from reports import figures

    queryset = figures._grouped_query(jahr, kw)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [column[0] for column in cursor.description]
        plans = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    parts = []
    for plan in plans:
        extra = f" ({plan['Extra']})" if plan.get("Extra") else ""
        parts.append(
            f"Index {plan.get('key') or 'keiner'}, {de(int(plan.get('rows') or 0))} Zeilen{extra}"
        )
    return "; ".join(parts)


@benchmark(
    "reports.weekly",
    title="Berichtswesen eines Jahres mit über 100.000 Fällen",
    order=60,
    description=(
        "`reports.figures.report_figures(jahr, kw=letzte KW)` für das Jahr mit den meisten "
        "Fällen (alle KW-Zeilen, dazu das Vorjahr live aus seinen Fällen und ICD onko), dann "
        "`reports.workbook.write_berichtswesen` (fünf Blätter, openpyxl). Je "
        f"{RUNS} Läufe nach einem Aufwärmlauf; angegeben ist der Median, Zeit inklusive Python "
        "und Treiber."
    ),
)
def weekly_report(ctx):
    from cases import rules
    from reports.figures import report_figures
    from reports.workbook import write_berichtswesen

    ctx.ensure_cases(ctx.cases)
    years = cases_per_year()
    jahr = fullest_year(years, with_previous=True)
    kw = rules.weeks_in_iso_year(jahr)
    report_figures(jahr=jahr, kw=kw)  # warm-up: buffer pool, connection
    figure_times, write_times, total_times = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        figures = report_figures(jahr=jahr, kw=kw)
        computed = time.perf_counter()
        data = write_berichtswesen(figures)
        written = time.perf_counter()
        figure_times.append(computed - started)
        write_times.append(written - computed)
        total_times.append(written - started)

    def median(values):
        return sorted(values)[len(values) // 2]

    total = median(total_times)
    return [
        Measurement(
            f"Bericht {jahr}-KW{kw:02d} ({de(years[jahr])} Fälle im Jahr, "
            f"{de(sum(years.values()))} insgesamt): Kennzahlen + Arbeitsmappe",
            f"{de(total * 1000)} ms",
            f"≤ {de(TARGET_SECONDS * 1000)} ms",
            total <= TARGET_SECONDS,
            note=f"Arbeitsmappe {de(len(data) / 1024)} KiB",
        ),
        Measurement(
            "davon Kennzahlen aus der Datenbank (report_figures)",
            f"{de(median(figure_times) * 1000)} ms",
            note=f"EXPLAIN der GROUP-BY-Abfrage: {_explain(jahr, kw)}",
        ),
        Measurement(
            "davon Arbeitsmappe schreiben (write_berichtswesen)",
            f"{de(median(write_times) * 1000)} ms",
        ),
    ]
