import openpyxl
import pytest

from accounts.actor import Actor
from accounts.models import AuditLog, Notification
from cases.models import CaseICDCode
from cases.tests.factories import make_case
from imports.icd_import import icd_workbook_import
from imports.models import ImportLog, ImportType
from imports.outcomes import RowOutcome
from imports.readers.base import FileRejected

pytestmark = pytest.mark.django_db


def workbook(rows, title="ICD-Codierung"):
    import io

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(
        ["Fall-ID", "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "ICD"]
    )
    for fall_id, icd in rows:
        ws.append([fall_id, 6, None, "onko", "x", "y", None, icd])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def statuses(rows):
    return [(r.row_number, r.status) for r in rows]


def test_valid_rows_are_saved_with_codes_who_and_when(dak_user):
    case = make_case()
    log, rows = icd_workbook_import(
        data=workbook([(case.fall_id, "c50.1; C79.5 G")]),
        file_name="c.xlsx",
        actor=Actor(user=dak_user),
    )
    assert statuses(rows) == [(2, RowOutcome.UPDATE)]
    case.refresh_from_db()
    assert case.icd == "C50.1, C79.5"
    assert case.icd_entered_by == dak_user and case.icd_entered_at is not None
    assert sorted(CaseICDCode.objects.values_list("icd_code", "icd_hauptgruppe")) == [
        ("C50.1", "C50"),
        ("C79.5", "C79"),
    ]
    assert (log.import_type, log.updated, log.errors) == (ImportType.ICD, 1, 0)


def test_errors_never_block_the_valid_rows(dak_user):
    good = make_case()
    bad = make_case(vorname="Zweite")
    twice = make_case(vorname="Dritte")
    _, rows = icd_workbook_import(
        data=workbook(
            [
                (good.fall_id, "C50.1"),
                ("2026-06-onko-Unbekannt", "C50.1"),
                (bad.fall_id, "C50.1, XYZ"),
                (twice.fall_id, "C61"),
                (twice.fall_id, "C62"),
            ]
        ),
        file_name="c.xlsx",
        actor=Actor(user=dak_user),
    )
    assert statuses(rows) == [
        (2, RowOutcome.UPDATE),
        (3, RowOutcome.FEHLER),
        (4, RowOutcome.FEHLER),
        (5, RowOutcome.FEHLER),
        (6, RowOutcome.FEHLER),
    ]
    assert "Unbekannte Fall-ID" in rows[1].message
    assert "XYZ" in rows[2].message
    assert "mehrfach" in rows[3].message
    good.refresh_from_db()
    bad.refresh_from_db()
    twice.refresh_from_db()
    assert good.icd == "C50.1"
    assert bad.icd is None and twice.icd is None


def test_a_case_that_already_has_the_same_codes_is_unchanged(dak_user):
    case = make_case()
    icd_workbook_import(
        data=workbook([(case.fall_id, "C50.1")]), file_name="a.xlsx", actor=Actor(user=dak_user)
    )
    log, rows = icd_workbook_import(
        data=workbook([(case.fall_id, "c50.1")]), file_name="b.xlsx", actor=Actor(user=dak_user)
    )
    assert statuses(rows) == [(2, RowOutcome.DUPLIKAT)]
    assert (log.updated, log.skipped) == (0, 1)


def test_rows_without_icd_are_skipped(dak_user):
    case = make_case()
    _, rows = icd_workbook_import(
        data=workbook([(case.fall_id, None)]), file_name="a.xlsx", actor=Actor(user=dak_user)
    )
    assert rows == []


def test_an_upload_by_dak_staff_notifies_admins_once_and_is_audited(dak_user, admin_user):
    cases = [make_case(vorname=f"P{i}") for i in range(3)]
    log, _ = icd_workbook_import(
        data=workbook([(c.fall_id, "C50.1") for c in cases]),
        file_name="a.xlsx",
        actor=Actor(user=dak_user),
    )
    assert Notification.objects.filter(type="icd_uploaded", recipient=admin_user).count() == 1
    assert AuditLog.objects.filter(action="import.icd", entity_id=str(log.pk)).count() == 1


def test_a_broken_file_is_rejected_and_writes_nothing(dak_user):
    with pytest.raises(FileRejected):
        icd_workbook_import(data=b"not a workbook", file_name="a.xlsx", actor=Actor(user=dak_user))
    assert ImportLog.objects.count() == 0
