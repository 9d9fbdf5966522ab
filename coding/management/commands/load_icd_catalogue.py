from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coding.catalogue import catalogue_load
from imports.management.commands import _common
from imports.readers.base import FileRejected


class Command(BaseCommand):
    help = (
        "Lädt den ICD-10-GM-Katalog aus der BfArM-Datei icd10gm{Jahr}syst_kodes.txt und "
        "ersetzt den bisher geladenen Katalog (Exit-Code 2: Datei nicht lesbar, nichts geändert)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Pfad der Datei icd10gm{Jahr}syst_kodes.txt")
        parser.add_argument(
            "--year",
            type=int,
            metavar="JAHR",
            help="Katalogjahr, wenn es nicht im Dateinamen steht",
        )
        parser.add_argument("--user", metavar="EMAIL", help="wer den Katalog lädt (für das Audit)")

    def handle(self, *args, **options):
        out = _common.console(self.stdout)
        actor = _common.command_actor(options["user"])
        data = _common.read_bytes(options["file"])
        try:
            version = catalogue_load(
                data=data,
                file_name=Path(options["file"]).name,
                year=options["year"],
                actor=actor,
            )
        except FileRejected as exc:
            raise CommandError(exc.message, returncode=_common.EXIT_UNREADABLE) from exc
        out.print(
            _common.summary_table(
                "ICD-10-GM-Katalog geladen",
                ["Version", "Codes", "endständig"],
                [[f"ICD-10-GM {version.year}", version.code_count, version.terminal_count]],
            )
        )
