"""Excel sync (issue 13, formats.md §2): export with Fall-ID and version marker, re-import with a
preview of every changed field, confirm in one transaction, stale cases refused.

Runs on SQLite and MariaDB (``DATABASE_URL=mysql://…``): Fall-IDs are matched exactly.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import load_workbook

from accounts.actor import Actor
from accounts.models import AuditLog
from cases import audit_actions as case_actions
from cases.models import Case
from cases.services import case_update, editable_values
from imports import audit_actions
from imports.models import ImportLog, ImportPreview, ImportType, PreviewState
from imports.outcomes import RowOutcome
from imports.readers.base import FileRejected
from imports.readers.historical import read_historical_workbook
from imports.sync import NOT_EXPORTED, TAMPERED, sync_confirm, sync_prepare, sync_preview_create
from imports.sync_export import export_cases
from imports.tests.reader_support import HEADERS, fixture, row, xlsx, year_sheet
from imports.tests.sync_support import edit, edit_sheet, exported, import_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_actor(admin_user):
    return Actor(user=admin_user)


def _plan(data, name="Abrechnung_DAK_alle.xlsx"):
    return sync_prepare(data=data, file_name=name)


# --- export ------------------------------------------------------------------------------------


def test_sample_round_trip_changes_nothing(admin_actor):
    import_fixture("Abrechnung_DAK_sample.xlsx")
    before = list(Case.objects.order_by("pk").values())
    data = exported()
    plan = _plan(data)
    assert plan.rows == []
    assert plan.unchanged == Case.objects.count() == 1742
    assert plan.counts[RowOutcome.UPDATE] == 0
    assert plan.counts[RowOutcome.FEHLER] == 0
    preview = sync_preview_create(plan=plan, actor=admin_actor)
    assert preview.rows.count() == 0
    assert preview.counts[RowOutcome.DUPLIKAT] == 1742
    assert list(Case.objects.order_by("pk").values()) == before


def test_export_has_the_layout_of_the_workbook_and_a_fall_id_column():
    import_fixture("Abrechnung_DAK_sample.xlsx")
    book = load_workbook(io.BytesIO(exported()))
    assert book.sheetnames == ["2026", "2025", "2024", "2023", "2020-2022", "Sync"]
    assert book["Sync"].sheet_state == "veryHidden"
    header = [c.value for c in book["2025"][1]]
    assert header == [*HEADERS, "Fall-ID"]
    assert [c.value for c in book["2020-2022"][1]] == [HEADERS[0], "Jahr", *HEADERS[1:], "Fall-ID"]
    # Every case once, in its ISO year's sheet, dates as dates and flags as Ja/Nein.
    ids = []
    for name in book.sheetnames[:-1]:
        sheet = book[name]
        headers = [c.value for c in sheet[1]]
        for values in sheet.iter_rows(min_row=2, values_only=True):
            cells = dict(zip(headers, values, strict=True))
            ids.append(cells["Fall-ID"])
            assert isinstance(cells["Datum"], dt.datetime)
            assert cells["Gutachten"] in ("Ja", "Nein")
    assert sorted(ids) == sorted(Case.objects.values_list("fall_id", flat=True))
    # The portal's own historical reader takes the export as a workbook of the same cases.
    result = read_historical_workbook(exported())
    assert not [p for r in result.rows for p in r.errors]
    assert len(result.rows) == 1742


def test_export_of_one_year():
    import_fixture("Abrechnung_DAK_sample.xlsx")
    export = export_cases(jahr=2025)
    book = load_workbook(export.file)
    assert book.sheetnames == ["2025", "Sync"]
    assert export.cases == Case.objects.filter(jahr=2025).count() == book["2025"].max_row - 1
    assert export.file_name.startswith("Abrechnung_DAK_2025_")
    assert export_cases().file_name.startswith("Abrechnung_DAK_alle_")


def test_formula_texts_stay_text_after_export():
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    case = Case.objects.get(nachname="Formel")
    assert case.vorname == '=HYPERLINK("http://x")'
    assert case.bemerkung == "@SUM(A1:A2)"
    data = exported()
    # openpyxl: string cells, not formulas, with the quote prefix Excel shows as text.
    book = load_workbook(io.BytesIO(data))
    sheet = book["2025"]
    headers = [c.value for c in sheet[1]]
    [formel] = [
        r for r in sheet.iter_rows(min_row=2) if r[headers.index("Nachname")].value == "Formel"
    ]
    for header, text in (("Vorname", '=HYPERLINK("http://x")'), ("Bemerkung", "@SUM(A1:A2)")):
        cell = formel[headers.index(header)]
        assert cell.data_type == "s"
        assert cell.value == text
        assert cell.quotePrefix
    # The portal's reader: text, no formula warning.
    result = read_historical_workbook(data)
    [parsed] = [r for r in result.rows if r.values["nachname"] == "Formel"]
    assert parsed.values["vorname"] == '=HYPERLINK("http://x")'
    assert parsed.values["bemerkung"] == "@SUM(A1:A2)"
    assert not [w for w in parsed.warnings if "Formel" in w.message]
    # And the round trip changes nothing.
    assert _plan(data).rows == []


# --- changes -----------------------------------------------------------------------------------


def test_edited_cells_give_exactly_those_changes(admin_actor):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    daum = Case.objects.get(nachname="Daum")
    data = edit(
        exported(),
        {
            tonn.fall_id: {
                "Bemerkung": "Rückruf erbeten – Frau Tonn",
                "Betrag": 99.5,
                "Gutachten-Typ": "Alternative",
                "Abgerechnet": "x",
            },
            daum.fall_id: {"Unterlagen Eingang": dt.datetime(2025, 3, 4)},
        },
    )
    plan = _plan(data)
    rows = {r.fall_id: r for r in plan.rows}
    assert set(rows) == {tonn.fall_id, daum.fall_id}
    assert rows[tonn.fall_id].kind == RowOutcome.UPDATE
    assert rows[tonn.fall_id].new == {
        "bemerkung": "Rückruf erbeten – Frau Tonn",
        "betrag": Decimal("99.50"),
        "gutachten_typ": "Alternative",
        "abgerechnet": True,
    }
    assert rows[tonn.fall_id].old == {
        "bemerkung": tonn.bemerkung,
        "betrag": tonn.betrag,
        "gutachten_typ": tonn.gutachten_typ,
        "abgerechnet": False,
    }
    assert rows[daum.fall_id].new == {"unterlagen_eingang_am": dt.date(2025, 3, 4)}
    assert plan.unchanged == Case.objects.count() - 2

    preview = sync_preview_create(plan=plan, actor=admin_actor)
    before = AuditLog.objects.filter(action=case_actions.CASE_CHANGED).count()
    result = sync_confirm(preview=preview, actor=admin_actor)
    assert result.applied == 2 and result.refused == []
    tonn.refresh_from_db()
    assert tonn.bemerkung == "Rückruf erbeten – Frau Tonn"
    assert tonn.betrag == Decimal("99.50")
    assert tonn.gutachten_typ == "Alternative"
    assert tonn.abgerechnet is True
    assert Case.objects.get(pk=daum.pk).unterlagen_eingang_am == dt.date(2025, 3, 4)
    # One audit entry per changed case, naming the changed fields.
    entries = AuditLog.objects.filter(action=case_actions.CASE_CHANGED).order_by("pk")[before:]
    assert sorted(e.entity_id for e in entries) == sorted([str(tonn.pk), str(daum.pk)])
    [tonn_entry] = [e for e in entries if e.entity_id == str(tonn.pk)]
    assert set(tonn_entry.new_values) == {"bemerkung", "betrag", "gutachten_typ", "abgerechnet"}
    log = ImportLog.objects.get(pk=result.log.pk)
    assert log.import_type == ImportType.EXCEL_SYNC and log.updated == 2
    preview.refresh_from_db()
    assert preview.state == PreviewState.BESTAETIGT
    assert AuditLog.objects.filter(
        action=audit_actions.PREVIEW_CONFIRMED, entity_id=str(preview.pk)
    ).exists()
    # Importing the same workbook again: nothing left to change.
    assert _plan(data).counts[RowOutcome.UPDATE] == 0


def test_a_changed_datum_moves_the_case_to_its_week():
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    data = edit(exported(), {tonn.fall_id: {"Datum": dt.datetime(2025, 6, 2)}})
    [changed] = _plan(data).rows
    assert changed.new == {"datum": dt.date(2025, 6, 2)}


def test_unknown_and_repeated_fall_ids_are_error_rows():
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn, daum = Case.objects.get(nachname="Tonn"), Case.objects.get(nachname="Daum")
    data = edit(exported(), {tonn.fall_id: {"Fall-ID": "2025-04-onko-Niemand"}})
    data = edit(data, {daum.fall_id: {"Bemerkung": "geändert"}})
    plan = _plan(data)
    rows = {r.fall_id: r for r in plan.rows}
    assert rows["2025-04-onko-Niemand"].kind == RowOutcome.FEHLER
    assert "Unbekannte Fall-ID" in rows["2025-04-onko-Niemand"].errors[0]
    # The others still apply.
    assert rows[daum.fall_id].kind == RowOutcome.UPDATE
    twice = edit(exported(), {daum.fall_id: {"Fall-ID": tonn.fall_id}})
    errors = [r for r in _plan(twice).rows if r.kind == RowOutcome.FEHLER]
    assert len(errors) == 2 and all("mehrfach" in r.errors[0] for r in errors)


def test_look_alike_fall_ids_stay_distinct(admin_actor):
    # Kühn and Kuhn in the same week and Fallgruppe: two cases whose Fall-IDs MariaDB's default
    # collation would fold together.
    sheet = year_sheet(
        row(KW=13, Datum=dt.date(2025, 3, 24), Fallgruppe="onko", Nachname="Kühn", Vorname="Jörg"),
        row(
            KW=13, Datum=dt.date(2025, 3, 24), Fallgruppe="onko", Nachname="Kuhn", Vorname="Jürgen"
        ),
    )
    data = xlsx({"2025": sheet})
    from imports.services import import_commit, import_prepare

    plan = import_prepare(import_type=ImportType.HISTORISCH, data=data, file_name="x.xlsx")
    import_commit(plan=plan, actor=Actor.command_line())
    # Looked up in Python: nachname itself compares case- and accent-insensitively on MariaDB.
    by_name = {case.nachname: case for case in Case.objects.all()}
    kuehn, kuhn = by_name["Kühn"], by_name["Kuhn"]
    assert kuehn.fall_id != kuhn.fall_id
    edited = edit(exported(), {kuhn.fall_id: {"Bemerkung": "nur Herr Kuhn"}})
    [changed] = _plan(edited).rows
    assert changed.case_id == kuhn.pk
    sync_confirm(
        preview=sync_preview_create(plan=_plan(edited), actor=admin_actor), actor=admin_actor
    )
    assert Case.objects.get(pk=kuhn.pk).bemerkung == "nur Herr Kuhn"
    assert Case.objects.get(pk=kuehn.pk).bemerkung == ""


# --- stale cases -------------------------------------------------------------------------------


def test_a_case_saved_after_the_export_is_refused_the_others_apply(admin_actor):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn, daum = Case.objects.get(nachname="Tonn"), Case.objects.get(nachname="Daum")
    data = edit(
        exported(), {tonn.fall_id: {"Bemerkung": "aus Excel"}, daum.fall_id: {"Bemerkung": "auch"}}
    )
    case_update(
        case=tonn.pk,
        values={**editable_values(tonn), "telefon": "030 1234567"},
        based_on=tonn.updated_at,
        actor=admin_actor,
    )
    plan = _plan(data)
    rows = {r.fall_id: r for r in plan.rows}
    assert rows[tonn.fall_id].kind == RowOutcome.FEHLER
    assert "nach dem Export geändert" in rows[tonn.fall_id].errors[-1]
    assert rows[daum.fall_id].kind == RowOutcome.UPDATE
    result = sync_confirm(
        preview=sync_preview_create(plan=plan, actor=admin_actor), actor=admin_actor
    )
    assert result.applied == 1
    assert Case.objects.get(pk=tonn.pk).bemerkung == ""
    assert Case.objects.get(pk=daum.pk).bemerkung == "auch"


def test_a_case_saved_between_preview_and_confirm_is_refused(admin_actor):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn, daum = Case.objects.get(nachname="Tonn"), Case.objects.get(nachname="Daum")
    data = edit(
        exported(), {tonn.fall_id: {"Bemerkung": "aus Excel"}, daum.fall_id: {"Bemerkung": "auch"}}
    )
    preview = sync_preview_create(plan=_plan(data), actor=admin_actor)
    assert preview.counts[RowOutcome.UPDATE] == 2
    case_update(
        case=tonn.pk,
        values={**editable_values(tonn), "telefon": "030 1234567"},
        based_on=tonn.updated_at,
        actor=admin_actor,
    )
    result = sync_confirm(preview=preview, actor=admin_actor)
    assert result.applied == 1
    [(_row, message)] = result.refused
    assert "nach dem Export geändert" in message
    tonn.refresh_from_db()
    assert tonn.bemerkung == "" and tonn.telefon == "030 1234567"
    assert Case.objects.get(pk=daum.pk).bemerkung == "auch"
    assert result.log.errors == 1


# --- refused files -----------------------------------------------------------------------------


def test_a_tampered_sync_sheet_is_one_german_message():
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    data = exported()
    tampered = edit_sheet(data, "Sync", "C2", "2030-01-01T00:00:00.000000+00:00")
    with pytest.raises(FileRejected) as caught:
        _plan(tampered)
    assert caught.value.message == TAMPERED
    swapped_id = edit_sheet(data, "Sync", "B2", 999999)
    with pytest.raises(FileRejected, match="verändert"):
        _plan(swapped_id)


def test_a_workbook_the_portal_did_not_export_is_refused():
    with pytest.raises(FileRejected) as caught:
        _plan(fixture("Abrechnung_DAK_sample.xlsx"))
    assert caught.value.message.startswith(NOT_EXPORTED.split(":")[0])
    assert "Sync" in caught.value.message


def test_macro_files_are_refused():
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    with pytest.raises(FileRejected, match="Makro"):
        sync_prepare(data=exported(), file_name="Abrechnung.xlsm")


def test_nothing_is_written_before_confirm(admin_actor):
    import_fixture("Abrechnung_DAK_edge_cases.xlsx")
    tonn = Case.objects.get(nachname="Tonn")
    data = edit(exported(), {tonn.fall_id: {"Bemerkung": "aus Excel"}})
    sync_preview_create(plan=_plan(data), actor=admin_actor)
    assert Case.objects.get(pk=tonn.pk).bemerkung == ""
    assert ImportPreview.objects.get().counts[RowOutcome.UPDATE] == 1


@pytest.mark.mariadb
def test_mariadb_round_trip_and_look_alikes(admin_actor):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB (DATABASE_URL=mysql://…)")
    test_sample_round_trip_changes_nothing(admin_actor)
    Case.objects.all().delete()
    test_look_alike_fall_ids_stay_distinct(admin_actor)
