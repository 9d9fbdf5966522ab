"""bench/files.py: import files that look like real exports (issue 11 §1) and import cleanly.

Surnames at real-world rates with look-alikes in one week and Fallgruppe (Müller/MÜLLER,
Weiß/Weiss, Kühn/Kuhn), stray blanks around names and tickets, tickets in mixed case — and every
row still a new case, in the file and against generated cases of the same weeks. On MariaDB's
default collation such files were rolled back as a whole ("Duplicate entry … for key 'fall_id'").
"""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from accounts.actor import Actor
from bench.files import crm_csv, historical_workbook
from bench.generate import generate_cases
from cases import demo
from cases.models import Case
from cases.tests.lookalikes import lookalike_groups, repeated_surnames
from imports.models import ImportType
from imports.outcomes import RowOutcome
from imports.services import import_commit, import_prepare

CRM_ROWS = 2_000
WORKBOOK_ROWS = 1_500


def crm_rows(data):
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def workbook_rows(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def case_rows(**lookup):
    return [
        ((jahr, kw, fallgruppe), nachname)
        for jahr, kw, fallgruppe, nachname in Case.objects.filter(**lookup).values_list(
            "jahr", "kw", "fallgruppe", "nachname"
        )
    ]


def import_file(import_type, data, name):
    plan = import_prepare(import_type=import_type, data=data, file_name=name)
    logs = import_commit(plan=plan, actor=Actor.command_line())
    return plan, logs if isinstance(logs, list) else [logs]


def test_the_crm_file_has_stray_blanks_mixed_case_tickets_and_capitals():
    rows = crm_rows(crm_csv(CRM_ROWS))
    tickets = [row["Name"] for row in rows]
    surnames = [row["Hauptkontakt"].split("|")[0] for row in rows]
    assert any(t != t.strip() for t in tickets)
    assert any(t.strip().startswith("bcrm-") for t in tickets)
    assert any(t.strip().startswith("Bcrm-") for t in tickets)
    assert sum(t.strip().startswith("BCRM-") for t in tickets) > CRM_ROWS * 0.8
    assert len({t.strip().upper() for t in tickets}) == CRM_ROWS
    # "Müller | …": the separator's blank belongs to the format; stray ones come on top.
    assert any(s.startswith(" ") or s.endswith("  ") for s in surnames)
    assert any(s.strip().isupper() for s in surnames)
    assert not set(demo.FIRST_NAMES_W + demo.FIRST_NAMES_M) & {
        row["Hauptkontakt"].split("|")[1].strip() for row in rows
    }


def test_the_workbook_has_stray_blanks_mixed_case_tickets_and_capitals():
    rows = workbook_rows(historical_workbook(WORKBOOK_ROWS))
    tickets = [row["CRM-Ticket"] for row in rows]
    surnames = [row["Nachname"] for row in rows]
    assert any(t != t.strip() for t in tickets)
    assert any(t.strip().startswith(("bh-", "Bh-")) for t in tickets)
    assert any(s != s.strip() for s in surnames)
    assert any(s.strip().isupper() for s in surnames)


@pytest.mark.django_db
def test_the_crm_file_imports_every_row_as_new_next_to_generated_cases_of_the_same_weeks():
    generate_cases(2_000, start=dt.date(2026, 1, 5), end=dt.date(2026, 11, 1))
    generated = set(Case.objects.values_list("id", flat=True))
    data = crm_csv(CRM_ROWS)

    plan, [log] = import_file(ImportType.CRM_CSV, data, "crm.csv")

    assert {o.kind for o in plan.outcomes} == {RowOutcome.NEU}
    assert log.imported == CRM_ROWS
    assert Case.objects.count() == len(generated) + CRM_ROWS
    imported = case_rows(crm_ticket_id__startswith="BCRM-")
    assert len(imported) == CRM_ROWS
    # Look-alikes and repeats in one week and group, in the file alone and with the database.
    assert len(lookalike_groups(imported)) >= 2
    assert len(repeated_surnames(imported)) >= 100
    everything = case_rows()
    assert len(lookalike_groups(everything)) > len(lookalike_groups(imported))
    assert all(n == n.strip() for _group, n in everything)
    fall_ids = list(Case.objects.values_list("fall_id", flat=True))
    assert len(fall_ids) == len(set(fall_ids))

    again, [log_again] = import_file(ImportType.CRM_CSV, data, "crm-nochmal.csv")

    assert {o.kind for o in again.outcomes} == {RowOutcome.DUPLIKAT}
    assert log_again.imported == 0
    assert Case.objects.count() == len(generated) + CRM_ROWS


@pytest.mark.django_db
def test_the_workbook_imports_every_row_as_new_next_to_generated_cases_of_the_same_year():
    generate_cases(1_000, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 29))

    plan, logs = import_file(ImportType.HISTORISCH, historical_workbook(WORKBOOK_ROWS), "a.xlsx")

    assert sum(log.imported for log in logs) == WORKBOOK_ROWS
    assert {o.kind for o in plan.outcomes} == {RowOutcome.NEU}
    imported = case_rows(crm_ticket_id__startswith="BH-")
    assert len(imported) == WORKBOOK_ROWS
    assert len(lookalike_groups(imported)) >= 3
    assert len(repeated_surnames(imported)) >= 50
    assert all(n == n.strip() for _group, n in imported)
