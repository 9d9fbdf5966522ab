"""The start page's JSON API over HTTP (issue 13): /api/dashboard/ for every year with cases and
/api/jahre/ — gunicorn with 4 workers, wrk with 8 connections over loopback (bench/http.py)."""

from __future__ import annotations

import time

from django.urls import reverse

from bench.benchmarks import Measurement, benchmark, cases_per_year, de, fullest_year
from bench.http import Server, bench_user, login_session, run_wrk

P99_MS = 50
RUNS = 5
WARM_UP_SECONDS = 8  # at 1,000,000 cases each worker computes each year once (≈0.3 s)
# The per-user limit of settings.REST_FRAMEWORK would answer most of the load with 429.
SERVER_ENV = {"API_THROTTLE_RATE": "100000000/min"}


def _latency(result) -> str:
    return (
        f"p50 {de(result.p50_ms, 1)} ms · p99 {de(result.p99_ms, 1)} ms · "
        f"{de(result.requests_per_second)} Anfragen/s"
    )


def _median(values):
    return sorted(values)[len(values) // 2]


@benchmark(
    "api.dashboard",
    title="Dashboard-API über HTTP (gunicorn, wrk)",
    order=45,
    description=(
        "gunicorn mit 4 Sync-Workern (`dak_portal.wsgi`, DEBUG aus) auf der Benchmark-Datenbank, "
        "Last von `wrk` mit 8 Verbindungen je 10 s über Loopback, angemeldet als DAK-Mitarbeiter; "
        "die Drosselung je Nutzer ist für den Lauf hochgesetzt. `/api/dashboard/?jahr=J` reihum "
        "für jedes Jahr mit Fällen, dazu `/api/jahre/`. Die Kennzahlen eines Jahres werden je "
        "Prozess 60 s zwischengespeichert (reports.dashboard); vor der Messung wärmt ein "
        f"{WARM_UP_SECONDS}-s-Lauf die Zwischenspeicher aller Worker. Die Berechnung ohne "
        f"Zwischenspeicher (`compute_dashboard`, zwei gruppierte Abfragen über den "
        f"Covering-Index) ist als Median von {RUNS} Läufen getrennt angegeben: so lange wartet "
        "die erste Anfrage nach Ablauf."
    ),
)
def dashboard_api(ctx):
    from accounts.models import Role
    from reports.dashboard import compute_dashboard

    ctx.ensure_cases(ctx.cases)
    years = cases_per_year()
    fullest = fullest_year(years, with_previous=True)
    compute_dashboard(fullest)  # warm-up: buffer pool, connection
    cold = []
    for _ in range(RUNS):
        started = time.perf_counter()
        compute_dashboard(fullest)
        cold.append(time.perf_counter() - started)

    dak = bench_user(Role.DAK_MITARBEITER, "bench.dak@dak.de")
    session = login_session(dak)
    dashboard_path = reverse("api:dashboard")
    year_requests = [{"path": f"{dashboard_path}?jahr={jahr}"} for jahr in sorted(years)]
    jahre_path = reverse("api:jahre")
    results = {}
    with Server(ctx.workdir, env=SERVER_ENV) as server:
        ctx.say(f"gunicorn auf {server.url()}")
        for path in (year_requests[0]["path"], jahre_path):
            status, body = server.get(path, cookies=session.cookies)
            if status != 200 or not body.startswith("{"):
                raise RuntimeError(f"{path}: Status {status}")
        ctx.say("Aufwärmen …")
        run_wrk(
            server.url(),
            cookies=session.cookies,
            requests=year_requests,
            duration=WARM_UP_SECONDS,
            workdir=ctx.workdir,
            check=False,
        )
        ctx.say("Dashboard-API …")
        results["dashboard"] = run_wrk(
            server.url(), cookies=session.cookies, requests=year_requests, workdir=ctx.workdir
        )
        ctx.say("Jahre-API …")
        results["jahre"] = run_wrk(server.url(jahre_path), cookies=session.cookies)

    total = de(sum(years.values()))
    measurements = []
    for key, label in (
        ("dashboard", f"GET /api/dashboard/?jahr=… ({len(years)} Jahre reihum, {total} Fälle)"),
        ("jahre", "GET /api/jahre/"),
    ):
        result = results[key]
        measurements.append(
            Measurement(
                label,
                _latency(result),
                f"p99 ≤ {P99_MS} ms",
                result.p99_ms <= P99_MS,
                note=f"{de(result.requests)} Anfragen in {de(result.seconds, 1)} s",
            )
        )
    measurements.append(
        Measurement(
            f"Berechnung ohne Zwischenspeicher, {fullest} ({de(years[fullest])} Fälle, "
            f"Vorjahr {de(years.get(fullest - 1, 0))})",
            f"{de(_median(cold) * 1000)} ms",
        )
    )
    return measurements
