"""report_generate: stores the week's workbook, replaces it on regeneration with the changed
cells named, audits every generation and announces it to all active users."""

import datetime as dt
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.actor import Actor
from accounts.models import AuditLog, Notification, NotificationType, Role, User
from cases.models import replace_icd_codes
from cases.tests.factories import make_case
from reports.models import WeeklyReport
from reports.services import ReportError, last_week, report_generate, report_week_check

pytestmark = pytest.mark.django_db

SHEET1 = "Auswertung KW gesamt"


@pytest.fixture
def people(db):
    made = {}
    for email, role, active in (
        ("jürgen.weiß@anbieter.example", Role.ADMIN, True),
        ("änne.kühn@dak.de", Role.DAK_MITARBEITER, True),
        ("ruhestand@dak.de", Role.DAK_MITARBEITER, False),
    ):
        made[email] = User.objects.create_user(
            email=email, password="x-Testpasswort-2026", role=role, is_active=active
        )
    return made


def weeks_cases():
    # 2026: KW 5 (26.01.–01.02.) and KW 6 (02.–08.02.)
    make_case(nachname="Müller", datum=dt.date(2026, 1, 27), fallgruppe="onko", gutachten=True)
    make_case(nachname="Muller", datum=dt.date(2026, 1, 28), fallgruppe="kardio")
    make_case(nachname="Weiß", datum=dt.date(2026, 2, 3), fallgruppe="onko", unterlagen=True)


def sheet1(report):
    return load_workbook(BytesIO(bytes(report.content)))[SHEET1]


def test_the_first_generation_stores_file_figures_who_and_when(people):
    weeks_cases()
    admin = people["jürgen.weiß@anbieter.example"]
    report = report_generate(jahr=2026, kw=6, actor=Actor(user=admin))
    report.refresh_from_db()
    assert (report.jahr, report.kw, report.version) == (2026, 6, 1)
    assert report.file_name == "Berichtswesen_DAK_2026_KW06.xlsx"
    assert report.figures["gesamt"]["erstberatungen"] == 3
    assert sheet1(report)["B3"].value == 3
    assert (report.generated_by, report.generated_by_label) == (admin, admin.email)
    assert report.changes == [] and report.previous_figures is None


def test_the_first_generation_is_audited_and_announced_to_all_active_users(people):
    admin = people["jürgen.weiß@anbieter.example"]
    report = report_generate(jahr=2026, kw=6, actor=Actor(user=admin))
    [entry] = AuditLog.objects.filter(action="report_generated")
    assert (entry.entity_type, entry.entity_id, entry.user) == (
        "reports.weeklyreport",
        str(report.pk),
        admin,
    )
    assert entry.new_values["datei"] == "Berichtswesen_DAK_2026_KW06.xlsx"
    # the actor knows; the other active users (DAK staff and admins alike) are told
    [note] = Notification.objects.filter(type=NotificationType.REPORT_READY)
    assert note.recipient.email == "änne.kühn@dak.de"
    assert note.link == f"/berichte/{report.pk}/"
    assert "KW 06/2026 steht zum Herunterladen bereit" in note.message


def test_the_command_line_tells_every_active_user(people):
    report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    recipients = set(
        Notification.objects.filter(type=NotificationType.REPORT_READY).values_list(
            "recipient__email", flat=True
        )
    )
    assert recipients == {"jürgen.weiß@anbieter.example", "änne.kühn@dak.de"}


def test_generating_again_replaces_the_file_and_names_every_changed_cell(people):
    weeks_cases()
    first = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    # coding arrives late: a Gutachten for KW 6 and an ICD code on an onko case of KW 5
    late = make_case(nachname="Groß", datum=dt.date(2026, 2, 4), fallgruppe="kardio")
    late.gutachten = True
    late.save()
    onko = make_case(nachname="Öztürk", datum=dt.date(2026, 1, 29), fallgruppe="onko")
    onko.icd = "C50.9"
    onko.save()
    replace_icd_codes(onko)
    old_figures = first.figures

    second = report_generate(jahr=2026, kw=6, actor=Actor.command_line())

    assert WeeklyReport.objects.count() == 1 and second.pk == first.pk
    assert second.version == 2
    assert second.previous_figures == old_figures
    assert second.previous_generated_at == first.generated_at
    assert sheet1(second)["B3"].value == 5
    cells = {(c["sheet"], f"{c['column']}{c['row']}"): (c["alt"], c["neu"]) for c in second.changes}
    assert cells[(SHEET1, "B3")] == (3, 5)  # Erstberatungen of the period
    assert cells[("Auswertung ICD onko", "B2")] == (None, 1)  # the new code's row
    assert second.changed_count == len(second.changes)
    assert all(old != new for old, new in cells.values())


def test_both_generations_stay_in_the_audit_log_and_the_second_message_counts_changes(people):
    weeks_cases()
    report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    make_case(nachname="Groß", datum=dt.date(2026, 2, 4), fallgruppe="sd")
    report = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    entries = AuditLog.objects.filter(action="report_generated").order_by("pk")
    assert [e.new_values["version"] for e in entries] == [1, 2]
    assert entries[1].new_values["changed_count"] == report.changed_count > 0
    latest = Notification.objects.filter(type=NotificationType.REPORT_READY).latest("pk")
    assert f"Fassung 2): {report.changed_count} Werte geändert gegenüber der Fassung vom" in (
        latest.message
    )


def test_an_unchanged_week_generated_again_says_no_figure_changed(people):
    weeks_cases()
    report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    report = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    assert (report.version, report.changes, report.changed_count) == (2, [], 0)
    latest = Notification.objects.filter(type=NotificationType.REPORT_READY).latest("pk")
    assert "keine Werte geändert" in latest.message


def test_a_week_with_no_cases_is_a_valid_report(people):
    report = report_generate(jahr=2025, kw=1, actor=Actor.command_line())
    assert sheet1(report)["B3"].value == 0


@pytest.mark.parametrize(
    ("jahr", "kw", "message"),
    [
        (2025, 53, "Das Jahr 2025 hat keine KW 53, nur 52 Kalenderwochen."),
        (2026, 0, "Die KW muss zwischen 1 und 53 liegen."),
        (2026, 54, "Die KW muss zwischen 1 und 53 liegen."),
        (1999, 1, "Das Jahr muss zwischen 2000 und 2100 liegen."),
        (2027, 2, "Die KW 02/2027 hat noch nicht begonnen."),
    ],
)
def test_weeks_without_a_report_are_refused_in_german(jahr, kw, message):
    with (
        time_machine.travel(dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC), tick=False),
        pytest.raises(ReportError) as error,
    ):
        report_generate(jahr=jahr, kw=kw, actor=Actor.command_line())
    assert str(error.value) == message
    assert not WeeklyReport.objects.exists()


def test_a_53_week_year_has_kw_53():
    report_week_check(jahr=2026, kw=53, today=dt.date(2027, 1, 1))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2027, 1, 4), (2026, 53)),  # Monday of 2027-W01
        (dt.date(2027, 1, 3), (2026, 52)),  # Sunday of 2026-W53
        (dt.date(2026, 1, 5), (2026, 1)),  # 2026-W01 began on 29.12.2025
        (dt.date(2026, 1, 1), (2025, 52)),
    ],
)
def test_last_week_is_the_iso_week_before_today(today, expected):
    assert last_week(today) == expected
