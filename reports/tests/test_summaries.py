import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from accounts.actor import Actor
from accounts.models import AuditLog
from cases.models import Case
from cases.tests.factories import make_case
from imports.tests.reader_support import rewrite_zip
from imports.tests.test_commands import run
from reports.figures import VORJAHR_ZUSAMMENFASSUNG, report_figures, summary_figures
from reports.models import SummarySource, YearlySummary
from reports.summaries import (
    SUMMARY_BUILT,
    SUMMARY_IMPORTED,
    SummaryError,
    berichtswesen_import,
    read_berichtswesen,
    yearly_summary_build,
)
from reports.workbook import write_berichtswesen

pytestmark = pytest.mark.django_db

ACTOR = Actor.command_line()


def cases_2025():
    make_case(datum=dt.date(2025, 1, 7), nachname="Größer", unterlagen=True)
    make_case(
        datum=dt.date(2025, 6, 3),
        nachname="Öztürk",
        fallgruppe="kardio",
        unterlagen=True,
        gutachten=True,
        gutachten_typ="Bestätigung",
        therapieaenderung="Nein",
    )
    make_case(
        datum=dt.date(2025, 12, 22),
        nachname="Weiß",
        fallgruppe="sd",
        unterlagen=True,
        gutachten=True,
        gutachten_typ="Alternative",
        therapieaenderung="Ja",
        ta_uebertherapie=True,
    )
    make_case(datum=dt.date(2025, 3, 3), nachname="Kühn", fallgruppe="galle", ablehnung=True)
    make_case(datum=dt.date(2025, 3, 4), nachname="Strauß", fallgruppe="intensiv", abbruch=True)


def workbook_2025():
    cases_2025()
    figures = report_figures(jahr=2025, kw=52)
    return figures, write_berichtswesen(figures)


def edited(data, sheet, cell, value):
    book = load_workbook(io.BytesIO(data))
    book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_summary_part(figures):
    return {
        "gesamt": figures["gesamt"],
        "per_fallgruppe": figures["per_fallgruppe"],
        "gutachten_typen": figures["gutachten_typen"],
        "therapieaenderungen": figures["therapieaenderungen"],
    }


# --- build from cases -------------------------------------------------------------------------


def test_build_stores_the_full_year_from_the_cases():
    cases_2025()
    summary = yearly_summary_build(jahr=2025, actor=ACTOR)
    assert summary.source == SummarySource.COMPUTED and summary.bis_kw == 52
    assert summary_figures(summary) == as_summary_part(report_figures(jahr=2025, kw=52))
    assert summary.erstberatungen == 5 and summary.keine_rueckmeldung == 0
    assert summary.per_fallgruppe["sd"]["alternative"] == 1
    entry = AuditLog.objects.get(action=SUMMARY_BUILT)
    assert entry.entity_id == str(summary.pk) and entry.new_values["erstberatungen"] == 5


def test_building_again_replaces_the_summary_and_audits_old_to_new():
    cases_2025()
    yearly_summary_build(jahr=2025, actor=ACTOR)
    make_case(datum=dt.date(2025, 8, 5), nachname="Jäger")
    yearly_summary_build(jahr=2025, actor=ACTOR)
    assert YearlySummary.objects.get().erstberatungen == 6
    latest = AuditLog.objects.filter(action=SUMMARY_BUILT).order_by("-id").first()
    assert (latest.old_values["erstberatungen"], latest.new_values["erstberatungen"]) == (5, 6)


def test_build_of_a_year_without_cases_stores_nothing():
    with pytest.raises(SummaryError, match="keine Fälle"):
        yearly_summary_build(jahr=2019, actor=ACTOR)
    assert not YearlySummary.objects.exists()


def test_build_command():
    cases_2025()
    code, out = run("build_yearly_summary", "--jahr", "2025")
    assert code == 0 and "5 Erstberatungen" in out
    assert YearlySummary.objects.get(jahr=2025).source == SummarySource.COMPUTED
    code, out = run("build_yearly_summary", "--jahr", "2019")
    assert code != 0 and "keine Fälle" in out


# --- import of a Berichtswesen ----------------------------------------------------------------


def test_a_workbook_the_portal_wrote_reads_back_to_the_same_figures():
    figures, data = workbook_2025()
    read = read_berichtswesen(data)
    assert (read["jahr"], read["bis_kw"]) == (2025, 52)
    assert {k: read[k] for k in as_summary_part(figures)} == as_summary_part(figures)


def test_import_stores_the_summary_and_the_comparison_uses_it():
    figures, data = workbook_2025()
    Case.objects.all().delete()
    summary = berichtswesen_import(
        data=data, file_name="Berichtswesen_DAK_2025_KW52.xlsx", actor=ACTOR
    )
    assert summary.source == SummarySource.IMPORTED
    assert summary.source_file == "Berichtswesen_DAK_2025_KW52.xlsx"
    assert summary_figures(summary) == as_summary_part(figures)
    assert AuditLog.objects.filter(action=SUMMARY_IMPORTED, entity_id=str(summary.pk)).exists()
    report = report_figures(jahr=2026, kw=1)
    assert report["vorjahr_quelle"] == VORJAHR_ZUSAMMENFASSUNG
    assert report["vorjahr"] == figures["gesamt"]
    sheet = load_workbook(io.BytesIO(write_berichtswesen(report))).worksheets[0]
    assert [sheet.cell(r, 4).value for r in range(3, 8)] == list(figures["gesamt"].values())


def test_import_command(tmp_path):
    _figures, data = workbook_2025()
    path = tmp_path / "Berichtswesen_DAK_2025_KW52.xlsx"
    path.write_bytes(data)
    code, out = run("import_berichtswesen", str(path))
    assert code == 0 and "5 Erstberatungen" in out
    assert YearlySummary.objects.get(jahr=2025).source == SummarySource.IMPORTED
    bad = tmp_path / "kaputt.xlsx"
    bad.write_bytes(b"not a workbook")
    code, out = run("import_berichtswesen", str(bad))
    assert code == 2 and "keine Excel-Arbeitsmappe" in out


def _bad_workbooks():
    """(what, bytes, file name, part of the one message)"""
    _figures, good = workbook_2025()
    book = load_workbook(io.BytesIO(good))
    book["Auswertung Gutachten"].title = "Gutachten"
    renamed = io.BytesIO()
    book.save(renamed)
    book = load_workbook(io.BytesIO(good))
    book.move_sheet("Auswertung ICD onko", offset=-4)
    reordered = io.BytesIO()
    book.save(reordered)
    total_row = 11 + 52  # sheet 1: KW rows 11…62, Gesamt in row 63
    return [
        ("not xlsx", b"PK\x03\x04 kaputt", "x.xlsx", "Excel"),
        ("plain text", b"KW;Erstberatungen\n1;2\n", "x.xlsx", "keine Excel-Arbeitsmappe"),
        ("macro file name", good, "Berichtswesen.xlsm", "Makros"),
        (
            "macro inside",
            rewrite_zip(good, {"xl/vbaProject.bin": b"\xd0\xcf macro"}),
            "x.xlsx",
            "Makros",
        ),
        ("renamed sheet", renamed.getvalue(), "x.xlsx", "kein Berichtswesen"),
        ("sheet order", reordered.getvalue(), "x.xlsx", "Reihenfolge"),
        (
            "text in a number cell",
            edited(good, "Auswertung KW gesamt", f"B{total_row}", "5"),
            "x.xlsx",
            "keine ganze Zahl",
        ),
        (
            "formula in a number cell",
            edited(good, "Auswertung Therapieänderungen", "C54", "=SUM(C2:C53)"),
            "x.xlsx",
            "keine ganze Zahl",
        ),
        (
            "fraction",
            edited(good, "Auswertung nach Fachgebieten", "B55", 2.5),
            "x.xlsx",
            "keine ganze Zahl",
        ),
        ("no year", edited(good, "Auswertung KW gesamt", "B2", "2025"), "x.xlsx", "B2"),
        (
            "wrong header",
            edited(good, "Auswertung Gutachten", "C2", "Alternativen"),
            "x.xlsx",
            "„Alternative“",
        ),
        ("missing KW row", edited(good, "Auswertung KW gesamt", "A20", 99), "x.xlsx", "KW-Zeilen"),
    ]


def test_bad_workbooks_get_one_german_message_and_change_nothing():
    existing = YearlySummary.objects.create(
        jahr=2025, erstberatungen=999, source=SummarySource.COMPUTED
    )
    audit_before = AuditLog.objects.count()
    for what, data, name, message in _bad_workbooks():
        with pytest.raises(SummaryError) as info:
            berichtswesen_import(data=data, file_name=name, actor=ACTOR)
        assert message in info.value.message, what
        assert "\n" not in info.value.message and info.value.message.endswith("."), what
    existing.refresh_from_db()
    assert existing.erstberatungen == 999 and existing.source == SummarySource.COMPUTED
    assert AuditLog.objects.count() == audit_before


def test_a_workbook_of_an_unfinished_week_or_year_is_refused():
    cases_2025()
    mid_year = write_berichtswesen(report_figures(jahr=2025, kw=30))
    with pytest.raises(SummaryError, match="endet mit KW 30"):
        berichtswesen_import(data=mid_year, file_name="x.xlsx", actor=ACTOR)
    this_year = write_berichtswesen(report_figures(jahr=dt.date.today().isocalendar()[0], kw=1))
    with pytest.raises(SummaryError, match="abgeschlossene Jahre"):
        berichtswesen_import(data=this_year, file_name="x.xlsx", actor=ACTOR)
    assert not YearlySummary.objects.exists()
