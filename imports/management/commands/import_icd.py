from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.icd_import import FEHLER, GESPEICHERT, UNVERAENDERT, icd_workbook_import
from imports.management.commands import _common
from imports.readers.base import FileRejected


class Command(BaseCommand):
    help = "Übernimmt eine ausgefüllte ICD-Codiervorlage (Fall-ID und ICD je Zeile)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Pfad der Arbeitsmappe")
        parser.add_argument("--user", metavar="EMAIL", required=True, help="wer codiert hat")

    def handle(self, *args, **options):
        out = _common.console(self.stdout)
        user = _common.actor(options["user"], required=True)
        data = _common.read_bytes(options["file"])
        try:
            log, rows = icd_workbook_import(
                data=data, file_name=Path(options["file"]).name, user=user
            )
        except FileRejected as exc:
            raise CommandError(exc.message, returncode=_common.EXIT_UNREADABLE) from exc
        for row in rows:
            if row.status == FEHLER:
                out.print(f"[red]Fehler[/red]  Zeile {row.row_number}: {row.message}")
        counts = [
            sum(1 for r in rows if r.status == s) for s in (GESPEICHERT, UNVERAENDERT, FEHLER)
        ]
        out.print(
            _common.summary_table(
                "ICD-Codierung übernommen",
                ["Datei", "gelesen", "gespeichert", "unverändert", "Fehler"],
                [[log.file_name, len(rows), *counts]],
            )
        )
        out.print(f"Importprotokoll: #{log.pk}")
        _common.exit_with(_common.EXIT_ROW_ERRORS if counts[2] else _common.EXIT_OK)
