"""`manage.py build_yearly_summary --jahr J [--user EMAIL]`: stores the year's summary computed
from its cases (replacing an earlier one)."""

from django.core.management.base import BaseCommand, CommandError

from imports.management.commands._common import command_actor
from reports.summaries import SummaryError, yearly_summary_build


class Command(BaseCommand):
    help = "Berechnet die Jahreszusammenfassung eines Jahres aus seinen Fällen und speichert sie."

    def add_arguments(self, parser):
        parser.add_argument("--jahr", type=int, required=True, help="ISO-Jahr")
        parser.add_argument(
            "--user", metavar="EMAIL", help="wer es veranlasst (sonst Kommandozeile)"
        )

    def handle(self, *args, jahr, user, **options):
        actor = command_actor(user)
        try:
            summary = yearly_summary_build(jahr=jahr, actor=actor)
        except SummaryError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{summary} gespeichert: {summary.erstberatungen} Erstberatungen, "
            f"{summary.gutachten} Gutachten (bis KW {summary.bis_kw})."
        )
