import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.actor import Actor
from accounts.models import AuditLog
from cases.models import Case, CaseICDCode, Quelle
from cases.tests.factories import make_case
from imports.models import ImportLog, ImportType
from imports.outcomes import RowOutcome
from imports.services import ImportFailed, import_commit, import_prepare

pytestmark = pytest.mark.django_db


def crm(fixture_bytes, name="crm_edge_cases.csv"):
    return import_prepare(import_type=ImportType.CRM_CSV, data=fixture_bytes(name), file_name=name)


def counts(plan):
    c = plan.counts
    return c[RowOutcome.NEU], c[RowOutcome.UPDATE], c[RowOutcome.DUPLIKAT], c[RowOutcome.FEHLER]


def test_the_edge_case_csv_gives_six_new_one_duplicate_three_errors(fixture_bytes):
    plan = crm(fixture_bytes)
    assert counts(plan) == (6, 0, 1, 3)
    assert Case.objects.count() == 0  # the preview writes nothing
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert Case.objects.count() == 6
    assert (log.imported, log.updated, log.skipped, log.errors) == (6, 0, 1, 3)
    assert set(Case.objects.values_list("quelle", flat=True)) == {Quelle.CRM_CSV}
    assert sorted(log.details["created_case_ids"]) == sorted(
        Case.objects.values_list("id", flat=True)
    )


def test_the_edge_case_rows_are_stored_as_the_readme_says(fixture_bytes):
    import_commit(plan=crm(fixture_bytes), actor=Actor.command_line())
    tonn = Case.objects.get(crm_ticket_id="T-9001")
    assert (tonn.datum, tonn.jahr, tonn.kw, tonn.fallgruppe) == (
        dt.date(2026, 2, 2),
        2026,
        6,
        "onko",
    )
    assert tonn.kvnr == "D410126355" and tonn.kvnr_valid
    assert Case.objects.get(crm_ticket_id="T-9002").kvnr is None
    t3 = Case.objects.get(crm_ticket_id="T-9003")
    assert t3.geburtsdatum is None and t3.kvnr == "X123" and not t3.kvnr_valid
    t4 = Case.objects.get(crm_ticket_id="T-9004")
    assert (t4.fallgruppe, t4.geburtsdatum) == ("onko", dt.date(1971, 3, 1))
    t8 = Case.objects.get(crm_ticket_id="T-9008")
    assert (t8.fallgruppe, t8.geburtsdatum, t8.kvnr) == (
        "galle",
        dt.date(1948, 12, 12),
        "D410126356",
    )
    assert Case.objects.get(crm_ticket_id="T-9009").geburtsdatum is None
    assert not Case.objects.filter(crm_ticket_id__in=["T-9005", "T-9006", "T-9007"]).exists()


def test_reimporting_a_file_creates_nothing_and_says_it_was_seen(fixture_bytes):
    first = crm(fixture_bytes)
    import_commit(plan=first, actor=Actor.command_line())
    again = crm(fixture_bytes)
    assert again.previous_import is not None
    assert counts(again) == (0, 0, 7, 3)
    import_commit(plan=again, actor=Actor.command_line())
    assert Case.objects.count() == 6


def test_the_windows_variant_matches_the_utf8_file(fixture_bytes):
    import_commit(plan=crm(fixture_bytes), actor=Actor.command_line())
    win = crm(fixture_bytes, "crm_edge_cases_win.csv")
    assert win.previous_import is None
    assert counts(win) == (0, 0, 7, 3)


def test_the_windows_variant_alone_gives_the_same_cases(fixture_bytes):
    import_commit(plan=crm(fixture_bytes, "crm_edge_cases_win.csv"), actor=Actor.command_line())
    utf8_plan = crm(fixture_bytes)
    assert counts(utf8_plan) == (0, 0, 7, 3)


def test_both_kw06_files_create_six_cases_not_twelve(fixture_bytes):
    plan = crm(fixture_bytes, "crm_2026_KW06.csv")
    assert counts(plan)[0] == 6
    import_commit(plan=plan, actor=Actor.command_line())
    import_commit(plan=crm(fixture_bytes, "crm_2026_KW06_win.csv"), actor=Actor.command_line())
    assert Case.objects.count() == 6


def test_a_known_case_gets_only_its_empty_fields_filled(fixture_bytes):
    case = make_case(
        nachname="Tonn",
        vorname="Regina",
        geburtsdatum=dt.date(1960, 4, 28),
        datum=dt.date(2026, 2, 2),
        fallgruppe="onko",
        thema="schon da",
    )
    plan = crm(fixture_bytes)
    tonn = next(o for o in plan.outcomes if o.row.values.get("crm_ticket_id") == "T-9001")
    assert tonn.kind == RowOutcome.UPDATE
    assert tonn.case_id == case.pk
    assert set(tonn.fills) == {"crm_ticket_id", "kvnr", "bearbeiter"}
    import_commit(plan=plan, actor=Actor.command_line())
    case.refresh_from_db()
    assert case.thema == "schon da"
    assert (case.kvnr, case.crm_ticket_id, case.bearbeiter) == ("D410126355", "T-9001", "S. Adam")
    assert Case.objects.filter(nachname="Tonn").count() == 1


def test_the_ticket_decides_when_ticket_and_person_point_at_different_cases(fixture_bytes):
    by_ticket = make_case(nachname="Anders", crm_ticket_id="T-9001")
    make_case(nachname="Tonn", vorname="Regina", geburtsdatum=dt.date(1960, 4, 28))
    plan = crm(fixture_bytes)
    tonn = next(o for o in plan.outcomes if o.row.row_number == 2)
    assert tonn.case_id == by_ticket.pk
    assert any("CRM-Ticket entscheidet" in note for note in tonn.notes)


def test_a_database_refusal_in_the_middle_leaves_no_case_and_no_log(fixture_bytes):
    plan = crm(fixture_bytes)
    # the last new row carries a value the database refuses (CHECK on fallgruppe)
    last_new = [o for o in plan.outcomes if o.kind == RowOutcome.NEU][-1]
    last_new.row.values["fallgruppe"] = "ortho"
    with pytest.raises(ImportFailed):
        import_commit(plan=plan, actor=Actor.command_line())
    assert Case.objects.count() == 0
    assert ImportLog.objects.count() == 0


def test_an_import_writes_one_audit_entry(fixture_bytes, admin_user):
    [log] = import_commit(plan=crm(fixture_bytes), actor=Actor(user=admin_user))
    entries = AuditLog.objects.filter(action="import.crm_csv")
    assert entries.count() == 1
    assert entries.get().entity_id == str(log.pk)


def test_a_crm_import_that_creates_cases_notifies_dak_staff(fixture_bytes, admin_user, dak_user):
    from accounts.models import Notification

    import_commit(plan=crm(fixture_bytes), actor=Actor(user=admin_user))
    assert Notification.objects.filter(recipient=dak_user, type="new_cases_uploaded").count() == 1


def test_classification_needs_the_same_number_of_queries_for_more_rows(
    fixture_bytes, django_assert_max_num_queries
):
    from imports.readers.crm import read_crm_csv
    from imports.services import classify

    small = read_crm_csv(fixture_bytes("crm_edge_cases.csv")).rows
    big = read_crm_csv(fixture_bytes("crm_2026_KW06.csv")).rows * 50
    with django_assert_max_num_queries(2):
        classify(small)
    with django_assert_max_num_queries(2):
        classify(big)


def test_the_edge_case_workbook_imports_eight_cases_with_one_log_per_sheet(fixture_bytes):
    plan = import_prepare(
        import_type=ImportType.HISTORISCH,
        data=fixture_bytes("Abrechnung_DAK_edge_cases.xlsx"),
        file_name="Abrechnung_DAK_edge_cases.xlsx",
    )
    assert counts(plan) == (8, 0, 0, 0)
    logs = import_commit(plan=plan, actor=Actor.command_line())
    assert [log.sheet for log in logs] == ["2025", "2020-2022"]
    assert [log.imported for log in logs] == [6, 2]
    assert Case.objects.filter(quelle=Quelle.HISTORISCH).count() == 8
    tonn = Case.objects.get(nachname="Tonn")
    assert tonn.icd == "C50.1, C79.5"
    assert sorted(CaseICDCode.objects.filter(case=tonn).values_list("icd_code", flat=True)) == [
        "C50.1",
        "C79.5",
    ]
    jahreswechsel = Case.objects.get(nachname="Jahreswechsel")
    assert (jahreswechsel.jahr, jahreswechsel.kw) == (2020, 53)
    again = import_prepare(
        import_type=ImportType.HISTORISCH,
        data=fixture_bytes("Abrechnung_DAK_edge_cases.xlsx"),
        file_name="x.xlsx",
    )
    assert counts(again)[0:2] == (0, 0)


def test_the_sample_workbook_imports_completely_and_only_once(sample_workbook):
    plan = import_prepare(
        import_type=ImportType.HISTORISCH, data=sample_workbook, file_name="sample.xlsx"
    )
    assert counts(plan)[3] == 0
    assert plan.rows_read == 1742
    import_commit(plan=plan, actor=Actor.command_line())
    assert Case.objects.count() == 1742
    again = import_prepare(
        import_type=ImportType.HISTORISCH, data=sample_workbook, file_name="sample.xlsx"
    )
    assert counts(again) == (0, 0, 1742, 0)


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirms_of_overlapping_files_never_double_a_case(fixture_bytes):
    if connection.vendor != "mysql":
        pytest.skip("needs concurrent connections to a real MariaDB")
    plans = [crm(fixture_bytes), crm(fixture_bytes, "crm_edge_cases_win.csv")]
    barrier = threading.Barrier(2)
    errors = []

    def confirm(plan):
        from django.db import connections

        try:
            barrier.wait()
            import_commit(plan=plan, actor=Actor.command_line())
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Case.objects.count() == 6
    assert ImportLog.objects.count() == 2
    assert sorted(ImportLog.objects.values_list("imported", flat=True)) == [0, 6]


def test_awkward_text_survives_the_bulk_insert_unchanged():
    from imports.readers.base import ParsedRow
    from imports.services import ImportPlan

    awkward = [
        "O'Brien",
        'Zitat "x"',
        "Back\\slash",
        "Zeile1\nZeile2",
        "Tab\tEnde",
        "Nul\x00Byte",
        "Ünïcödé ß 𝄞 😀",
        "'; DROP TABLE cases_case; --",
        "\\'",
    ]
    rows = [
        ParsedRow(
            row_number=i + 2,
            sheet=None,
            values={
                "nachname": f"Test{i}",
                "vorname": "A",
                "datum": dt.date(2026, 2, 2),
                "fallgruppe": "onko",
                "thema": text,
                "betrag": None,
            },
        )
        for i, text in enumerate(awkward)
    ]
    plan = ImportPlan(
        import_type=ImportType.CRM_CSV,
        file_name="x.csv",
        sha256="0" * 64,
        rows=rows,
        notices=[],
        sheets=[("", len(rows))],
    )
    import_commit(plan=plan, actor=Actor.command_line())
    stored = dict(Case.objects.values_list("nachname", "thema"))
    assert stored == {f"Test{i}": text.strip() for i, text in enumerate(awkward)}


def test_a_later_row_of_the_same_file_fills_the_new_case_and_its_duplicate_key():
    from cases import rules
    from imports.readers.base import ParsedRow
    from imports.services import ImportPlan

    base = {"nachname": "Tonn", "datum": dt.date(2026, 2, 2), "fallgruppe": "onko"}
    rows = [
        ParsedRow(2, None, {**base, "crm_ticket_id": "T-1", "vorname": ""}),
        ParsedRow(3, None, {**base, "crm_ticket_id": "T-1", "vorname": "Regina", "kvnr": None}),
    ]
    plan = ImportPlan(
        import_type=ImportType.CRM_CSV,
        file_name="x.csv",
        sha256="1" * 64,
        rows=rows,
        notices=[],
        sheets=[("", 2)],
    )
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert (log.imported, log.skipped) == (1, 1)
    case = Case.objects.get()
    assert case.vorname == "Regina"
    assert case.duplicate_key == rules.duplicate_key_digest(
        nachname="Tonn",
        vorname="Regina",
        geburtsdatum=None,
        fallgruppe="onko",
        datum=dt.date(2026, 2, 2),
    )
