"""`manage.py import_berichtswesen FILE [--user EMAIL]`: stores the yearly summary of a finished
year from its last Berichtswesen workbook (formats.md §4). A bad workbook: one German message,
exit code 2, nothing changed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.management.commands._common import EXIT_UNREADABLE, command_actor, read_bytes
from reports.summaries import SummaryError, berichtswesen_import


class Command(BaseCommand):
    help = "Liest das Berichtswesen eines abgeschlossenen Jahres als Jahreszusammenfassung ein."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Pfad der Arbeitsmappe (.xlsx)")
        parser.add_argument(
            "--user", metavar="EMAIL", help="wer es veranlasst (sonst Kommandozeile)"
        )

    def handle(self, *args, file, user, **options):
        actor = command_actor(user)
        data = read_bytes(file)
        try:
            summary = berichtswesen_import(data=data, file_name=Path(file).name, actor=actor)
        except SummaryError as exc:
            raise CommandError(exc.message, returncode=EXIT_UNREADABLE) from exc
        self.stdout.write(
            f"{summary} gespeichert: {summary.erstberatungen} Erstberatungen, "
            f"{summary.gutachten} Gutachten (bis KW {summary.bis_kw})."
        )
