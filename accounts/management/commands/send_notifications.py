"""Send the outbox's pending e-mails (for a timer, e.g. every minute)."""

from django.core.management.base import BaseCommand

from accounts.models import OutboxEmail
from accounts.notifications import send_pending


class Command(BaseCommand):
    help = (
        "Sendet alle fälligen E-Mails aus dem Postausgang (Benachrichtigungen, Einladungen, "
        "Konto-E-Mails). Fehlgeschlagene werden mit wachsendem Abstand erneut versucht."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Auch E-Mails senden, deren nächster Versuch noch nicht fällig ist",
        )

    def handle(self, *args, now, **options):
        result = send_pending(ignore_schedule=now)
        waiting = OutboxEmail.objects.filter(sent_at__isnull=True).count()
        self.stdout.write(f"{result}; {waiting} warten noch.")
        if result.failed:
            # Non-zero exit makes a systemd timer show the failure.
            raise SystemExit(1)
