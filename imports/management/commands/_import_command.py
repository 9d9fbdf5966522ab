"""The CRM and historical import commands differ only in the file type; this is their body."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from imports.management.commands import _common
from imports.outcomes import RowOutcome, count_outcomes
from imports.services import FileRejected, ImportFailed, import_commit, import_prepare


class ImportCommand(BaseCommand):
    import_type = None
    with_sheet = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="Pfad der Datei")
        parser.add_argument(
            "--dry-run", action="store_true", help="nur prüfen und zählen, nichts speichern"
        )
        parser.add_argument(
            "--user", metavar="EMAIL", help="Benutzer, dem der Import zugeordnet wird"
        )
        if self.with_sheet:
            parser.add_argument("--sheet", metavar="NAME", help="nur dieses Tabellenblatt")

    def handle(self, *args, **options):
        out = _common.console(self.stdout)
        actor = _common.command_actor(options["user"])
        data = _common.read_bytes(options["file"])
        name = Path(options["file"]).name
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=out,
            disable=not out.is_terminal,
        )
        with progress:
            step = progress.add_task("Datei lesen und prüfen", total=2)
            try:
                plan = import_prepare(
                    import_type=self.import_type,
                    data=data,
                    file_name=name,
                    sheet=options.get("sheet"),
                    classify_rows=options["dry_run"],
                )
            except FileRejected as exc:
                raise CommandError(exc.message, returncode=_common.EXIT_UNREADABLE) from exc
            progress.update(step, completed=1)
            if plan.previous_import and not options["dry_run"]:
                out.print(
                    f"Hinweis: genau diese Datei wurde am "
                    f"{plan.previous_import.created_at:%d.%m.%Y %H:%M} schon importiert; "
                    "bekannte Fälle werden übersprungen."
                )
            if not options["dry_run"]:
                try:
                    logs = import_commit(plan=plan, actor=actor)
                except ImportFailed as exc:
                    raise CommandError(exc.message, returncode=_common.EXIT_UNREADABLE) from exc
            progress.update(step, completed=2)

        for line in _common.problem_lines(plan.outcomes):
            out.print(line)
        for notice in plan.notices:
            out.print(f"Hinweis: {notice.message}")
        self._print_summary(out, plan, options["dry_run"])
        if not options["dry_run"]:
            out.print(
                "Importprotokoll: "
                + ", ".join(f"#{log.pk}{' ' + log.sheet if log.sheet else ''}" for log in logs)
            )
        errors = plan.counts[RowOutcome.FEHLER]
        _common.exit_with(_common.EXIT_ROW_ERRORS if errors else _common.EXIT_OK)

    def _print_summary(self, out, plan, dry_run):
        rows = []
        for sheet, rows_read in plan.sheets:
            counts = count_outcomes(o.kind for o in plan.outcomes if (o.row.sheet or "") == sheet)
            rows.append([sheet or plan.file_name, rows_read, *counts.values()])
        if len(plan.sheets) > 1:
            counts = plan.counts
            rows.append(["Summe", plan.rows_read, *(counts[k] for k in RowOutcome.values)])
        title = "Prüfung (nichts gespeichert)" if dry_run else "Import abgeschlossen"
        out.print(
            _common.summary_table(title, ["Blatt/Datei", "gelesen", *RowOutcome.labels], rows)
        )
