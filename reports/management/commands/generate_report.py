"""`manage.py generate_report --jahr J --kw K [--output FILE]` or `--last-week` (for a timer):
stores the week's Berichtswesen as its WeeklyReport and sends report_ready."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.actor import Actor
from reports import services
from reports.services import ReportError, changes_text, report_generate


class Command(BaseCommand):
    help = "Erstellt das Berichtswesen einer KW (oder der Vorwoche) und benachrichtigt alle."

    def add_arguments(self, parser):
        parser.add_argument("--jahr", type=int, help="ISO-Jahr des Berichts")
        parser.add_argument("--kw", type=int, help="Kalenderwoche des Berichts (1–53)")
        parser.add_argument(
            "--last-week",
            action="store_true",
            help="die Kalenderwoche vor der heutigen (Europe/Berlin), für einen Zeitplan",
        )
        parser.add_argument(
            "--output", help="die Datei auch hierhin schreiben (Datei oder Verzeichnis)"
        )

    def handle(self, *args, jahr, kw, last_week: bool, output, **options):
        if last_week:
            if jahr is not None or kw is not None:
                raise CommandError("--last-week nicht zusammen mit --jahr/--kw angeben.")
            jahr, kw = services.last_week()
        elif jahr is None or kw is None:
            raise CommandError("Bitte --jahr und --kw angeben (oder --last-week).")
        target = _target(output) if output else None
        # The command and its timer act as the command line itself: no user, "Kommandozeile".
        try:
            report = report_generate(jahr=jahr, kw=kw, actor=Actor.command_line())
        except ReportError as error:
            raise CommandError(str(error)) from error
        line = f"{report} erstellt (Fassung {report.version}"
        if report.version > 1:
            line += f", {changes_text(report.changed_count)}"
        self.stdout.write(f"{line}).")
        if target is not None:
            if target.is_dir():
                target = target / report.file_name
            target.write_bytes(bytes(report.content))
            self.stdout.write(f"Gespeichert unter {target}")


def _target(output):
    target = Path(output)
    folder = target if target.is_dir() else target.parent
    if not folder.is_dir():
        raise CommandError(f"Verzeichnis nicht gefunden: {folder}")
    return target
