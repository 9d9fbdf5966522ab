import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from cases.tests.factories import make_case
from imports.models import ImportLog
from imports.tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = exc.returncode
        out.write(str(exc))
    return code, out.getvalue()


def test_import_crm_exits_0_when_every_row_is_fine():
    code, out = run("import_crm", str(FIXTURES / "crm_2026_KW06.csv"))
    assert code == 0
    assert Case.objects.count() == 6
    assert "Import abgeschlossen" in out


def test_import_crm_exits_1_when_some_rows_are_in_error_and_imports_the_rest():
    code, out = run("import_crm", str(FIXTURES / "crm_edge_cases.csv"))
    assert code == 1
    assert Case.objects.count() == 6
    log = ImportLog.objects.get()
    assert (log.imported, log.skipped, log.errors) == (6, 1, 3)
    assert log.actor_label == "Kommandozeile"
    assert "Modul" in out


def test_import_crm_exits_2_for_an_unreadable_file(tmp_path):
    junk = tmp_path / "kaputt.csv"
    junk.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    code, _ = run("import_crm", str(junk))
    assert code == 2
    assert Case.objects.count() == 0
    assert ImportLog.objects.count() == 0


def test_import_crm_exits_2_for_a_missing_file(tmp_path):
    code, out = run("import_crm", str(tmp_path / "fehlt.csv"))
    assert code == 2
    assert "nicht gefunden" in out


def test_dry_run_counts_but_writes_nothing():
    code, out = run("import_crm", str(FIXTURES / "crm_edge_cases.csv"), "--dry-run")
    assert code == 1
    assert "nichts gespeichert" in out
    assert Case.objects.count() == 0
    assert ImportLog.objects.count() == 0


def test_a_second_run_says_the_file_was_imported_before_and_creates_nothing():
    run("import_crm", str(FIXTURES / "crm_2026_KW06.csv"))
    code, out = run("import_crm", str(FIXTURES / "crm_2026_KW06.csv"))
    assert code == 0
    assert "schon importiert" in out
    assert Case.objects.count() == 6


def test_the_user_option_sets_the_actor(admin_user):
    run("import_crm", str(FIXTURES / "crm_2026_KW06.csv"), "--user", admin_user.email)
    assert ImportLog.objects.get().user == admin_user


def test_an_unknown_user_is_refused_before_anything_is_read():
    code, _ = run("import_crm", str(FIXTURES / "crm_2026_KW06.csv"), "--user", "x@y.example")
    assert code == 2
    assert Case.objects.count() == 0


def test_import_historical_writes_one_log_per_sheet():
    code, out = run("import_historical", str(FIXTURES / "Abrechnung_DAK_edge_cases.xlsx"))
    assert code == 0
    assert sorted(ImportLog.objects.values_list("sheet", flat=True)) == ["2020-2022", "2025"]
    assert Case.objects.count() == 8
    assert "Summe" in out


def test_import_historical_can_take_one_sheet():
    code, _ = run(
        "import_historical", str(FIXTURES / "Abrechnung_DAK_edge_cases.xlsx"), "--sheet", "2025"
    )
    assert code == 0
    assert list(ImportLog.objects.values_list("sheet", flat=True)) == ["2025"]
    assert Case.objects.count() == 6


def coded_workbook(tmp_path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ICD-Codierung"
    ws.append(
        ["Fall-ID", "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "ICD"]
    )
    for fall_id, icd in rows:
        ws.append([fall_id, None, None, None, None, None, None, icd])
    path = tmp_path / "codiert.xlsx"
    wb.save(path)
    return path


def test_import_icd_saves_valid_rows_and_reports_the_others(tmp_path, dak_user):
    case = make_case()
    other = make_case(vorname="Zweite")
    path = coded_workbook(
        tmp_path,
        [
            (case.fall_id, "c50.1; C79.5"),
            ("2026-06-onko-Gibtsnicht", "C50"),
            (other.fall_id, "XYZ"),
        ],
    )
    code, out = run("import_icd", str(path), "--user", dak_user.email)
    assert code == 1
    case.refresh_from_db()
    assert case.icd == "C50.1, C79.5"
    assert case.icd_entered_by == dak_user
    other.refresh_from_db()
    assert other.icd is None
    assert "Unbekannte Fall-ID" in out
    assert "XYZ" in out


def test_import_icd_needs_a_user(tmp_path):
    path = coded_workbook(tmp_path, [])
    with pytest.raises(CommandError):
        call_command("import_icd", str(path), stdout=io.StringIO())
