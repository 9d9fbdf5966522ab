"""Fill the database with many synthetic cases, fast (benchmarks need up to 1,000,000).

Rows are built as plain lists, not model instances: ``Case.save()``/``full_clean()`` per row would
take many minutes at this volume. The values still come from the domain rules (``iso_week``,
``duplicate_key_digest``, ``parse_icd``/``icd_hauptgruppe``) and the fall_id helper of the model
(``first_free_fall_ids``), and honour every CHECK and UNIQUE constraint of the case table.

On MariaDB the rows go in with ``LOAD DATA LOCAL INFILE`` on a connection of their own: one thread
writes the next chunk as a tab-separated file while another has the server load the previous one
(mysqlclient releases the GIL during a query), so Python and MariaDB work on both cores at once.
Elsewhere (SQLite in tests) a plain ``executemany`` inside a transaction does the job.
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connections, transaction
from django.utils import timezone

from cases import demo, rules
from cases.models import Case, CaseICDCode, first_free_fall_ids

TICKET_PREFIX = "BENCH-"
DEFAULT_START = dt.date(2020, 1, 1)
DEFAULT_END = dt.date(2026, 12, 31)
NULL = "\\N"  # LOAD DATA's NULL; turned into None for executemany
TRUE, FALSE = "1", "0"

# The case columns the generator fills; every other column takes its model default.
CASE_COLUMNS = (
    "id",
    "fall_id",
    "crm_ticket_id",
    "quelle",
    "datum",
    "jahr",
    "kw",
    "fallgruppe",
    "thema",
    "nachname",
    "vorname",
    "geburtsdatum",
    "kvnr",
    "geschlecht",
    "kontaktkanal",
    "bearbeiter",
    "unterlagen",
    "unterlagen_eingang_am",
    "ablehnung",
    "abbruch",
    "gutachten",
    "gutachten_am",
    "gutachten_typ",
    "therapieaenderung",
    "ta_diagnosekorrektur",
    "ta_unterversorgung",
    "ta_uebertherapie",
    "icd",
    "duplicate_key",
)
ICD_COLUMNS = ("case_id", "icd_code", "icd_hauptgruppe")
P_TICKET = 0.85  # the rest came from the historical workbook, without a CRM ticket


@dataclass
class GenerateResult:
    cases: int
    method: str
    first_id: int
    icd_codes: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0  # building the dropped indexes again (rebuild_indexes)
    waiting_seconds: float = 0.0  # the generator waiting for the database (load_data)


def _check_tsv_safe(texts) -> None:
    # LOAD DATA rows are written without escaping, so the vocabulary must not need any.
    for text in texts:
        if any(char in text for char in "\t\n\\"):
            raise ValueError(f"vocabulary text needs escaping: {text!r}")


_THEMEN = {fg: [(t.text, t.codes, t.geschlecht) for t in ts] for fg, ts in demo.THEMEN.items()}
_check_tsv_safe(
    [*demo.FIRST_NAMES_W, *demo.FIRST_NAMES_M, *demo.LAST_NAMES, *demo.BEARBEITER]
    + [text for themen in _THEMEN.values() for text, _, _ in themen]
)


def _expanded(pairs) -> list:
    """A list holding each value `weight` times: a uniform pick from it is a weighted pick."""
    return [value for value, weight in pairs for _ in range(weight)]


class _CaseRows:
    """Builds case rows (strings, NULL as ``\\N``) and their ICD rows, chunk by chunk.

    Picks index lists with ``random()`` instead of calling ``rng.choice``/``rng.choices``:
    at a million rows the difference is tens of seconds.
    """

    KVNR_POOL = 1 << 14

    def __init__(self, n: int, *, seed: int, start: dt.date, end: dt.date, first_id: int, taken):
        self.n = n
        self.rng = random.Random(seed)
        self.start = start
        self.span = (end - start).days + 1
        self.first_id = first_id
        self.taken = taken  # fall_ids already in the database
        self.reserved: set[str] = set()  # fall_ids given to rows of earlier chunks
        self.day_cache: tuple[int, tuple] = (-1, ())
        self.icd_cache: dict[tuple, tuple[str, list]] = {}
        self.fallgruppen = _expanded(demo.FALLGRUPPE_WEIGHTS.items())
        self.kanaele = _expanded(demo.KONTAKTKANAELE)
        # Insured persons come back with the same KVNR; a pool also spares a check digit per row.
        self.kvnrs = [demo.kvnr_for(self.rng) for _ in range(self.KVNR_POOL)]

    def _day(self, index: int) -> tuple:
        # Chronological like weekly imports; every day of the range gets its share.
        offset = index * self.span // self.n
        if self.day_cache[0] != offset:
            day = self.start + dt.timedelta(days=offset)
            jahr, kw = rules.iso_week(day)
            self.day_cache = (offset, (day, day.isoformat(), jahr, kw, str(jahr), str(kw)))
        return self.day_cache[1]

    def _assign_fall_ids(self, cases: list[list], stems: list[tuple]) -> None:
        """fall_ids for a chunk from the helper Case.save() and the imports use, given every id
        in the table (no queries) and the ids of earlier chunks still in the same week."""
        ids = first_free_fall_ids(stems, reserved=self.reserved, existing=self.taken)
        for row, fall_id in zip(cases, ids, strict=True):
            row[1] = fall_id
        # Rows come in date order: weeks before the chunk's last one cannot come back.
        if stems:
            last = f"{stems[-1][0]}-{stems[-1][1]:02d}-"
            self.reserved = {fall_id for fall_id in self.reserved if fall_id.startswith(last)}

    def _icd(self, picked: tuple[str, ...]) -> tuple[str, list]:
        # Few distinct combinations, so each is parsed by the rules once.
        if picked not in self.icd_cache:
            codes = rules.parse_icd(", ".join(picked))
            self.icd_cache[picked] = (
                rules.icd_join(codes),
                [(code, rules.icd_hauptgruppe(code)) for code in codes],
            )
        return self.icd_cache[picked]

    def chunks(self, size: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
        for begin in range(0, self.n, size):
            cases, codes, stems = [], [], []
            for index in range(begin, min(begin + size, self.n)):
                self._row(index, cases, codes, stems)
            self._assign_fall_ids(cases, stems)
            yield cases, codes

    def _row(self, index: int, cases: list, codes: list, stems: list) -> None:
        r = self.rng.random

        def pick(values):
            return values[int(r() * len(values))]

        case_id = self.first_id + index
        day, datum, jahr, kw, jahr_text, kw_text = self._day(index)
        fallgruppe = pick(self.fallgruppen)
        thema, thema_codes, thema_sex = pick(_THEMEN[fallgruppe])
        geschlecht = thema_sex or ("w" if r() < 0.5 else "m")
        vorname = pick(demo.FIRST_NAMES_M if geschlecht == "m" else demo.FIRST_NAMES_W)
        # Real-world rates (demo.SURNAME_POOL): repeats and look-alikes in one week and group.
        nachname = pick(demo.SURNAME_POOL)
        if r() < demo.P_SURNAME_IN_CAPITALS:
            nachname = nachname.upper()
        geburtsdatum = None
        if r() > 0.03:
            geburtsdatum = day - dt.timedelta(days=9125 + int(r() * 23725))  # aged 25 to 90
        kvnr = pick(self.kvnrs) if r() > 0.05 else NULL
        ticket = f"{TICKET_PREFIX}{case_id:010d}" if r() < P_TICKET else NULL

        unterlagen = ablehnung = abbruch = gutachten = FALSE
        eingang = gutachten_am = typ = ta = NULL
        flags = [FALSE, FALSE, FALSE]
        if r() < demo.P_UNTERLAGEN:
            unterlagen = TRUE
            eingang = (day + dt.timedelta(days=5 + int(r() * 21))).isoformat()
            if r() < demo.P_GUTACHTEN:
                gutachten = TRUE
                gutachten_am = (day + dt.timedelta(days=14 + int(r() * 37))).isoformat()
                if r() > demo.P_NIE_CODIERT:
                    typ = "Alternative" if r() < demo.P_ALTERNATIVE else "Bestätigung"
                    ta = "Ja" if r() < demo.P_TA_JA[typ] else "Nein"
                    if ta == "Ja":  # at least one kind with Ja (domain.md §4)
                        flags[int(r() * 3)] = TRUE
            elif r() < demo.P_ABBRUCH_NACH_UNTERLAGEN:
                abbruch = TRUE
        elif r() < demo.P_ABLEHNUNG:
            ablehnung = TRUE
        elif r() < demo.P_ABBRUCH_OHNE_UNTERLAGEN:
            abbruch = TRUE

        icd = NULL
        if r() > demo.P_NIE_ICD:
            picked = (pick(thema_codes),)
            if r() < 0.3:
                picked += (pick(demo.NEBENDIAGNOSEN[fallgruppe]),)
            icd, icd_rows = self._icd(picked)
            case_key = str(case_id)
            codes.extend((case_key, code, hauptgruppe) for code, hauptgruppe in icd_rows)

        stems.append((jahr, kw, fallgruppe, nachname))
        cases.append(
            [
                str(case_id),
                None,  # fall_id, given per chunk by _assign_fall_ids
                ticket,
                "crm_csv" if ticket is not NULL else "historisch",
                datum,
                jahr_text,
                kw_text,
                fallgruppe,
                thema,
                nachname,
                vorname,
                geburtsdatum.isoformat() if geburtsdatum else NULL,
                kvnr,
                geschlecht,
                pick(self.kanaele),
                pick(demo.BEARBEITER),
                unterlagen,
                eingang,
                ablehnung,
                abbruch,
                gutachten,
                gutachten_am,
                typ,
                ta,
                *flags,
                icd,
                rules.duplicate_key_digest(
                    nachname=nachname,
                    vorname=vorname,
                    geburtsdatum=geburtsdatum,
                    fallgruppe=fallgruppe,
                    datum=day,
                ),
            ]
        )


def _constants(model, filled, connection) -> dict[str, object]:
    """Database values for the columns the generator leaves to the model's defaults."""
    now = timezone.now()
    values = {}
    for field in model._meta.concrete_fields:
        if field.column in filled or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        if value is None and not field.null:
            raise RuntimeError(
                f"{model.__name__}.{field.name} needs a value: teach bench/generate.py about it"
            )
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


def generate_cases(
    n: int,
    *,
    seed: int = 1,
    start: dt.date = DEFAULT_START,
    end: dt.date | None = None,
    using: str = "default",
    method: str = "auto",
    chunk_size: int = 50_000,
    rebuild_indexes: bool = False,
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Insert ``n`` synthetic cases (with their ICD code rows) dated ``start``..``end``.

    ``end`` defaults to the end of 2026 or today, whichever is earlier. ``method``:

    - ``load_data`` (MariaDB only): commits chunk by chunk on its own connection, so it refuses
      to run inside a transaction;
    - ``executemany``: one transaction on the given connection;
    - ``auto``: ``load_data`` on MariaDB outside a transaction, else ``executemany``.

    ``rebuild_indexes`` (``load_data`` into empty tables only) drops the secondary indexes before
    loading and builds them afterwards, which InnoDB does by sorting instead of row by row. If the
    process is killed in between, the tables stay without those indexes (the benchmark runner
    recreates its database before every load). ``progress`` gets the number of cases loaded.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    connection = connections[using]
    if method == "auto":
        # Inside a transaction (e.g. a test) rows must go through that transaction's connection.
        fast = connection.vendor == "mysql" and not connection.in_atomic_block
        method = "load_data" if fast else "executemany"
    if method == "load_data" and connection.vendor != "mysql":
        raise ValueError("load_data needs MariaDB/MySQL")
    if rebuild_indexes and method != "load_data":
        raise ValueError("rebuild_indexes works with load_data only")
    end = end or min(DEFAULT_END, rules.berlin_today())
    if end < start:
        raise ValueError("end lies before start")

    started = time.perf_counter()
    cases = Case.objects.using(using)
    first_id = (cases.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    if rebuild_indexes and (first_id > 1 or CaseICDCode.objects.using(using).exists()):
        raise ValueError("rebuild_indexes needs empty case tables")
    # Loaded once, only when there is something to collide with.
    taken = set(cases.values_list("fall_id", flat=True)) if first_id > 1 else set()
    rows = _CaseRows(n, seed=seed, start=start, end=end, first_id=first_id, taken=taken)
    case_constants = _constants(Case, CASE_COLUMNS, connection)
    icd_constants = _constants(CaseICDCode, ICD_COLUMNS, connection)
    result = GenerateResult(n, method, first_id)
    if method == "load_data":
        _load_data(
            connection,
            rows,
            chunk_size,
            case_constants,
            icd_constants,
            rebuild_indexes,
            progress,
            result,
        )
    else:
        result.icd_codes = _executemany(
            connection, rows, chunk_size, case_constants, icd_constants, progress
        )
    result.seconds = time.perf_counter() - started
    return result


def _insert_sql(connection, table: str, columns) -> str:
    quote = connection.ops.quote_name
    # Table and column names come from the models, quoted; values are parameters.
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


def _executemany(connection, rows, chunk_size, case_constants, icd_constants, progress) -> int:
    case_sql = _insert_sql(connection, Case._meta.db_table, [*CASE_COLUMNS, *case_constants])
    icd_sql = _insert_sql(connection, CaseICDCode._meta.db_table, [*ICD_COLUMNS, *icd_constants])
    case_tail, icd_tail = tuple(case_constants.values()), tuple(icd_constants.values())
    done = icd_count = 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for case_rows, icd_rows in rows.chunks(chunk_size):
            cursor.executemany(case_sql, [_python(row) + case_tail for row in case_rows])
            if icd_rows:
                cursor.executemany(icd_sql, [row + icd_tail for row in icd_rows])
            icd_count += len(icd_rows)
            done += len(case_rows)
            if progress:
                progress(done)
    return icd_count


def _python(row: tuple) -> tuple:
    return tuple(None if value is NULL else value for value in row)


def _load_statement(connection, table: str, columns, constants: dict) -> str:
    quote = connection.ops.quote_name
    sql = (
        f"LOAD DATA LOCAL INFILE %s INTO TABLE {quote(table)} CHARACTER SET utf8mb4 "
        f"({', '.join(quote(c) for c in columns)})"
    )
    if constants:
        sql += " SET " + ", ".join(f"{quote(column)} = %s" for column in constants)
    return sql


def _write_tsv(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines("\t".join(row) + "\n" for row in rows)


def _raw_connection(connection):
    import MySQLdb

    params = connection.get_connection_params()
    params["local_infile"] = True
    raw = MySQLdb.connect(**params)
    raw.autocommit(True)
    # Ids and fall_ids are unique by construction and every case_id refers to a row of the same
    # chunk, so the server may skip these checks while loading.
    raw.cursor().execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
    return raw


_SECONDARY_INDEX = re.compile(r"\s*((?:UNIQUE )?KEY `([^`]+)` \((`[^`]+`).*\)),?")
_FOREIGN_KEY_COLUMN = re.compile(r"FOREIGN KEY \((`[^`]+`)")


def _drop_secondary_indexes(cursor, table: str) -> list[str]:
    """Drop the table's secondary indexes and return their definitions for re-adding.

    Indexes that start with a foreign-key column stay: without them InnoDB loads several times
    slower even with foreign_key_checks=0 (measured on MariaDB 10.11), and their keys (mostly
    NULL, or ascending ids) cost little to maintain."""
    cursor.execute(f"SHOW CREATE TABLE `{table}`")
    ddl = cursor.fetchone()[1]
    foreign_key_columns = set(_FOREIGN_KEY_COLUMN.findall(ddl))
    dropped = {}
    for line in ddl.splitlines():
        match = _SECONDARY_INDEX.fullmatch(line)
        if match and match[3] not in foreign_key_columns:
            dropped[match[2]] = match[1]
    if dropped:
        cursor.execute(
            f"ALTER TABLE `{table}` " + ", ".join(f"DROP INDEX `{name}`" for name in dropped)
        )
    return list(dropped.values())


def _add_indexes(cursor, table: str, definitions: list[str]) -> None:
    if definitions:
        cursor.execute(f"ALTER TABLE `{table}` " + ", ".join(f"ADD {d}" for d in definitions))


@dataclass
class _Statements:
    """The two LOAD DATA statements with their SET values; the file name comes first."""

    case_sql: str
    case_values: list
    icd_sql: str
    icd_values: list

    def load(self, cursor, case_file: Path, icd_file: Path | None) -> None:
        cursor.execute(self.case_sql, [str(case_file), *self.case_values])
        if icd_file is not None:
            cursor.execute(self.icd_sql, [str(icd_file), *self.icd_values])


def _load_data(
    connection, rows, chunk_size, case_constants, icd_constants, rebuild_indexes, progress, result
) -> None:
    if connection.in_atomic_block:
        raise RuntimeError("load_data commits on its own connection; call it outside a transaction")
    tables = (Case._meta.db_table, CaseICDCode._meta.db_table)
    statements = _Statements(
        _load_statement(connection, tables[0], CASE_COLUMNS, case_constants),
        list(case_constants.values()),
        _load_statement(connection, tables[1], ICD_COLUMNS, icd_constants),
        list(icd_constants.values()),
    )
    raw = _raw_connection(connection)
    dropped = {}
    try:
        if rebuild_indexes:
            cursor = raw.cursor()
            dropped = {table: _drop_secondary_indexes(cursor, table) for table in tables}
        try:
            _pipeline(raw, rows, chunk_size, statements, progress, result)
        except BaseException:
            _remove_partial(raw, rows.first_id)
            raise
        finally:
            started = time.perf_counter()
            cursor = raw.cursor()
            for table, definitions in dropped.items():
                _add_indexes(cursor, table, definitions)
            result.index_seconds = time.perf_counter() - started
    finally:
        raw.close()


def _pipeline(raw, rows, chunk_size, statements: _Statements, progress, result) -> None:
    """Write chunk files in this thread while a loader thread has MariaDB load the previous."""
    files: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def load():
        cursor = raw.cursor()
        done = 0
        while (item := files.get()) is not None:
            if failure:
                continue  # drain so the producer never blocks
            case_file, icd_file, size = item
            try:
                statements.load(cursor, case_file, icd_file)
                done += size
                if progress:
                    progress(done)
            except BaseException as exc:
                failure.append(exc)
            finally:
                case_file.unlink(missing_ok=True)
                if icd_file is not None:
                    icd_file.unlink(missing_ok=True)

    loader = threading.Thread(target=load, name="bench-load-data", daemon=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        loader.start()
        try:
            for number, (case_rows, icd_rows) in enumerate(rows.chunks(chunk_size)):
                if failure:
                    break
                case_file = Path(tmp, f"cases-{number}.tsv")
                _write_tsv(case_file, case_rows)
                icd_file = None
                if icd_rows:
                    icd_file = Path(tmp, f"icd-{number}.tsv")
                    _write_tsv(icd_file, icd_rows)
                result.icd_codes += len(icd_rows)
                waiting = time.perf_counter()
                files.put((case_file, icd_file, len(case_rows)))
                result.waiting_seconds += time.perf_counter() - waiting
        finally:
            waiting = time.perf_counter()
            files.put(None)
            loader.join()
            result.waiting_seconds += time.perf_counter() - waiting
    if failure:
        raise failure[0]


def _remove_partial(raw, first_id: int) -> None:
    """Take out what a failed load left behind, so a rerun starts from a consistent table."""
    cursor = raw.cursor()
    table = Case._meta.db_table
    icd_table = CaseICDCode._meta.db_table
    cursor.execute(f"DELETE FROM `{icd_table}` WHERE case_id >= %s", [first_id])  # noqa: S608
    cursor.execute(f"DELETE FROM `{table}` WHERE id >= %s", [first_id])  # noqa: S608
