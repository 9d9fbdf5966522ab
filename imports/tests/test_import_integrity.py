"""A refused write during an import confirm: a concurrent save (say so, retry works) or a bug
(name the file rows, never a name); the log carries row numbers and ids only."""

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.actor import Actor
from cases.models import Case
from cases.tests.factories import make_case
from imports.models import ImportLog, ImportType
from imports.readers.base import ParsedRow
from imports.services import ImportFailed, ImportPlan, import_commit, import_prepare

MONDAY_KW13 = dt.date(2025, 3, 24)
SURNAMES = ("Kühn", "Weiß", "Groß", "Schröder", "Müller")


def plan_of(rows, import_type=ImportType.HISTORISCH):
    return ImportPlan(
        import_type=import_type,
        file_name="x.xlsx",
        sha256="2" * 64,
        rows=rows,
        notices=[],
        sheets=[("", len(rows))],
    )


def person(number, nachname, **extra):
    values = {
        "nachname": nachname,
        "vorname": "Eva",
        "datum": MONDAY_KW13,
        "fallgruppe": "onko",
        "geburtsdatum": dt.date(1960, 1, number),
        **extra,
    }
    return ParsedRow(number, None, values)


def assert_no_patient_data(text):
    for surname in SURNAMES:
        assert surname not in text
    assert "2025-13-onko" not in text
    assert "TK-77" not in text


@pytest.mark.django_db
def test_rows_the_database_refuses_are_named_by_row_number_and_called_a_bug(caplog):
    # A reader bug let through a Gutachten-Typ without Gutachten (rows 3 and 5): the CHECK
    # constraint refuses them, retrying cannot help.
    rows = [
        person(2, "Kühn"),
        person(3, "Weiß", gutachten_typ="Bestätigung"),
        person(4, "Groß"),
        person(5, "Schröder", gutachten_typ="Alternative"),
        person(6, "Müller"),
    ]
    with caplog.at_level(logging.INFO), pytest.raises(ImportFailed) as failed:
        import_commit(plan=plan_of(rows), actor=Actor.command_line())
    message = failed.value.message
    assert "Zeilen 3, 5 abgelehnt" in message
    assert "Fehler im Portal" in message and "erneuter Versuch ändert daran nichts" in message
    assert "gleichzeitig" not in message
    assert_no_patient_data(message)
    assert not Case.objects.exists() and not ImportLog.objects.exists()
    assert "rows 3, 5" in caplog.text
    assert "case_gutachten_typ_needs_gutachten" in caplog.text
    assert_no_patient_data(caplog.text)


@pytest.mark.django_db
def test_refused_rows_of_a_workbook_name_their_sheet():
    rows = [
        ParsedRow(7, "2025", {**person(7, "Kühn").values, "gutachten_typ": "Bestätigung"}),
        ParsedRow(8, "2025", person(8, "Kuhn").values),
    ]
    plan = plan_of(rows)
    plan.sheets = [("2025", 2)]
    with pytest.raises(ImportFailed) as failed:
        import_commit(plan=plan, actor=Actor.command_line())
    assert "Zeile 7 (Blatt „2025“) abgelehnt" in failed.value.message


def _lock_waits():
    """Connections of this test database stuck for half a second in an INSERT of cases: the
    import waiting for the other connection's row lock (a two-row insert takes milliseconds)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
            "AND COMMAND = 'Query' AND TIME_MS >= 500 AND INFO LIKE %s",
            [f"INSERT INTO `{Case._meta.db_table}`%"],
        )
        return cursor.fetchone()[0]


def _import_while_another_connection_saves(plan, **case_values):
    """Another connection saves a case and commits only once the import waits for its row
    lock: the import classified without seeing it and then collides with it."""
    saved, release = threading.Event(), threading.Event()
    failures, results = [], []

    def other_user():
        try:
            with transaction.atomic():
                make_case(**case_values)
                saved.set()
                release.wait(30)
        finally:
            connections.close_all()

    def confirm():
        try:
            results.append(import_commit(plan=plan, actor=Actor.command_line()))
        except ImportFailed as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    other = threading.Thread(target=other_user)
    other.start()
    assert saved.wait(10)
    importer = threading.Thread(target=confirm)
    importer.start()
    deadline = time.monotonic() + 20
    while _lock_waits() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _lock_waits() == 1, "the import never waited for the other connection"
    release.set()
    other.join()
    importer.join()
    return failures, results


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_case_saved_at_the_same_time_with_the_same_ticket_is_reported_as_concurrent(caplog):
    if connection.vendor != "mysql":
        pytest.skip("needs a second connection to a real MariaDB")
    csv = (
        "Name,Thema,Erstellungsdatum,Modul,Hauptkontakt,Bearbeiter\n"
        '"T-1","Thema","24.03.25, 09:00",Zweitmeinung Onkologie,Weiß | Eva | 01.01.1960 |,S. A\n'
        '"tk-77","Thema","24.03.25, 10:00",Zweitmeinung Onkologie,Kühn | Ida | 02.01.1960 |,S. A\n'
    ).encode()
    plan = import_prepare(import_type=ImportType.CRM_CSV, data=csv, file_name="crm.csv")
    with caplog.at_level(logging.INFO):
        failures, _ = _import_while_another_connection_saves(
            plan, crm_ticket_id="TK-77", nachname="Kuhn", datum=MONDAY_KW13
        )
    [failure] = failures
    assert "gleichzeitig einen Fall" in failure.message
    assert "(Zeile 3)" in failure.message and "erneut" in failure.message
    assert_no_patient_data(failure.message)
    other = Case.objects.get()
    assert f"case ids [{other.pk}]" in caplog.text and "rows 3" in caplog.text
    assert_no_patient_data(caplog.text)
    assert not ImportLog.objects.exists()
    # Confirming again now works: the ticket is known (its row fills the birth date), the
    # other row is new.
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert (log.imported, log.updated) == (1, 1)
    assert Case.objects.get(pk=other.pk).geburtsdatum == dt.date(1960, 1, 2)


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_fall_id_taken_at_the_same_time_is_reported_as_concurrent_and_retry_works():
    if connection.vendor != "mysql":
        pytest.skip("needs a second connection to a real MariaDB")
    plan = plan_of([person(2, "Kühn", vorname="Ida")])
    failures, _ = _import_while_another_connection_saves(
        plan, nachname="Kühn", vorname="Eva", datum=MONDAY_KW13
    )
    [failure] = failures
    assert "gleichzeitig" in failure.message and "(Zeile 2)" in failure.message
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert log.imported == 1
    assert sorted(Case.objects.values_list("vorname", "fall_id")) == [
        ("Eva", "2025-13-onko-Kühn"),
        ("Ida", "2025-13-onko-Kühn-2"),
    ]
