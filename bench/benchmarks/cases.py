"""Benchmarks of the case table: bulk insert and the case list query."""

from __future__ import annotations

import random

from django.db import connection

from bench.benchmarks import Measurement, benchmark, de
from bench.context import analyze_cases, percentile
from cases.models import Case

INSERT_GUIDE_SECONDS = 120
LIST_TARGET_MS = 50
LIST_RUNS = 200
PAGE_SIZE = 50
# The columns a case list shows (plus what its status and links need).
LIST_COLUMNS = (
    "id",
    "fall_id",
    "datum",
    "jahr",
    "kw",
    "fallgruppe",
    "nachname",
    "vorname",
    "icd",
    "unterlagen",
    "ablehnung",
    "abbruch",
    "gutachten",
    "gutachten_typ",
)


def _table_mib() -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            [Case._meta.db_table],
        )
        return int(cursor.fetchone()[0]) / 2**20


def _insert(ctx, *, rebuild_indexes: bool):
    from bench.generate import generate_cases

    ctx.reset_cases()
    progress = ctx.progress(ctx.cases)
    with ctx.measure() as run:
        result = generate_cases(
            ctx.cases, seed=ctx.seed, rebuild_indexes=rebuild_indexes, progress=progress
        )
    analyze_cases()
    return run, result, progress


@benchmark(
    "cases.insert_indexed",
    title="Fälle in eine indizierte Tabelle einfügen (wie ein Import)",
    order=10,
    description=(
        "Wie `cases.insert`, aber die Indizes bleiben beim Laden bestehen und werden Zeile für "
        "Zeile gepflegt – so wie bei jedem Import in eine gefüllte Tabelle. Zeigt, wie die "
        "Einfügerate fällt, sobald die Indizes nicht mehr in den InnoDB-Pufferpool passen."
    ),
)
def insert_cases_indexed(ctx):
    run, result, progress = _insert(ctx, rebuild_indexes=False)
    return [
        Measurement(
            f"{de(result.cases)} Fälle, Indizes beim Laden gepflegt",
            f"{de(run.seconds, 1)} s ({de(result.cases / run.seconds)} Fälle/s)",
            note=f"der Python-Generator wartete {de(result.waiting_seconds, 1)} s auf MariaDB",
        ),
        Measurement(
            "Einfügerate der letzten 10 %",
            f"{de(progress.rate_of_last(0.1))} Fälle/s",
            note="sinkt, sobald die Sekundärindizes den InnoDB-Pufferpool übersteigen",
        ),
    ]


@benchmark(
    "cases.insert",
    title="Fälle in MariaDB einfügen (Massenladen)",
    order=11,
    description=(
        "`bench/generate.py` erzeugt synthetische Fälle (Regeln aus `cases/rules.py`, alle "
        "CHECK-/UNIQUE-Bedingungen eingehalten, dazu die ICD-Codes als `CaseICDCode`-Zeilen) und "
        "lädt sie mit `LOAD DATA LOCAL INFILE` in Blöcken zu 50.000 Zeilen in die leere "
        "Tabelle; der nächste Block wird erzeugt, während MariaDB den vorigen lädt. Die "
        "Sekundärindizes werden vorher entfernt und danach in einem `ALTER TABLE` sortiert "
        "aufgebaut (der übliche Weg für Massendaten in InnoDB). Gemessen wird vom ersten "
        "erzeugten Datensatz bis der letzte Index steht."
    ),
)
def insert_cases(ctx):
    run, result, _progress = _insert(ctx, rebuild_indexes=True)
    within = run.seconds <= INSERT_GUIDE_SECONDS
    return [
        Measurement(
            f"{de(result.cases)} Fälle einfügen",
            f"{de(run.seconds, 1)} s ({de(result.cases / run.seconds)} Fälle/s)",
            f"Richtwert ≤ {INSERT_GUIDE_SECONDS} s",
            note=f"Richtwert {'eingehalten' if within else 'verfehlt'}. Im selben Lauf "
            f"{de(result.icd_codes)} ICD-Code-Zeilen. Davon Indexaufbau "
            f"{de(result.index_seconds, 1)} s; der Python-Generator wartete "
            f"{de(result.waiting_seconds, 1)} s auf MariaDB",
        ),
        Measurement("Tabellengröße (Daten + Indizes)", f"{de(_table_mib())} MiB"),
    ]


def _plan(queryset) -> str:
    """Index and extra notes of the query plan, e.g. to show a filesort."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [column[0] for column in cursor.description]
        plans = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    parts = []
    for plan in plans:
        extra = f" ({plan['Extra']})" if plan.get("Extra") else ""
        parts.append(f"Index {plan.get('key') or 'keiner'}{extra}")
    return "; ".join(parts)


def _stats(timings: list[float]) -> tuple[str, float]:
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    return f"p50 {de(p50, 1)} ms · p99 {de(p99, 1)} ms", p99


@benchmark(
    "cases.list_query",
    title="Fallliste: Seite 1 bei vielen Fällen",
    order=20,
    description=(
        "Die Abfrage der ersten Seite einer Fallliste über das ORM: "
        "`Case.objects.order_by('-datum', '-id').values(<Listenspalten>)[:50]`, einmal ohne "
        "Filter und einmal gefiltert nach Jahr, KW und Fallgruppe (200 verschiedene "
        "Kombinationen). Je 200 Läufe nach 5 Aufwärmläufen; Zeit inklusive Python und Treiber. "
        "Die Zählabfragen, die ein Django-Paginator zusätzlich stellen würde, stehen zur "
        "Information dabei."
    ),
)
def case_list_query(ctx):
    ctx.ensure_cases(ctx.cases)
    page = Case.objects.order_by("-datum", "-id").values(*LIST_COLUMNS)
    weeks = list(Case.objects.values_list("jahr", "kw").distinct().order_by("jahr", "kw"))
    rng = random.Random(ctx.seed)
    filters = [
        {"jahr": jahr, "kw": kw, "fallgruppe": rng.choice(["onko", "kardio", "galle", "sd"])}
        for jahr, kw in rng.choices(weeks, k=LIST_RUNS)
    ]

    unfiltered = ctx.timings_ms(lambda i: list(page[:PAGE_SIZE]), LIST_RUNS)
    filtered = ctx.timings_ms(lambda i: list(page.filter(**filters[i])[:PAGE_SIZE]), LIST_RUNS)
    count_all = ctx.timings_ms(lambda i: Case.objects.count(), 20, warmup=2)
    count_filtered = ctx.timings_ms(lambda i: page.filter(**filters[i]).count(), LIST_RUNS)

    total = de(Case.objects.count())
    measurements = []
    for label, timings, queryset in (
        ("ohne Filter", unfiltered, page[:PAGE_SIZE]),
        ("Jahr + KW + Fallgruppe", filtered, page.filter(**filters[0])[:PAGE_SIZE]),
    ):
        text, p99 = _stats(timings)
        measurements.append(
            Measurement(
                f"Seite 1 bei {total} Fällen, {label}",
                text,
                f"p99 ≤ {LIST_TARGET_MS} ms",
                p99 <= LIST_TARGET_MS,
                note=f"EXPLAIN: {_plan(queryset)}",
            )
        )
    measurements.append(
        Measurement("COUNT(*) ohne Filter (Paginator)", _stats(count_all)[0], note="20 Läufe")
    )
    measurements.append(Measurement("COUNT(*) Jahr + KW + Fallgruppe", _stats(count_filtered)[0]))
    return measurements
