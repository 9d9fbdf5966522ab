"""Registry of the portal's benchmarks (`python -m bench.run`, `make bench`).

Adding a benchmark
------------------
Write a function in a module of this package, e.g. ``bench/benchmarks/imports.py``, and decorate
it with :func:`benchmark`. The runner imports every module of the package, so nothing else needs
to be registered::

    from bench.benchmarks import Measurement, benchmark, de


    @benchmark(
        "imports.crm",
        title="CRM-Import von 100.000 Zeilen in eine Datenbank mit 1.000.000 Fällen",
        order=30,
    )
    def crm_import(ctx):
        ctx.ensure_cases(ctx.cases)  # exactly ctx.cases generated cases (reused when present)
        csv_path = ctx.workdir / "crm.csv"  # scratch directory, removed after the run
        ...  # write the file (untimed)
        with ctx.measure() as run:  # wall time and peak memory of this block
            import_crm(...)
        return [
            Measurement("Dauer", f"{de(run.seconds, 1)} s", "≤ 60 s", run.seconds <= 60),
            Measurement("Spitzenspeicher", f"{de(run.peak_mib)} MiB", "Richtwert ≤ 500 MiB"),
        ]

Rules of the game
-----------------
- ``name`` is ``<area>.<what>``; ``--only`` selects benchmarks by name or by area
  (``--only imports`` runs every ``imports.*``). ``order`` sorts the run and docs/benchmarks.md.
- The function gets a :class:`bench.context.Context` and returns a list of
  :class:`Measurement`; ``passed=None`` means "recorded only" (a Richtwert, no pass/fail).
- The database is the dedicated benchmark database (MariaDB), never the portal's own. Anything
  a benchmark adds or changes stays there: ``ctx.ensure_cases(n)`` regenerates the cases when
  their count differs from ``n``; a benchmark that changes cases without changing their count
  calls ``ctx.ensure_cases(n, fresh=True)`` before it measures. ``ctx.reset_cases()`` recreates
  the whole database (freshly migrated, no users, no cases).
- Other helpers: ``ctx.timings_ms(fn, runs)`` (latencies; :func:`bench.context.percentile`),
  ``ctx.progress(total)`` (a progress callback for ``generate_cases``), ``ctx.say(text)``.
- An exception marks that benchmark as failed and the runner goes on with the next one.
- Each benchmark owns one section of docs/benchmarks.md (between ``<!-- bench:NAME -->``
  markers); a run rewrites the sections of the benchmarks it ran and keeps the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Measurement:
    label: str
    result: str
    target: str = "–"
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "erfasst"
        return "bestanden" if self.passed else "NICHT bestanden"


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    function: Callable
    order: int = 100
    description: str = ""

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, title: str, order: int = 100, description: str = ""):
    """Register the decorated function as benchmark ``name`` (see the module docstring)."""

    def register(function):
        if name in REGISTRY and REGISTRY[name].function is not function:
            raise ValueError(f"benchmark {name!r} is registered twice")
        REGISTRY[name] = Benchmark(name, title, function, order, description.strip())
        return function

    return register


def discover() -> list[Benchmark]:
    """Import every module of this package and return the registered benchmarks in order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(REGISTRY.values(), key=lambda b: (b.order, b.name))


def select(benchmarks: list[Benchmark], only: list[str]) -> list[Benchmark]:
    """The benchmarks named in ``only`` (full names or areas); ValueError for unknown names."""
    if not only:
        return benchmarks
    unknown = [wanted for wanted in only if not any(wanted in (b.name, b.area) for b in benchmarks)]
    if unknown:
        known = ", ".join(b.name for b in benchmarks)
        raise ValueError(f"Unbekannte Benchmarks: {', '.join(unknown)} (vorhanden: {known})")
    return [b for b in benchmarks if b.name in only or b.area in only]


def de(value: float, digits: int = 0) -> str:
    """A number in German notation: 1.234.567 / 12,5."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def cases_per_year() -> dict[int, int]:
    """{jahr: number of cases} of the benchmark database."""
    from django.db.models import Count

    from cases.models import Case

    rows = Case.objects.order_by().values_list("jahr").annotate(n=Count("id"))
    return dict(rows.values_list("jahr", "n"))


def fullest_year(years: dict[int, int], *, with_previous: bool = False) -> int:
    """The year with the most cases; with_previous: among those whose previous year has cases
    too (a previous-year comparison then runs live over that year's cases as well)."""
    candidates = [j for j in years if j - 1 in years] if with_previous else list(years)
    return max(candidates, key=lambda j: years[j], default=max(years))
