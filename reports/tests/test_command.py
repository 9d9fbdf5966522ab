"""manage.py generate_report: a given week or the week before today (Europe/Berlin), the file
optionally written out, German errors for weeks without a report."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import AuditLog, Notification, Role, User
from reports.models import WeeklyReport

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def run(*args):
    out = StringIO()
    call_command("generate_report", *args, stdout=out)
    return out.getvalue()


def test_a_given_week_is_stored_written_out_and_announced(tmp_path):
    User.objects.create_user(
        email="änne.kühn@dak.de", password="x-Testpasswort-2026", role=Role.DAK_MITARBEITER
    )
    target = tmp_path / "bericht.xlsx"
    output = run("--jahr", "2026", "--kw", "7", "--output", str(target))
    report = WeeklyReport.objects.get(jahr=2026, kw=7)
    assert target.read_bytes() == bytes(report.content)
    assert "Berichtswesen KW 07/2026 erstellt (Fassung 1)." in output
    assert (report.generated_by, report.generated_by_label) == (None, "Kommandozeile")
    assert AuditLog.objects.get(action="report_generated").user is None
    assert Notification.objects.filter(recipient__email="änne.kühn@dak.de").count() == 1


def test_an_output_directory_gets_the_server_chosen_name(tmp_path):
    run("--jahr", "2026", "--kw", "7", "--output", str(tmp_path))
    assert (tmp_path / "Berichtswesen_DAK_2026_KW07.xlsx").is_file()


def test_a_second_run_reports_the_number_of_changed_figures():
    run("--jahr", "2026", "--kw", "7")
    assert "(Fassung 2, keine Werte geändert)." in run("--jahr", "2026", "--kw", "7")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Monday 4 January 2027 just after midnight in Berlin is still Sunday in UTC: the week
        # before Berlin's today is 2026-W53 (2026 has 53 ISO weeks), not W52.
        (dt.datetime(2027, 1, 4, 0, 30, tzinfo=BERLIN), (2026, 53)),
        (dt.datetime(2027, 1, 3, 23, 30, tzinfo=BERLIN), (2026, 52)),
    ],
)
def test_last_week_is_the_iso_week_before_today_in_berlin(now, expected):
    with time_machine.travel(now, tick=False):
        output = run("--last-week")
    report = WeeklyReport.objects.get()
    assert (report.jahr, report.kw) == expected
    assert f"KW {expected[1]:02d}/{expected[0]}" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--jahr", "2025", "--kw", "53"), "Das Jahr 2025 hat keine KW 53, nur 52 Kalenderwochen."),
        (("--jahr", "2026", "--kw", "0"), "Die KW muss zwischen 1 und 53 liegen."),
        (("--jahr", "2026"), "Bitte --jahr und --kw angeben (oder --last-week)."),
        ((), "Bitte --jahr und --kw angeben (oder --last-week)."),
        (("--last-week", "--kw", "3"), "--last-week nicht zusammen mit --jahr/--kw angeben."),
        (
            ("--jahr", "2026", "--kw", "7", "--output", "/gibt/es/nicht/b.xlsx"),
            "Verzeichnis nicht gefunden: /gibt/es/nicht",
        ),
    ],
)
def test_bad_arguments_get_a_german_message_and_store_nothing(args, message):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value) == message
    assert not WeeklyReport.objects.exists()
    assert not AuditLog.objects.filter(action="report_generated").exists()
