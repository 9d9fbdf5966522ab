"""Case pages over HTTP (issue 12): the case list, the case page, an ICD save and, under the
same load, the Django admin's case list — gunicorn with 4 workers, wrk with 8 connections over
loopback (bench/http.py)."""

from __future__ import annotations

import os
import random
from urllib.parse import urlencode

from django.db.models import Count, Max, Min
from django.urls import reverse

from bench.benchmarks import Measurement, benchmark, de
from bench.http import Server, bench_user, login_session, run_wrk

LIST_P50_MS = 30
LIST_P99_MS = 100
DETAIL_P99_MS = 50
ICD_SAVE_P99_MS = 100
ADMIN_RATIO = 20
SAMPLE = 500  # cases the detail and ICD-save runs cycle through
ICD_CODES = ("C50.1", "I21.0")
SEARCH_SESSION_KEY = "cases.list.search"  # cases.views.list: the term lives in the session


WARM_UP_SECONDS = 3


def _load_note(result, server_times=None) -> str:
    """Requests, and what they cost: with 8 connections always busy, every answer waits for
    the others, so p50 is about 8 / (requests per second) once the CPU is the limit. With the
    server's own times (gunicorn's access log): how much of it the worker spent on the request,
    the rest being the wait for one of the 4 workers."""
    cores = os.cpu_count() or 1
    cost = cores * 1000 / result.requests_per_second if result.requests_per_second else 0
    note = (
        f"{de(result.requests)} Anfragen in {de(result.seconds, 1)} s; ≈ {de(cost, 1)} ms "
        f"Rechenzeit je Anfrage auf {cores} Kernen (Portal, MariaDB und wrk zusammen)"
    )
    if server_times is not None:
        note += (
            f"; Zeit im Worker (gunicorn, ohne Warten auf einen freien Worker): "
            f"p50 {de(server_times.p50_ms, 1)} ms · p99 {de(server_times.p99_ms, 1)} ms"
        )
    return note


def _latency(result) -> str:
    return (
        f"p50 {de(result.p50_ms, 1)} ms · p99 {de(result.p99_ms, 1)} ms · "
        f"{de(result.requests_per_second)} Anfragen/s"
    )


def _sample_pks(rng, n):
    from cases.models import Case

    bounds = Case.objects.aggregate(first=Min("pk"), last=Max("pk"))
    pks: set[int] = set()
    while len(pks) < n:
        wanted = {rng.randint(bounds["first"], bounds["last"]) for _ in range(n * 2)}
        pks.update(Case.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return sorted(pks)[:n] if len(pks) > n else sorted(pks)


def _snapshot_icd(pks):
    """The ICD state of the cases the save run changes, to put back afterwards."""
    from cases.models import Case, CaseICDCode

    cases = list(
        Case.objects.filter(pk__in=pks).values(
            "pk", "icd", "icd_entered_by_id", "icd_entered_at", "updated_at"
        )
    )
    codes = list(
        CaseICDCode.objects.filter(case_id__in=pks).values(
            "case_id", "icd_code", "icd_hauptgruppe", "created_at"
        )
    )
    return cases, codes


def _restore_icd(snapshot):
    """Put the ICD fields and code rows back as they were (the benchmark data stays as
    generated for the other benchmarks); audit and notification rows of the run stay."""
    from django.db import transaction

    from cases.models import Case, CaseICDCode

    cases, codes = snapshot
    with transaction.atomic():
        CaseICDCode.objects.filter(case_id__in=[c["pk"] for c in cases]).delete()
        CaseICDCode.objects.bulk_create(CaseICDCode(**row) for row in codes)
        for row in cases:
            Case.objects.filter(pk=row["pk"]).update(
                icd=row["icd"],
                icd_entered_by_id=row["icd_entered_by_id"],
                icd_entered_at=row["icd_entered_at"],
                updated_at=row["updated_at"],
            )


@benchmark(
    "pages.cases",
    title="Fallliste, Fallseite und ICD-Speichern über HTTP (gunicorn, wrk)",
    order=40,
    description=(
        "gunicorn mit 4 Sync-Workern (`dak_portal.wsgi`, DEBUG aus) auf der Benchmark-Datenbank, "
        "Last von `wrk` mit 8 Verbindungen je 10 s über Loopback; angemeldet als DAK-Mitarbeiter "
        "(die Sitzung wird direkt angelegt, die Suche steht wie im Portal in der Sitzung). "
        "Die Zeiten sind, was wrk misst (danach wird bewertet): die Zeit im Worker, ein "
        "Loopback-Umlauf und, bei 8 Verbindungen auf 4 Workern, das Warten auf einen freien "
        "Worker; ohne Netz und TLS. Die Zeit im Worker allein (gunicorns Zugriffsprotokoll, "
        "`%(D)s`) steht in der Anmerkung. "
        "Jede Antwort muss 2xx sein (sonst Fehler). Fallseite: 500 zufällige Fälle im Wechsel; "
        "ICD-Speichern: POST `/faelle/<pk>/icd/` (HTMX, Listenzeile) auf 500 Fälle mit "
        "abwechselnden Codes, danach werden deren ICD-Werte zurückgesetzt. Django-Admin: die "
        "Fall-Änderungsliste Seite 1 als verifizierter Admin. Zum Vergleich im selben Lauf: die "
        "kleinste angemeldete Antwort (der Zähler der Glocke), die Untergrenze jeder Seite."
    ),
)
def case_pages(ctx):
    from accounts.models import Role
    from cases.models import Case

    ctx.ensure_cases(ctx.cases)
    rng = random.Random(ctx.seed)
    dak = bench_user(Role.DAK_MITARBEITER, "bench.dak@dak.de")
    admin = bench_user(Role.ADMIN, "bench.admin@anbieter.example")

    list_path = reverse("cases:list")
    probe = Case.objects.filter(pk=_sample_pks(rng, 1)[0]).values("jahr", "kw", "fallgruppe")[0]
    week_path = f"{list_path}?{urlencode(probe)}"
    surname = (
        Case.objects.values("nachname")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("nachname", flat=True)[:1][0]
    )
    kvnr = (
        Case.objects.filter(pk__in=_sample_pks(rng, 50), kvnr__isnull=False)
        .exclude(kvnr="")
        .values_list("kvnr", flat=True)
        .first()
    )
    detail_pks = _sample_pks(rng, SAMPLE)
    icd_pks = [pk for pk in _sample_pks(rng, SAMPLE * 2) if pk not in set(detail_pks)][:SAMPLE]

    plain = login_session(dak)
    by_surname = login_session(dak, extra={SEARCH_SESSION_KEY: surname})
    by_kvnr = login_session(dak, extra={SEARCH_SESSION_KEY: kvnr}) if kvnr else None
    admin_session = login_session(admin)
    admin_path = reverse("admin:cases_case_changelist")

    results = {}
    snapshot = _snapshot_icd(icd_pks)
    server_times = {}
    with Server(ctx.workdir, access_log=True) as server:
        ctx.say(f"gunicorn auf {server.url()}")
        list_runs = [
            ("ohne Filter", list_path, plain),
            ("Jahr + KW + Fallgruppe", week_path, plain),
            ("Suche Nachname (häufigster)", list_path, by_surname),
        ]
        if by_kvnr:
            list_runs.append(("Suche KVNR", list_path, by_kvnr))
        # Warm-up, unmeasured: each of the 4 workers loads templates, URL patterns and its
        # database connection with its first requests (a quarter of a second each).
        run_wrk(server.url(list_path), cookies=plain.cookies, duration=WARM_UP_SECONDS)
        for label, path, session in list_runs:
            status, body = server.get(path, cookies=session.cookies)
            if status != 200 or 'data-testid="case-table"' not in body:
                raise RuntimeError(f"Fallliste {label}: Status {status} oder keine Tabelle")
            ctx.say(f"Fallliste {label} …")
            mark = server.access_log_mark()
            results[label] = run_wrk(server.url(path), cookies=session.cookies)
            server_times[label] = server.server_times(mark)

        ctx.say("Fallseite …")
        detail_requests = [{"path": reverse("cases:detail", args=[pk])} for pk in detail_pks]
        status, _body = server.get(detail_requests[0]["path"], cookies=plain.cookies)
        if status != 200:
            raise RuntimeError(f"Fallseite: Status {status}")
        mark = server.access_log_mark()
        results["detail"] = run_wrk(
            server.url(), cookies=plain.cookies, requests=detail_requests, workdir=ctx.workdir
        )
        server_times["detail"] = server.server_times(mark)

        ctx.say("ICD speichern …")
        save_requests = [
            {
                "method": "POST",
                "path": reverse("cases:icd", args=[pk]),
                "body": urlencode({"icd": code, "ansicht": "zeile"}),
            }
            for code in ICD_CODES
            for pk in icd_pks
        ]
        try:
            mark = server.access_log_mark()
            results["icd"] = run_wrk(
                server.url(),
                cookies=plain.cookies,
                headers={**plain.post_headers, "HX-Request": "true"},
                requests=save_requests,
                workdir=ctx.workdir,
            )
            server_times["icd"] = server.server_times(mark)
        finally:
            _restore_icd(snapshot)

        # The floor in the same run: the smallest logged-in answer (the bell's unread count:
        # session, user, second factor, one count, a one-line template). What the machine
        # gives at this moment; runs on this virtual machine vary by a fifth.
        ctx.say("Kleinste angemeldete Antwort …")
        mark = server.access_log_mark()
        results["floor"] = run_wrk(
            server.url(reverse("konto:notification_badge")),
            cookies=plain.cookies,
            headers={"HX-Request": "true"},
        )
        server_times["floor"] = server.server_times(mark)

        ctx.say("Django-Admin-Fallliste …")
        status, _body = server.get(admin_path, cookies=admin_session.cookies)
        if status != 200:
            raise RuntimeError(f"Django-Admin-Fallliste: Status {status}")
        results["admin"] = run_wrk(server.url(admin_path), cookies=admin_session.cookies)

    total = de(Case.objects.count())
    measurements = []
    for label, _path, _session in list_runs:
        result = results[label]
        measurements.append(
            Measurement(
                f"Fallliste Seite 1, {label} ({total} Fälle)",
                _latency(result),
                f"p50 ≤ {LIST_P50_MS} ms, p99 ≤ {LIST_P99_MS} ms",
                result.p50_ms <= LIST_P50_MS and result.p99_ms <= LIST_P99_MS,
                note=_load_note(result, server_times[label]),
            )
        )
    for key, label, target in (
        ("detail", "Fallseite", DETAIL_P99_MS),
        ("icd", "ICD speichern (POST, HTMX)", ICD_SAVE_P99_MS),
    ):
        result = results[key]
        measurements.append(
            Measurement(
                label,
                _latency(result),
                f"p99 ≤ {target} ms",
                result.p99_ms <= target,
                note=_load_note(result, server_times[key]),
            )
        )
    measurements.append(
        Measurement(
            "Zum Vergleich: kleinste angemeldete Antwort (Zähler der Glocke)",
            _latency(results["floor"]),
            note=_load_note(results["floor"], server_times["floor"]),
        )
    )
    portal, admin_result = results["ohne Filter"], results["admin"]
    ratio = portal.requests_per_second / admin_result.requests_per_second
    measurements.append(Measurement("Django-Admin-Fallliste Seite 1", _latency(admin_result)))
    measurements.append(
        Measurement(
            "Anfragen/s Fallliste : Django-Admin",
            f"{de(portal.requests_per_second)} : {de(admin_result.requests_per_second)} "
            f"= {de(ratio, 1)}×",
            f"≥ {ADMIN_RATIO}×",
            ratio >= ADMIN_RATIO,
        )
    )
    return measurements
