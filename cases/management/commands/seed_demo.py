"""`manage.py seed_demo`: fictitious demo cases and demo logins for development."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases import demo

MAX_WEEKS = 520
TOTP_HINT = """\
    Zwei-Faktor-Anmeldung (TOTP) ist eingerichtet. In einer Authenticator-App
    (z. B. FreeOTP, Aegis, Google/Microsoft Authenticator) ein Konto mit
    diesem Schlüssel anlegen oder die otpauth-URI als QR-Code einlesen:"""


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


class Command(BaseCommand):
    help = (
        "Legt fiktive Demo-Fälle (zwei volle Jahre und das laufende Jahr bis zur aktuellen KW) "
        "sowie einen Demo-Administrator und einen DAK-Demo-Benutzer an. Wiederholbar: ein "
        "zweiter Lauf legt nichts neu an."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--weeks",
            type=int,
            help="nur die letzten N Kalenderwochen bis einschließlich der aktuellen",
        )
        parser.add_argument(
            "--per-week",
            type=int,
            default=demo.DEMO_PER_WEEK,
            help=f"ungefähre Fälle je Kalenderwoche (Standard {demo.DEMO_PER_WEEK})",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEMO_SEED, help="Startwert des Zufallsgenerators"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="auch mit DJANGO_ENV=production ausführen (feste Demo-Passwörter!)",
        )

    def handle(self, *args, weeks, per_week, seed, force, **options):
        if settings.DJANGO_ENV == "production" and not force:
            raise CommandError(
                "seed_demo legt Benutzer mit bekannten Demo-Passwörtern an und ist für die "
                "Produktion gesperrt (DJANGO_ENV=production). Nur mit --force ausführen, wenn "
                "das wirklich gewollt ist."
            )
        # Ten years back at most: the database accepts ISO years from 2000 on only.
        if weeks is not None and not 1 <= weeks <= MAX_WEEKS:
            raise CommandError(f"--weeks muss zwischen 1 und {MAX_WEEKS} liegen.")
        if per_week < 1:
            raise CommandError("--per-week muss mindestens 1 sein.")

        started = time.monotonic()
        admin, dak = demo.ensure_demo_users()
        result = demo.seed_demo_cases(
            weeks=weeks, per_week=per_week, seed=seed, admin=admin.user, dak_user=dak.user
        )
        seconds = time.monotonic() - started

        first, last = result.weeks[0], result.weeks[-1]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo-Fälle {first[0]}-KW{first[1]:02d} bis {last[0]}-KW{last[1]:02d}: "
                f"{_number(result.created)} neu angelegt ({_number(result.icd_codes)} ICD-Codes), "
                f"{_number(result.existing)} waren schon vorhanden ({seconds:.1f} s)."
            )
        )
        self._print_logins(admin, dak)

    def _print_logins(self, admin, dak):
        write = self.stdout.write
        write("")
        write(self.style.WARNING("Demo-Anmeldungen – nur für die Entwicklung, alle Daten fiktiv:"))
        for login in (admin, dak):
            state = "neu angelegt" if login.created else "vorhanden"
            if login.password_reset:
                state += ", Passwort auf das Demo-Passwort zurückgesetzt"
            write("")
            write(f"  {login.user.get_role_display()} ({state})")
            write(f"    E-Mail:   {login.user.email}")
            write(f"    Passwort: {login.password}")
            if login.totp_secret:
                write(TOTP_HINT)
                write(f"    Schlüssel:   {login.totp_secret}")
                write(f"    otpauth-URI: {login.totp_uri}")
            else:
                write("    Zwei-Faktor-Anmeldung: optional, in den Kontoeinstellungen.")
