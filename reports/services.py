"""Generating the weekly Berichtswesen (formats.md §4): one service for the reports page, the
`generate_report` command and its timer."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import NotificationType
from accounts.notifications import notify
from cases import rules
from reports.audit_actions import REPORT_GENERATED
from reports.cells import workbook_changes
from reports.figures import report_figures
from reports.models import WeeklyReport
from reports.workbook import report_file_name, write_berichtswesen

FIRST_YEAR, LAST_YEAR = 2000, 2100


class ReportError(ValueError):
    """A week that cannot have a report; the message is German and shown as it is."""


def report_week_check(*, jahr, kw, today=None):
    """ReportError unless (jahr, kw) is an ISO week that has begun (Europe/Berlin)."""
    if not FIRST_YEAR <= jahr <= LAST_YEAR:
        raise ReportError(f"Das Jahr muss zwischen {FIRST_YEAR} und {LAST_YEAR} liegen.")
    if not 1 <= kw <= 53:
        raise ReportError("Die KW muss zwischen 1 und 53 liegen.")
    weeks = rules.weeks_in_iso_year(jahr)
    if kw > weeks:
        raise ReportError(f"Das Jahr {jahr} hat keine KW {kw}, nur {weeks} Kalenderwochen.")
    today = today or rules.berlin_today()
    if rules.monday_of_iso_week(jahr, kw) > today:
        raise ReportError(f"Die KW {kw:02d}/{jahr} hat noch nicht begonnen.")


def last_week(today=None):
    """(jahr, kw) of the ISO week before today's, in Europe/Berlin (the timer's week)."""
    today = today or rules.berlin_today()
    return rules.iso_week(today - dt.timedelta(days=7))


def report_generate(*, jahr, kw, actor):
    """Compute the week's figures, write its workbook and store it as the week's report
    (replacing an earlier version, whose changed cells are kept); audited, announced."""
    report_week_check(jahr=jahr, kw=kw)
    figures = report_figures(jahr=jahr, kw=kw)
    content = write_berichtswesen(figures)
    try:
        return _store(jahr=jahr, kw=kw, figures=figures, content=content, actor=actor)
    except IntegrityError:
        # Someone else generated this week's first version at the same moment: theirs is
        # now the previous version of ours.
        return _store(jahr=jahr, kw=kw, figures=figures, content=content, actor=actor)


def _store(*, jahr, kw, figures, content, actor):
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().filter(jahr=jahr, kw=kw).first()
        if report is None:
            report = WeeklyReport(jahr=jahr, kw=kw, version=1)
            changes = []
        else:
            changes = workbook_changes(bytes(report.content), content)
            report.previous_figures = report.figures
            report.previous_generated_at = report.generated_at
            report.version += 1
        report.content = content
        report.file_name = report_file_name(jahr=jahr, kw=kw)
        report.figures = figures
        report.changes = changes
        report.changed_count = len(changes)
        report.generated_at = timezone.now()
        report.generated_by = actor.user
        report.generated_by_label = actor.label
        report.save()
        audit.record(
            action=REPORT_GENERATED,
            entity=report,
            new={
                "jahr": jahr,
                "kw": kw,
                "version": report.version,
                "datei": report.file_name,
                "changed_count": report.changed_count,
            },
            actor=actor,
        )
        notify(
            NotificationType.REPORT_READY,
            actor=actor,
            title=f"Berichtswesen KW {kw:02d}/{jahr} erstellt",
            message=ready_message(report),
            link=reverse("reports:detail", kwargs={"pk": report.pk}),
            obj=report,
        )
    return report


def changes_text(count):
    if count == 0:
        return "keine Werte geändert"
    return "1 Wert geändert" if count == 1 else f"{count} Werte geändert"


def ready_message(report):
    """The report_ready text: which week, and for a new version how many figures changed."""
    week = f"Das Berichtswesen für KW {report.kw:02d}/{report.jahr}"
    if report.version == 1:
        return f"{week} steht zum Herunterladen bereit."
    previous = timezone.localtime(report.previous_generated_at).strftime("%d.%m.%Y %H:%M")
    return (
        f"{week} wurde neu erstellt (Fassung {report.version}): "
        f"{changes_text(report.changed_count)} gegenüber der Fassung vom {previous}."
    )
