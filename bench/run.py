"""Benchmark runner: `python -m bench.run [--cases N] [--only NAME ...] [--list]` (`make bench`).

Needs ``DATABASE_URL`` pointing at MariaDB; the runner switches to a database of its own
(``--database``, default ``dak_portal_bench``), creates and migrates it, runs the registered
benchmarks (see :mod:`bench.benchmarks`), prints a table and rewrites their sections of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.benchmarks import de
from bench.context import DEFAULT_DATABASE, Context, create_database

BASE_DIR = Path(__file__).resolve().parent.parent
DOCS_PATH = BASE_DIR / "docs" / "benchmarks.md"
DEFAULT_CASES = 1_000_000

NO_MARIADB = """\
Die Benchmarks laufen nur gegen MariaDB: SQLite misst nicht, was der Betrieb erlebt.
Bitte DATABASE_URL auf den MariaDB-Server setzen, z. B.

    DATABASE_URL=mysql://root@127.0.0.1:3306/dak_portal make bench

Der Runner nimmt davon nur Server und Zugangsdaten und arbeitet in einer eigenen Datenbank
(Standard: dak_portal_bench), die er anlegt, migriert und befüllt."""


# --- Machine and database ------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unbekannt"


def _ram_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _os_name() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def machine_info(connection) -> dict[str, str]:
    import django

    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size, @@innodb_log_file_size")
        version, buffer_pool, redo_log = cursor.fetchone()
    now = dt.datetime.now().astimezone()
    return {
        "Datum": now.strftime("%d.%m.%Y %H:%M %Z"),
        "CPU": f"{_cpu_model()}, {os.cpu_count()} Kerne",
        "RAM": f"{de(_ram_gib(), 1)} GiB",
        "Betriebssystem": f"{_os_name()}, Linux {platform.release()}",
        "MariaDB": f"{version} (InnoDB-Pufferpool {int(buffer_pool) // 2**20} MiB, "
        f"Redo-Log {int(redo_log) // 2**20} MiB)",
        # Which build matters: an unoptimised CPython serves 10-20 % fewer pages per second.
        "Python / Django": f"{platform.python_version()} ({os.path.realpath(sys.executable)}) "
        f"/ {django.get_version()}",
        # Other work on the machine skews timings; the load at the start makes that visible.
        "Systemlast beim Start (1 min)": de(os.getloadavg()[0], 2),
    }


# The server settings of deploy/mariadb/60-dak-portal.cnf; the benchmarks measure the portal on
# a server set up as documented, not on the distribution's 128 MiB default pool.
SERVER_TUNING = {"innodb_buffer_pool_size": 2 * 2**30, "innodb_log_file_size": 2**30}


def apply_server_tuning(connection) -> list[str]:
    """Raise the documented InnoDB settings at run time where the server has less (both are
    dynamic in MariaDB ≥ 10.9); returns what was changed."""
    changed = []
    with connection.cursor() as cursor:
        for name, wanted in SERVER_TUNING.items():
            cursor.execute(f"SELECT @@{name}")
            if int(cursor.fetchone()[0]) < wanted:
                cursor.execute(f"SET GLOBAL {name} = {int(wanted)}")
                changed.append(f"{name} = {wanted // 2**20} MiB")
    return changed


def _bench_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


# --- Reporting -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    benchmark: object
    measurements: list
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(m.passed is False for m in self.measurements)


def print_table(outcomes: list[Outcome]) -> None:
    rows = [("Benchmark", "Messung", "Ergebnis", "Ziel", "Bewertung")]
    for outcome in outcomes:
        if outcome.error:
            rows.append((outcome.benchmark.name, "–", outcome.error, "–", "FEHLER"))
        for m in outcome.measurements:
            rows.append((outcome.benchmark.name, m.label, m.result, m.target, m.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    print()
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    print()


HEADER = """\
# Benchmarks

Diese Datei schreibt `python -m bench.run` (`make bench`); Hand-Änderungen gehen beim nächsten
Lauf verloren. Gemessen wird gegen eine eigene MariaDB-Datenbank (`dak_portal_bench`), nie gegen
die Portal-Datenbank. Jeder Abschnitt stammt von dem Lauf, der ihn gemessen hat, mit dessen
Rechner und Datum; `--only NAME` erneuert nur die genannten Abschnitte.

    DATABASE_URL=mysql://root@127.0.0.1:3306/dak_portal make bench
    DATABASE_URL=… .venv/bin/python -m bench.run --cases 1000000 --only cases.list_query

Neue Benchmarks: eine Funktion in `bench/benchmarks/<bereich>.py` (siehe Docstring von
`bench/benchmarks/__init__.py`).
"""

_SECTION = re.compile(r"<!-- bench:(?P<name>\S+) -->\n.*?<!-- /bench:(?P=name) -->\n?", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_section(outcome: Outcome, machine: dict[str, str], command: str) -> str:
    benchmark = outcome.benchmark
    lines = [f"<!-- bench:{benchmark.name} -->", f"## {benchmark.title}", ""]
    lines.append(f"`{benchmark.name}` · Aufruf: `{command}`")
    lines.append("")
    lines.extend(f"- {key}: {value}" for key, value in machine.items())
    lines.append("")
    if benchmark.description:
        lines.extend([benchmark.description, ""])
    lines.extend(["| Messung | Ergebnis | Ziel | Bewertung |", "|---|---|---|---|"])
    if outcome.error:
        lines.append(f"| – | Fehler: {_cell(outcome.error)} | – | FEHLER |")
    for m in outcome.measurements:
        lines.append(f"| {_cell(m.label)} | {_cell(m.result)} | {_cell(m.target)} | {m.verdict} |")
    notes = [f"- {m.label}: {m.note}" for m in outcome.measurements if m.note]
    if notes:
        lines.extend(["", *notes])
    lines.append(f"<!-- /bench:{benchmark.name} -->")
    return "\n".join(lines) + "\n"


def update_document(old: str, sections: dict[str, str], order: list[str]) -> str:
    """The document with ``sections`` replaced or added; other benchmarks' sections kept."""
    kept = {match["name"]: match.group(0) for match in _SECTION.finditer(old)}
    kept = {name: text if text.endswith("\n") else text + "\n" for name, text in kept.items()}
    kept.update(sections)
    names = [name for name in order if name in kept]
    names += [name for name in kept if name not in names]
    return HEADER + "".join("\n" + kept[name] for name in names)


# --- Main ----------------------------------------------------------------------------------------


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Benchmarks des Portals gegen MariaDB."
    )
    parser.add_argument(
        "--cases",
        type=int,
        default=DEFAULT_CASES,
        help=f"Anzahl Fälle in der Benchmark-Datenbank (Standard {DEFAULT_CASES:_})",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="nur diesen Benchmark oder Bereich (mehrfach oder kommagetrennt)",
    )
    parser.add_argument("--list", action="store_true", help="Benchmarks auflisten und beenden")
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE),
        help=f"Name der Benchmark-Datenbank (Standard {DEFAULT_DATABASE}; muss 'bench' enthalten)",
    )
    parser.add_argument("--seed", type=int, default=1, help="Startwert der Testdaten")
    parser.add_argument(
        "--no-server-tuning",
        action="store_true",
        help="InnoDB-Einstellungen des Servers nicht anheben (siehe deploy/mariadb/)",
    )
    parser.add_argument("--no-docs", action="store_true", help="docs/benchmarks.md nicht schreiben")
    args = parser.parse_args(argv)
    args.only = [name.strip() for value in args.only for name in value.split(",") if name.strip()]
    return args


def main(argv=None) -> int:
    args = _parse_args(argv)
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.mysql":
        print(NO_MARIADB, file=sys.stderr)
        return 2
    if "bench" not in args.database or not re.fullmatch(r"[A-Za-z0-9_]+", args.database):
        print(
            f"Benchmark-Datenbank {args.database!r} abgelehnt: der Name muss 'bench' enthalten "
            "(Buchstaben, Ziffern, _), damit nie die Portal-Datenbank geleert wird.",
            file=sys.stderr,
        )
        return 2
    if args.cases < 1:
        print("--cases muss mindestens 1 sein.", file=sys.stderr)
        return 2

    # Settings read DATABASE_URL at import time, so switch it before Django starts.
    os.environ["DATABASE_URL"] = _bench_url(url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dak_portal.settings")
    # Measure as production runs: no debug cursor keeping every query's SQL in memory.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from bench.benchmarks import discover, select

    benchmarks = discover()
    if args.list:
        for b in benchmarks:
            print(f"{b.name:28} {b.title}")
        return 0
    try:
        chosen = select(benchmarks, args.only)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    from django.core.management import call_command
    from django.db import connection

    print(f"Benchmark-Datenbank {args.database} auf {config['HOST'] or 'localhost'} …")
    create_database(config, args.database)
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    if not args.no_server_tuning:
        for change in apply_server_tuning(connection):
            print(f"Servereinstellung angehoben (wie deploy/mariadb/60-dak-portal.cnf): {change}")
    machine = machine_info(connection)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])

    outcomes = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        context = Context(
            cases=args.cases,
            seed=args.seed,
            workdir=Path(workdir),
            server=config,
            database=args.database,
        )
        for benchmark in chosen:
            print(f"▶ {benchmark.name}: {benchmark.title}", flush=True)
            try:
                outcomes.append(Outcome(benchmark, list(benchmark.function(context))))
            except Exception as exc:
                traceback.print_exc()
                outcomes.append(Outcome(benchmark, [], error=f"{type(exc).__name__}: {exc}"))

    print_table(outcomes)
    if not args.no_docs:
        sections = {o.benchmark.name: render_section(o, machine, command.strip()) for o in outcomes}
        old = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
        DOCS_PATH.parent.mkdir(parents=True, exist_ok=True)
        new = update_document(old, sections, [b.name for b in benchmarks])
        DOCS_PATH.write_text(new, encoding="utf-8")
        print(f"Ergebnisse in {DOCS_PATH.relative_to(BASE_DIR)} geschrieben.")
    return 1 if any(outcome.failed for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
