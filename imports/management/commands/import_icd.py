from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.icd_import import icd_workbook_import
from imports.management.commands import _common
from imports.outcomes import RowOutcome, count_outcomes
from imports.readers.base import FileRejected


class Command(BaseCommand):
    help = "Übernimmt eine ausgefüllte ICD-Codiervorlage (Fall-ID und ICD je Zeile)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Pfad der Arbeitsmappe")
        parser.add_argument("--user", metavar="EMAIL", required=True, help="wer codiert hat")

    def handle(self, *args, **options):
        out = _common.console(self.stdout)
        actor = _common.command_actor(options["user"], required=True)
        data = _common.read_bytes(options["file"])
        try:
            log, rows = icd_workbook_import(
                data=data, file_name=Path(options["file"]).name, actor=actor
            )
        except FileRejected as exc:
            raise CommandError(exc.message, returncode=_common.EXIT_UNREADABLE) from exc
        for row in rows:
            if row.status == RowOutcome.FEHLER:
                out.print(f"[red]Fehler[/red]  Zeile {row.row_number}: {row.message}")
        counts = count_outcomes(r.status for r in rows)
        shown = (RowOutcome.UPDATE, RowOutcome.DUPLIKAT, RowOutcome.FEHLER)
        out.print(
            _common.summary_table(
                "ICD-Codierung übernommen",
                ["Datei", "gelesen", *(outcome.label for outcome in shown)],
                [[log.file_name, len(rows), *(counts[outcome] for outcome in shown)]],
            )
        )
        out.print(f"Importprotokoll: #{log.pk}")
        errors = counts[RowOutcome.FEHLER]
        _common.exit_with(_common.EXIT_ROW_ERRORS if errors else _common.EXIT_OK)
