"""What a benchmark function gets (:class:`Context`) and the helpers behind it."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.benchmarks import de

DEFAULT_DATABASE = "dak_portal_bench"


@dataclass
class Run:
    """Wall time and peak resident memory of a measured block."""

    seconds: float = 0.0
    peak_mib: float = 0.0
    start_mib: float = 0.0
    peak_is_lifetime: bool = False  # the kernel could not reset the peak; it is the process's

    @property
    def peak_delta_mib(self) -> float:
        return max(self.peak_mib - self.start_mib, 0.0)


def _status_mib(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise OSError(f"{key} missing in /proc/self/status")


def _reset_peak() -> bool:
    # Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so each block gets its own peak.
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("Keine Werte für ein Perzentil.")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceiling without floats
    return ordered[int(rank) - 1]


class Progress:
    """Progress callback for ``generate_cases``; ``marks`` holds (rows loaded, seconds)."""

    def __init__(self, ctx: Context, total: int, steps: int):
        self.ctx, self.total = ctx, total
        self.every = max(total // steps, 1)
        self.next_report = self.every
        self.started = time.perf_counter()
        self.marks: list[tuple[int, float]] = []

    def __call__(self, done: int) -> None:
        seconds = time.perf_counter() - self.started
        self.marks.append((done, seconds))
        if done >= self.next_report or done == self.total:
            self.ctx.say(f"{de(done)} / {de(self.total)} Fälle geladen ({de(seconds, 1)} s)")
            self.next_report = (done // self.every + 1) * self.every

    def rate_of_last(self, share: float) -> float:
        """Rows per second over the last ``share`` of the rows (e.g. 0.1 for the last 10 %)."""
        end_rows, end_seconds = self.marks[-1]
        threshold = end_rows * (1 - share)
        begin_rows, begin_seconds = next(
            (mark for mark in reversed(self.marks) if mark[0] <= threshold), (0, 0.0)
        )
        elapsed = end_seconds - begin_seconds
        return (end_rows - begin_rows) / elapsed if elapsed else 0.0


@dataclass
class Context:
    """What a benchmark function gets: the size asked for, a scratch directory and helpers."""

    cases: int
    seed: int
    workdir: Path
    server: dict = field(default_factory=dict, repr=False)  # dj_database_url config
    database: str = DEFAULT_DATABASE

    def say(self, message: str) -> None:
        print(f"  … {message}", flush=True)

    @contextmanager
    def measure(self):
        """Time the block and its peak resident memory: ``with ctx.measure() as run: ...``."""
        run = Run()
        reset = _reset_peak()
        try:
            run.start_mib = _status_mib("VmRSS")
        except OSError:
            reset = False
        started = time.perf_counter()
        try:
            yield run
        finally:
            run.seconds = time.perf_counter() - started
            if reset:
                run.peak_mib = _status_mib("VmHWM")
            else:
                run.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                run.peak_is_lifetime = True

    def timings_ms(self, function, runs: int, warmup: int = 5) -> list[float]:
        """Milliseconds of ``runs`` calls of ``function(i)`` after ``warmup`` unmeasured calls."""
        for i in range(warmup):
            function(i)
        result = []
        for i in range(runs):
            started = time.perf_counter()
            function(i)
            result.append((time.perf_counter() - started) * 1000)
        return result

    def progress(self, total: int, steps: int = 10) -> Progress:
        """A callback for generate_cases: reports every 1/steps and keeps (rows, seconds)."""
        return Progress(self, total, steps)

    def reset_cases(self) -> None:
        """Start from a freshly created and migrated benchmark database (no cases, no users).

        Recreating is quicker than emptying a million rows and also repairs a schema that an
        interrupted bulk load left without its secondary indexes."""
        from django.core.management import call_command
        from django.db import connection

        connection.close()
        create_database(self.server, self.database, recreate=True)
        call_command("migrate", interactive=False, verbosity=0, skip_checks=True)

    def ensure_cases(self, n: int, *, fresh: bool = False):
        """Make the database hold exactly ``n`` generated cases; reuse them when the count fits."""
        from bench.generate import generate_cases
        from cases.models import Case

        if not fresh and Case.objects.count() == n:
            return None
        self.say(f"erzeuge {de(n)} Fälle (ungemessen) …")
        self.reset_cases()
        result = generate_cases(n, seed=self.seed, rebuild_indexes=True, progress=self.progress(n))
        analyze_cases()
        return result


def analyze_cases() -> None:
    """Fresh index statistics, so query plans do not depend on when InnoDB last sampled."""
    from django.db import connection

    from cases.models import Case, CaseICDCode

    with connection.cursor() as cursor:
        for model in (Case, CaseICDCode):
            cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(model._meta.db_table)}")
            cursor.fetchall()


def create_database(config: dict, database: str, *, recreate: bool = False) -> None:
    """Create the benchmark database on the server of ``config`` (dj_database_url form)."""
    import MySQLdb

    # The runner checks this already; a DROP DATABASE deserves a second look of its own.
    if recreate and "bench" not in database:
        raise ValueError(f"refusing to recreate {database!r}: not a benchmark database")

    params = {"user": config["USER"] or "root", "charset": "utf8mb4"}
    if config["PASSWORD"]:
        params["password"] = config["PASSWORD"]
    if config["HOST"].startswith("/"):
        params["unix_socket"] = config["HOST"]
    else:
        params["host"] = config["HOST"] or "127.0.0.1"
    if config["PORT"]:
        params["port"] = int(config["PORT"])
    server = MySQLdb.connect(**params)
    try:
        cursor = server.cursor()
        if recreate:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS `{database}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        server.close()
