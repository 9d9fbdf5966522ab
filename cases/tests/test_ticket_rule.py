"""CRM tickets are trimmed and upper-cased like the KVNR, then compared exactly (domain.md §3)."""

import datetime as dt
import unicodedata

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases import rules
from cases.models import Case
from cases.tests.factories import make_case
from imports.readers.base import ParsedRow, ticket_id


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("t-9001", "T-9001"),
        ("  tk-1a ", "TK-1A"),
        ("TK-1á", "TK-1Á"),
        ("TK-1a\u0301", "TK-1Á"),  # decomposed accent: the same text as the composed one
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_a_ticket_is_trimmed_and_upper_cased(raw, stored):
    assert rules.normalize_ticket(raw) == stored


def test_an_accent_stays_a_different_ticket():
    assert rules.normalize_ticket("TK-1á") != rules.normalize_ticket("TK-1a")
    assert rules.normalize_ticket("TK-1a") == rules.normalize_ticket("TK-1A")


def test_the_reader_gives_the_stored_form_and_measures_it():
    row = ParsedRow(row_number=2, sheet=None, values={})
    assert ticket_id(row, "Name", " t-9001 ") == "T-9001"
    # ß upper-cases to SS: 49 characters become 51 and no longer fit the field.
    assert ticket_id(row, "Name", "T" * 49 + "ß") is None
    assert "länger als 50" in row.warnings[0].message


@pytest.mark.django_db
def test_saving_a_case_upper_cases_its_ticket():
    case = make_case(crm_ticket_id="  tk-7b ")
    case.refresh_from_db()
    assert case.crm_ticket_id == "TK-7B"
    assert Case.objects.filter(crm_ticket_id="TK-7B").count() == 1


@pytest.mark.django_db
def test_two_tickets_differing_by_an_accent_are_two_cases():
    make_case(crm_ticket_id="TK-1a", vorname="Eva")
    make_case(crm_ticket_id="TK-1á", vorname="Ida")
    assert sorted(Case.objects.values_list("crm_ticket_id", flat=True)) == ["TK-1A", "TK-1Á"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_upper_cases_stored_tickets_and_keeps_colliding_ones_in_the_remark():
    executor = MigrationExecutor(connection)
    before = [("cases", "0003_exact_collation")]
    after = executor.loader.graph.leaf_nodes("cases")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("cases", "Case")

    def stored(pk, ticket, bemerkung=""):
        old.objects.create(
            pk=pk,
            fall_id=f"2025-13-onko-Fall{pk}",
            crm_ticket_id=ticket,
            quelle="crm_csv",
            datum=dt.date(2025, 3, 24),
            jahr=2025,
            kw=13,
            fallgruppe="onko",
            nachname=f"Fall{pk}",
            duplicate_key=f"{pk:064d}",
            bemerkung=bemerkung,
        )

    stored(1, "t-1")  # collides with case 2, which already has the stored form
    stored(2, "T-1")
    stored(3, " tk-2 ")  # alone: just normalised
    stored(4, "x-3", bemerkung="Rückruf erbeten")  # collides with case 5; oldest keeps it
    stored(5, "X-3 ")
    stored(6, "TK-1á")  # not a collision: an accent is another ticket
    stored(7, "TK-1a")
    stored(8, "T" * 49 + "ß")  # would not fit in 50 characters any more
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    tickets = dict(Case.objects.values_list("pk", "crm_ticket_id"))
    assert tickets == {
        1: None,
        2: "T-1",
        3: "TK-2",
        4: "X-3",
        5: None,
        6: "TK-1Á",
        7: "TK-1A",
        8: None,
    }
    remarks = dict(Case.objects.values_list("pk", "bemerkung"))
    assert "„t-1“" in remarks[1] and "Fall Nr. 2" in remarks[1]
    assert remarks[5].endswith("(Ticket bleibt bei Fall Nr. 4).")
    assert "„X-3 “" in remarks[5]
    assert remarks[4] == "Rückruf erbeten"
    assert "länger als 50 Zeichen" in remarks[8]
    assert unicodedata.is_normalized("NFC", tickets[6])
