"""Import use cases shared by the web pages and the management commands.

A file goes through two steps: ``import_prepare`` reads it and classifies every row against the
database without writing anything (the preview), ``import_commit`` classifies again inside one
transaction under the import lock and writes (so rows that another import created in between are
skipped, never doubled). Duplicate detection follows domain.md §4 with a fixed number of queries
per chunk of rows, never one per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import queue
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import NOT_PROVIDED
from django.urls import reverse
from django.utils import timezone

from cases import rules
from cases.models import (
    Case,
    CaseICDCode,
    Quelle,
    first_free_fall_ids,
    normalized_values,
    replace_icd_codes,
)
from imports import audit_actions
from imports.models import ImportLock, ImportLog, ImportType
from imports.outcomes import LOG_COUNTERS, RowOutcome, count_outcomes, log_totals
from imports.readers.base import FileRejected, ParsedRow, Problem, german_number
from imports.readers.crm import read_crm_csv
from imports.readers.historical import read_historical_workbook
from imports.readers.safety import refuse_macro_file_name

logger = logging.getLogger(__name__)

# Messages kept per list in an import log's details: 1,000 messages of at most 1,000
# characters (imports.readers.base.MESSAGE_LIMIT) stay far below MariaDB's 16 MiB packet even
# in four-byte characters; the counters count every row.
LOG_PROBLEM_LIMIT = 1000
# Chunk size for IN (...) lookups: big enough to keep queries few, small enough for any server.
LOOKUP_CHUNK = 5000
BATCH_SIZE = 1000

# Case fields an import may set. jahr/kw/fall_id are derived; fall_id in a workbook is the
# Excel sync (a later capability) and is not used to match here.
IMPORT_FIELDS = (
    "crm_ticket_id",
    "datum",
    "fallgruppe",
    "thema",
    "nachname",
    "vorname",
    "geburtsdatum",
    "kvnr",
    "geschlecht",
    "telefon",
    "email",
    "bearbeiter",
    "kontaktkanal",
    "kurzbeschreibung",
    "fragestellung",
    "behandelnde_klinik",
    "unterlagen",
    "unterlagen_angefordert_am",
    "unterlagen_eingang_am",
    "ablehnung",
    "ablehnungsgrund",
    "abbruch",
    "abbruchgrund",
    "abbruch_am",
    "gutachten",
    "gutachter",
    "gutachten_am",
    "gutachten_typ",
    "therapieaenderung",
    "ta_diagnosekorrektur",
    "ta_unterversorgung",
    "ta_uebertherapie",
    "icd",
    "abgerechnet",
    "abrechnungsdatum",
    "rechnungsnummer",
    "betrag",
    "bemerkung",
)
# What cases.models.normalized_values() returns besides the text fields it was given.
NORMALIZED_OUTPUTS = ("crm_ticket_id", "kvnr", "icd", "jahr", "kw", "duplicate_key")
# Required on every case, so never empty and never filled: no need to fetch them for matching.
ALWAYS_SET = {"datum", "fallgruppe", "nachname"}
TA_FLAGS = ("ta_diagnosekorrektur", "ta_unterversorgung", "ta_uebertherapie")
_FIELD_TYPES = {name: Case._meta.get_field(name).get_internal_type() for name in IMPORT_FIELDS}

QUELLE_BY_TYPE = {ImportType.CRM_CSV: Quelle.CRM_CSV, ImportType.HISTORISCH: Quelle.HISTORISCH}


class ImportFailed(Exception):
    """The import could not be written; nothing was changed. ``message`` is German."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    """What happens to one row: its kind, the matched case and the fields it would fill."""

    row: ParsedRow
    kind: RowOutcome
    case_id: int | None = None
    fills: dict = field(default_factory=dict)
    duplicate_of_row: int | None = None
    notes: list[str] = field(default_factory=list)
    # The row's duplicate key as classified; cleared when a later row fills the row's values.
    key: str | None = None
    # The fall_id a new row was given in the last write attempt (to explain a failed one).
    fall_id: str | None = None

    @property
    def messages(self):
        return [p.message for p in self.row.errors + self.row.warnings] + self.notes


@dataclass
class ImportPlan:
    import_type: str
    file_name: str
    sha256: str
    rows: list[ParsedRow]
    notices: list[Problem]
    sheets: list[tuple[str, int]]
    outcomes: list[Outcome] = field(default_factory=list)
    previous_import: ImportLog | None = None

    @property
    def rows_read(self):
        return len(self.rows)

    @property
    def counts(self):
        counts = count_outcomes(outcome.kind for outcome in self.outcomes)
        counts["warnungen"] = sum(1 for o in self.outcomes if o.row.warnings or o.notes)
        return counts


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_import_file(import_type, data, *, sheet=None):
    """Parse a file into rows, notices and (sheet, rows read) pairs; raises FileRejected."""
    limit = settings.IMPORT_MAX_BYTES
    if import_type == ImportType.CRM_CSV:
        result = read_crm_csv(data, max_bytes=limit)
        return result.rows, list(result.notices), [("", result.rows_read)]
    if import_type == ImportType.HISTORISCH:
        result = read_historical_workbook(data, sheet=sheet, max_bytes=limit)
        rows = [row for sheet_result in result.sheets for row in sheet_result.rows]
        sheets = [(s.name, s.rows_read) for s in result.sheets]
        return rows, list(result.notices), sheets
    raise ValueError(f"unsupported import type {import_type!r}")


def import_prepare(
    *, import_type, data: bytes, file_name: str, sheet=None, classify_rows=True
) -> ImportPlan:
    """Read and classify a file without writing anything (the preview). A caller that commits
    right away may skip the classification: import_commit classifies again under the lock."""
    refuse_macro_file_name(file_name)
    rows, notices, sheets = read_import_file(import_type, data, sheet=sheet)
    sha = file_sha256(data)
    plan = ImportPlan(
        import_type=import_type,
        file_name=file_name,
        sha256=sha,
        rows=rows,
        notices=notices,
        sheets=sheets,
        previous_import=ImportLog.objects.filter(sha256=sha, import_type=import_type).first(),
    )
    if classify_rows:
        plan.outcomes = classify(rows)
    return plan


# --- classification ---------------------------------------------------------------------------


def _is_empty(value):
    return value is None or value == "" or value is False


def _chunks(items, size=LOOKUP_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _select_in(columns, column, values):
    """Rows of `columns` of cases whose `column` is in `values`, in chunks, as plain SQL: the
    ORM spends more time preparing thousands of IN parameters than the database answering."""
    quote = connection.ops.quote_name
    select = ", ".join(quote(c) for c in columns)
    table = quote(Case._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            cursor.execute(
                f"SELECT {select} FROM {table} "  # noqa: S608 - model names only
                f"WHERE {quote(column)} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            yield from cursor.fetchall()


def _row_key(values):
    return rules.duplicate_key_digest(
        nachname=values.get("nachname"),
        vorname=values.get("vorname"),
        geburtsdatum=values.get("geburtsdatum"),
        fallgruppe=values.get("fallgruppe"),
        datum=values.get("datum"),
    )


def _load_matches(rows, keys):
    """Existing cases by ticket and by duplicate key, with the values fills are computed on."""
    # Only the fields some row could fill (plus what the fill rules look at) are fetched.
    carried = {
        name
        for r in rows
        for name, value in r.values.items()
        if name in _FIELD_TYPES and not _is_empty(value)
    }
    fields = ("id", "duplicate_key", "crm_ticket_id", "gutachten", "therapieaenderung")
    fields += tuple(sorted(carried - set(fields) - ALWAYS_SET))
    cases = {}

    # One query per chunk of rows finds the cases matching by ticket or by key (an index merge).
    # Plain SQL: the ORM spends more time preparing 10,000 IN parameters than the database
    # spends answering. Only emptiness and truthiness of the values are used below, so the
    # driver's raw types (0/1 for booleans) are normalised to bool and nothing else.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Case._meta.get_field(name).column) for name in fields)
    booleans = [i for i, name in enumerate(fields) if _FIELD_TYPES.get(name) == "BooleanField"]
    table = quote(Case._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(list(zip(rows, keys, strict=True))):
            chunk_keys = [key for _, key in chunk]
            chunk_tickets = [
                t for r, _ in chunk if (t := rules.normalize_ticket(r.values.get("crm_ticket_id")))
            ]
            where = f"{quote('duplicate_key')} IN ({', '.join(['%s'] * len(chunk_keys))})"
            if chunk_tickets:
                where += (
                    f" OR {quote('crm_ticket_id')} IN ({', '.join(['%s'] * len(chunk_tickets))})"
                )
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {where}",  # noqa: S608 - model names only
                [*chunk_keys, *chunk_tickets],
            )
            for found in cursor.fetchall():
                values = dict(zip(fields, found, strict=True))
                for i in booleans:
                    values[fields[i]] = bool(found[i])
                cases[found[0]] = values
    by_ticket = {}
    by_key = {}
    # The lowest id wins when several cases share a key (e.g. created by hand before).
    for case_id in sorted(cases):
        values = cases[case_id]
        if values["crm_ticket_id"]:
            by_ticket.setdefault(rules.normalize_ticket(values["crm_ticket_id"]), case_id)
        by_key.setdefault(values["duplicate_key"], case_id)
    return cases, by_ticket, by_key


def _fills(current: dict, incoming: dict):
    """Fields an import may fill on a case (domain.md §3): only empty ones, never clearing.

    Values the constraints would refuse in combination with what the case already holds
    (a Gutachten-Typ on a case without Gutachten, TA flags without Therapieänderung Ja) are
    dropped with a note instead of failing the whole import.
    """
    fills = {
        name: new
        for name, new in incoming.items()
        if name in _FIELD_TYPES
        and name not in ALWAYS_SET
        and not _is_empty(new)
        and _is_empty(current.get(name))
    }
    notes = []
    merged = {**current, **fills}
    if not merged.get("gutachten"):
        for name in ("gutachten_typ", "therapieaenderung"):
            if name in fills:
                del fills[name]
                notes.append(
                    "Gutachten-Typ/Therapieänderung nicht übernommen: der Fall hat kein Gutachten."
                )
    if merged.get("therapieaenderung") != "Ja":
        dropped = [name for name in TA_FLAGS if name in fills]
        for name in dropped:
            del fills[name]
        if dropped:
            notes.append("Therapieänderungs-Arten nicht übernommen: Therapieänderung ist nicht Ja.")
    return fills, notes


def classify(rows: list[ParsedRow]) -> list[Outcome]:
    """Classify rows as neu / Aktualisierung / Duplikat / Fehler (domain.md §4)."""
    valid = [r for r in rows if r.ok]
    keys = {id(r): _row_key(r.values) for r in valid}
    cases, by_ticket, by_key = _load_matches(valid, [keys[id(r)] for r in valid])
    outcomes = []
    seen_ticket = {}
    seen_key = {}
    for row in rows:
        if not row.ok:
            outcomes.append(Outcome(row=row, kind=RowOutcome.FEHLER))
            continue
        ticket = rules.normalize_ticket(row.values.get("crm_ticket_id"))
        key = keys[id(row)]
        if ticket and ticket in seen_ticket:
            earlier = seen_ticket[ticket]
        elif ticket and ticket in by_ticket:
            earlier = None  # a known ticket decides over an earlier row with the same person
        else:
            earlier = seen_key.get(key)
        if earlier is not None:
            outcome = _merge_into_earlier(row, earlier, cases)
            primary = earlier
        else:
            outcome = primary = _classify_against_database(
                row, ticket, key, cases, by_ticket, by_key
            )
            outcome.key = key
        if ticket:
            seen_ticket.setdefault(ticket, primary)
        seen_key.setdefault(key, primary)
        outcomes.append(outcome)
    return outcomes


def _classify_against_database(row, ticket, key, cases, by_ticket, by_key):
    ticket_case = by_ticket.get(ticket) if ticket else None
    key_case = by_key.get(key)
    notes = []
    if ticket_case and key_case and ticket_case != key_case:
        notes.append(
            "CRM-Ticket und Personendaten passen zu verschiedenen Fällen; "
            "das CRM-Ticket entscheidet."
        )
    case_id = ticket_case or key_case
    if case_id is None:
        return Outcome(row=row, kind=RowOutcome.NEU, notes=notes)
    fills, fill_notes = _fills(cases[case_id], row.values)
    kind = RowOutcome.UPDATE if fills else RowOutcome.DUPLIKAT
    return Outcome(row=row, kind=kind, case_id=case_id, fills=fills, notes=notes + fill_notes)


def _merge_into_earlier(row, earlier: Outcome, cases):
    """A row repeating an earlier row of the same file is a duplicate of that row; what it
    knows beyond the earlier row still fills the case (same fill-only rule). `earlier` is
    never an error row: classify() registers only rows that passed."""
    if earlier.kind == RowOutcome.NEU:
        extra, notes = _fills(earlier.row.values, row.values)
        earlier.row.values.update(extra)
        if extra:
            earlier.key = None
    else:
        current = {**cases[earlier.case_id], **earlier.fills}
        extra, notes = _fills(current, row.values)
        earlier.fills.update(extra)
        if earlier.fills:
            earlier.kind = RowOutcome.UPDATE
    return Outcome(
        row=row, kind=RowOutcome.DUPLIKAT, duplicate_of_row=earlier.row.row_number, notes=notes
    )


# --- writing ----------------------------------------------------------------------------------


def _acquire_import_lock():
    # Serialises confirms: unique keys alone cannot stop two transactions inserting the same
    # case without a ticket (architecture.md, pitfalls). Migration 0003 creates the row, but a
    # flush (and every transactional test) empties the table, so recreate it when missing.
    ImportLock.objects.get_or_create(name="imports")
    ImportLock.objects.select_for_update().get(name="imports")


def import_commit(*, plan: ImportPlan, actor) -> list[ImportLog]:
    """Write a prepared import in one transaction: all rows or none. One ImportLog per sheet.

    ``actor`` is an accounts.actor.Actor; ``Actor.command_line()`` imports without a user."""
    try:
        with transaction.atomic():
            _acquire_import_lock()
            plan.outcomes = classify(plan.rows)
            logs = _write(plan, actor.user)
            _audit_and_notify(plan, logs, actor)
    except IntegrityError as exc:
        raise _integrity_failure(plan, actor.user, exc) from exc
    return logs


# --- explaining a refused write ---------------------------------------------------------------

MAX_ROWS_NAMED = 10


class _Undo(Exception):
    """Rolls back the diagnostic write."""


def _integrity_failure(plan: ImportPlan, user, exc: IntegrityError) -> ImportFailed:
    """Why the database refused the import, as a German message naming file rows (never a name).

    Under the import lock no other import writes, so a clash with a case that exists *now* with
    the ticket, duplicate key or fall_id of a row classified as new can only come from a case
    saved at the same time (e.g. by hand): then confirming again works. Otherwise the rows the
    database refuses are found by writing again in savepoints (rolled back): that is a bug, and
    retrying cannot help. Logs carry row numbers, case ids and the constraint name only; the
    driver's message is never logged, since it quotes the refused value (a fall_id)."""
    constraint = _constraint_name(exc)
    clashes = _concurrent_clashes(plan.outcomes)
    if clashes:
        rows = [o.row for o in clashes.values()]
        logger.warning(
            "import rolled back: concurrent write (constraint %s), rows %s, case ids %s",
            constraint,
            _row_refs(rows),
            sorted(clashes),
        )
        return ImportFailed(
            "Der Import wurde vollständig zurückgenommen: Während er geschrieben wurde, hat ein "
            "anderer Vorgang gleichzeitig einen Fall mit demselben CRM-Ticket, denselben "
            f"Personendaten oder derselben Fall-ID gespeichert ({_rows_text(rows)}). Bitte "
            "bestätigen Sie den Import erneut; er wird dann gegen den aktuellen Datenbestand "
            "geprüft."
        )
    rows = _refused_rows(plan, user)
    logger.error(
        "import rolled back: the database refused rows %s (constraint %s); not a concurrent write",
        _row_refs(rows) or "unknown",
        constraint,
    )
    if not rows:
        return ImportFailed(
            "Der Import wurde vollständig zurückgenommen, weil die Datenbank einen Datensatz "
            "abgelehnt hat; welche Zeile, ließ sich nicht feststellen. Das ist ein Fehler im "
            "Portal. Bitte melden Sie ihn mit dem Dateinamen und der Uhrzeit."
        )
    return ImportFailed(
        "Der Import wurde vollständig zurückgenommen, weil die Datenbank "
        f"{_rows_text(rows)} abgelehnt hat. Das ist ein Fehler im Portal, nicht in Ihrer "
        "Bedienung; ein erneuter Versuch ändert daran nichts. Bitte melden Sie ihn mit diesen "
        "Zeilennummern."
    )


def _concurrent_clashes(outcomes) -> dict[int, Outcome]:
    """Cases (by id) that now hold the ticket, duplicate key or fall_id a new row was to get."""
    new = [o for o in outcomes if o.kind == RowOutcome.NEU]
    owners = {}
    by_value = {"crm_ticket_id": {}, "duplicate_key": {}, "fall_id": {}}
    for outcome in new:
        ticket = rules.normalize_ticket(outcome.row.values.get("crm_ticket_id"))
        for column, value in (
            ("crm_ticket_id", ticket),
            ("duplicate_key", outcome.key),
            ("fall_id", outcome.fall_id),
        ):
            if value:
                by_value[column].setdefault(value, outcome)
    for column, values in by_value.items():
        for case_id, value in _select_in(("id", column), column, list(values)):
            owners.setdefault(case_id, values[value])
    return owners


def _refused_rows(plan: ImportPlan, user) -> list[ParsedRow]:
    """The rows the database refuses, found by writing them again under the lock in savepoints,
    halving each refused batch down to single rows; everything is rolled back afterwards."""
    refused = []

    def bisect(write, outcomes):
        if not outcomes or len(refused) >= MAX_ROWS_NAMED:
            return
        try:
            with transaction.atomic():
                write(outcomes)
            return
        except IntegrityError:
            pass
        if len(outcomes) == 1:
            refused.append(outcomes[0].row)
            return
        middle = len(outcomes) // 2
        bisect(write, outcomes[:middle])
        bisect(write, outcomes[middle:])

    now = timezone.now()
    try:
        with transaction.atomic():
            _acquire_import_lock()
            plan.outcomes = classify(plan.rows)
            logs = _create_logs(plan, user)
            new = [o for o in plan.outcomes if o.kind == RowOutcome.NEU]
            bisect(lambda part: _create_cases(part, plan.import_type, logs, user, now), new)
            updates = [o for o in plan.outcomes if o.kind == RowOutcome.UPDATE]
            bisect(lambda part: _update_cases(part, user), updates)
            raise _Undo
    except _Undo:
        pass
    return sorted(refused, key=lambda row: (row.sheet or "", row.row_number))


def _row_refs(rows) -> str:
    return ", ".join(
        f"{row.sheet}:{row.row_number}" if row.sheet else str(row.row_number) for row in rows
    )


def _rows_text(rows) -> str:
    """ "Zeile 4" / "Zeilen 3, 5 (Blatt 2025)": the rows a person looks up in the file."""
    by_sheet = {}
    for row in rows[:MAX_ROWS_NAMED]:
        by_sheet.setdefault(row.sheet or "", []).append(str(row.row_number))
    parts = []
    for sheet, numbers in by_sheet.items():
        text = ("Zeile " if len(numbers) == 1 else "Zeilen ") + ", ".join(numbers)
        parts.append(f"{text} (Blatt „{sheet}“)" if sheet else text)
    more = len(rows) - MAX_ROWS_NAMED
    return "; ".join(parts) + (f" und {more} weitere" if more > 0 else "")


_CONSTRAINT_PATTERNS = (
    re.compile(r"for key '([\w.]+)'"),  # MariaDB: Duplicate entry '…' for key 'fall_id'
    re.compile(r"CONSTRAINT `(\w+)` failed"),  # MariaDB: CHECK
    re.compile(r"constraint failed: ([\w.]+(?:, [\w.]+)*)$"),  # SQLite: UNIQUE / CHECK
)


def _constraint_name(exc: IntegrityError) -> str | None:
    """The name of the refused constraint or key, never the refused value."""
    text = str(exc.args[-1]) if exc.args else ""
    for pattern in _CONSTRAINT_PATTERNS:
        if match := pattern.search(text):
            return match[1]
    return None


def _create_logs(plan: ImportPlan, user) -> dict[str, ImportLog]:
    logs = {}
    for name, rows_read in plan.sheets or [("", plan.rows_read)]:
        logs[name] = ImportLog.objects.create(
            file_name=plan.file_name,
            import_type=plan.import_type,
            sheet=name,
            sha256=plan.sha256,
            rows_read=rows_read,
            user=user,
        )
    return logs


def _write(plan: ImportPlan, user) -> list[ImportLog]:
    now = timezone.now()
    sheet_names = [name for name, _ in plan.sheets] or [""]
    logs = _create_logs(plan, user)
    by_sheet = {name: [] for name in sheet_names}
    for outcome in plan.outcomes:
        by_sheet.setdefault(outcome.row.sheet or "", []).append(outcome)

    new_outcomes = [o for o in plan.outcomes if o.kind == RowOutcome.NEU]
    created = _create_cases(new_outcomes, plan.import_type, logs, user, now)
    updated = _update_cases([o for o in plan.outcomes if o.kind == RowOutcome.UPDATE], user)

    for name, log in logs.items():
        outcomes = by_sheet.get(name, [])
        counts = count_outcomes(o.kind for o in outcomes)
        for outcome, counter in LOG_COUNTERS.items():
            setattr(log, counter, counts[outcome])
        log.warnings = sum(1 for o in outcomes if o.row.warnings or o.notes)
        log.details = {
            "created_case_ids": [created[id(o)] for o in outcomes if o.kind == RowOutcome.NEU],
            "updated_case_ids": [
                {"id": o.case_id, "fields": sorted(updated[id(o)])}
                for o in outcomes
                if o.kind == RowOutcome.UPDATE
            ],
            "errors": _capped([_problem_dict(p) for o in outcomes for p in o.row.errors], "Fehler"),
            "warnings": _capped(
                [_problem_dict(p) for o in outcomes for p in o.row.warnings]
                + [
                    {"row": o.row.row_number, "column": None, "message": note}
                    for o in outcomes
                    for note in o.notes
                ],
                "Warnungen",
            ),
            "notices": [_problem_dict(p) for p in plan.notices if (p.sheet or "") in (name, "")],
        }
        log.save()
    return list(logs.values())


def _problem_dict(problem: Problem):
    return {"row": problem.row, "column": problem.column, "message": problem.message}


def _capped(problems: list[dict], what: str) -> list[dict]:
    """At most LOG_PROBLEM_LIMIT messages in a log's details (one JSON value, which must stay
    far below MariaDB's 16 MiB packet); a first entry says how many were left out."""
    if len(problems) <= LOG_PROBLEM_LIMIT:
        return problems
    left_out = len(problems) - LOG_PROBLEM_LIMIT
    message = (
        f"Nur die ersten {german_number(LOG_PROBLEM_LIMIT)} {what} sind im Protokoll "
        f"gespeichert; {german_number(left_out)} weitere wurden nicht gespeichert (die Summen "
        "oben zählen alle Zeilen)."
    )
    return [{"row": None, "column": None, "message": message}, *problems[:LOG_PROBLEM_LIMIT]]


def _create_cases(outcomes, import_type, logs, user, now):
    """Insert new cases with multi-row INSERTs and fall_ids assigned from one look at the taken
    ids. The ORM's bulk_create spends most of its time compiling 50 fields per row; the values
    here come from the same normalisation as Case.save() (cases.models.normalized_values)."""
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    stamp = connection.ops.adapt_datetimefield_value(now)
    user_id = user.pk if user else None
    first_log = next(iter(logs.values()))
    fixed = {
        "quelle": QUELLE_BY_TYPE[import_type],
        "created_by_id": user_id,
        "updated_by_id": user_id,
        "created_at": stamp,
        "updated_at": stamp,
    }
    defaults = {f.attname: f.get_default() for f in fields}
    rows = []
    for outcome in outcomes:
        raw = {k: v for k, v in outcome.row.values.items() if k in _FIELD_TYPES}
        jahr, kw = rules.iso_week(raw["datum"])
        rows.append(
            {
                **raw,
                "jahr": jahr,
                "kw": kw,
                "import_log_id": (logs.get(outcome.row.sheet or "") or first_log).pk,
            }
        )
    _assign_fall_ids(rows)
    for outcome, values in zip(outcomes, rows, strict=True):
        outcome.fall_id = values["fall_id"]
    keys = [outcome.key for outcome in outcomes]

    # Columns the database fills with its own default (or NULL) are left out unless a row sets
    # them: a CRM row sets a dozen of the fifty columns, and escaping is a large part of the cost.
    # normalized_values() always returns its own keys, so they are always written.
    optional = {f.attname for f in fields if f.null or f.db_default is not NOT_PROVIDED}
    used = {*fixed, *NORMALIZED_OUTPUTS}
    for values in rows:
        used.update(name for name, value in values.items() if value != defaults.get(name))
    fields = [f for f in fields if f.attname not in optional or f.attname in used]
    table = connection.ops.quote_name(Case._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from the model
    names = [f.attname for f in fields]

    def chunks():
        # Normalising happens here, chunk by chunk: on MariaDB in the statement-building thread,
        # while the server inserts the previous chunk.
        for chunk in _chunks(range(len(rows)), BATCH_SIZE):
            built = []
            for i in chunk:
                values = rows[i]
                values = {**values, **normalized_values(values, duplicate_key=keys[i]), **fixed}
                built.append(tuple(values.get(n, defaults[n]) for n in names))
            yield built

    if connection.vendor == "mysql" and _backslash_escapes():
        _insert_pipelined(f"INSERT INTO {table} ({columns}) VALUES ", chunks())  # noqa: S608
    else:
        with connection.cursor() as cursor:
            for chunk in chunks():
                cursor.executemany(sql, chunk)

    ids = dict(_select_in(("fall_id", "id"), "fall_id", [values["fall_id"] for values in rows]))
    icd_rows = [
        CaseICDCode(
            case_id=ids[v["fall_id"]], icd_code=code, icd_hauptgruppe=rules.icd_hauptgruppe(code)
        )
        for v in rows
        if v.get("icd")
        for code in rules.parse_icd(v["icd"])
    ]
    CaseICDCode.objects.bulk_create(icd_rows, batch_size=BATCH_SIZE)
    return {id(o): ids[v["fall_id"]] for o, v in zip(outcomes, rows, strict=True)}


def _backslash_escapes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        return "NO_BACKSLASH_ESCAPES" not in cursor.fetchone()[0]


def _sql_literal(value, string_literal):
    if value is None:
        return b"NULL"
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, int | Decimal):
        return str(value).encode()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return b"'" + value.isoformat().encode() + b"'"
    if isinstance(value, str):
        # The driver's own escaping; byte-wise escaping is exact for UTF-8 (no multi-byte
        # sequence contains a quote or backslash byte) with backslash escapes on (checked).
        return string_literal(value.encode("utf-8"))
    raise TypeError(f"unexpected value type {type(value).__name__} in an import row")


def _insert_pipelined(prefix, chunks):
    """MariaDB: build each multi-row INSERT in a second thread while the server executes the
    previous one (the driver releases the GIL while it waits), so Python and MariaDB work at the
    same time. Same statements as executemany would send, same transaction and connection."""
    from MySQLdb import _mysql

    statements = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                statements.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def build():
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                body = b",".join(
                    b"(" + b",".join(_sql_literal(v, _mysql.string_literal) for v in row) + b")"
                    for row in chunk
                )
                put(prefix.encode() + body)
        except Exception as exc:  # handed to the writing thread, which raises it
            put(exc)
        put(None)

    builder = threading.Thread(target=build, name="import-insert-builder", daemon=True)
    builder.start()
    try:
        with connection.cursor() as cursor:
            while (statement := statements.get()) is not None:
                if isinstance(statement, Exception):
                    raise statement
                cursor.execute(statement)
    finally:
        stop.set()
        builder.join()


def _assign_fall_ids(rows):
    """Give each new case the first free fall_id (domain.md §3) from the one helper Case.save()
    uses too: exact lookups, a few queries per file however many rows."""
    ids = first_free_fall_ids([(v["jahr"], v["kw"], v["fallgruppe"], v["nachname"]) for v in rows])
    for values, fall_id in zip(rows, ids, strict=True):
        values["fall_id"] = fall_id


def _update_cases(outcomes, user):
    """Apply fills to matched cases; returns the filled field names per outcome."""
    updated = {}
    if not outcomes:
        return updated
    ids = [o.case_id for o in outcomes]
    cases = {}
    for chunk in _chunks(ids):
        cases.update(Case.objects.in_bulk(chunk))
    for outcome in outcomes:
        case = cases[outcome.case_id]
        # Re-check against the locked, current state: only empty fields are filled.
        fills, _notes = _fills({name: getattr(case, name) for name in IMPORT_FIELDS}, outcome.fills)
        for name, value in fills.items():
            setattr(case, name, value)
        if fills:
            case.updated_by = user
            case.save()
            if "icd" in fills:
                replace_icd_codes(case)
        updated[id(outcome)] = set(fills)
    return updated


def _audit_and_notify(plan, logs, actor):
    from accounts import audit, notifications
    from accounts.models import NotificationType

    totals = log_totals(logs)
    # Ids and counts only: the file name may carry a patient's name.
    audit.record(
        action=audit_actions.IMPORTED[plan.import_type],
        actor=actor,
        entity=logs[0],
        new={"import_log_ids": [log.pk for log in logs], **totals},
    )
    if plan.import_type == ImportType.CRM_CSV and totals[RowOutcome.NEU]:
        notifications.notify(
            NotificationType.NEW_CASES_UPLOADED,
            actor=actor,
            title="Neue Fälle importiert",
            message=f"{totals[RowOutcome.NEU]} neue Fälle aus dem CRM-Export sind im Portal.",
            # DAK staff may not open import logs: the link opens the case list filtered to the
            # cases this import created.
            link=f"{reverse('cases:list')}?import={logs[0].pk}",
            obj=logs[0],
        )


__all__ = [
    "FileRejected",
    "ImportFailed",
    "ImportPlan",
    "Outcome",
    "classify",
    "import_commit",
    "import_prepare",
    "read_import_file",
]
