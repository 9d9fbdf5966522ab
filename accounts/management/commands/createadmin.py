"""Create an administrator: interactively, or with --email and the password from the environment."""

import getpass
import os

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services
from accounts.addresses import normalise_email
from accounts.models import Role, User

DEFAULT_PASSWORD_VARIABLE = "ADMIN_PASSWORD"  # noqa: S105 - a variable name


class Command(BaseCommand):
    help = (
        "Legt ein Administrator-Konto an. Ohne --noinput fragt der Befehl nach E-Mail und "
        "Passwort; mit --noinput kommt das Passwort aus der Umgebungsvariablen ADMIN_PASSWORD "
        "(oder der mit --password-env genannten). Die Zwei-Faktor-Anmeldung wird bei der ersten "
        "Anmeldung eingerichtet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="E-Mail-Adresse (Anmeldename)")
        parser.add_argument("--first-name", default="", help="Vorname")
        parser.add_argument("--last-name", default="", help="Nachname")
        parser.add_argument(
            "--password-env",
            default=DEFAULT_PASSWORD_VARIABLE,
            help="Umgebungsvariable mit dem Passwort (Standard: ADMIN_PASSWORD)",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Nichts abfragen (für Skripte)",
        )

    def handle(self, *args, email, first_name, last_name, password_env, interactive, **options):
        if interactive:
            email = email or input("E-Mail-Adresse: ")
            first_name = first_name or input("Vorname (optional): ")
            last_name = last_name or input("Nachname (optional): ")
        email = (email or "").strip().lower()
        if not email:
            raise CommandError("Bitte eine E-Mail-Adresse angeben (--email).")
        try:
            validate_email(email)
            email = normalise_email(email)
        except ValidationError as exc:
            reason = " ".join(exc.messages)
            raise CommandError(f"Ungültige E-Mail-Adresse {email}: {reason}") from exc
        if User.objects.filter(email=email).exists():
            raise CommandError(f"Für {email} gibt es bereits ein Konto.")
        candidate = User(email=email, first_name=first_name, last_name=last_name)
        password = (
            self._ask_password(candidate)
            if interactive
            else self._password_from_env(candidate, password_env)
        )
        user = services.user_create(
            email=email,
            password=password,
            role=Role.ADMIN,
            first_name=first_name,
            last_name=last_name,
            must_change_password=False,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator {user.email} angelegt. Bei der ersten Anmeldung wird die "
                "Zwei-Faktor-Anmeldung eingerichtet."
            )
        )

    def _password_from_env(self, candidate, variable):
        password = os.environ.get(variable, "")
        if not password:
            raise CommandError(f"Mit --noinput muss das Passwort in ${variable} stehen.")
        self._validate(password, candidate)
        return password

    def _ask_password(self, candidate):
        while True:
            password = getpass.getpass("Passwort: ")
            if password != getpass.getpass("Passwort (Wiederholung): "):
                self.stderr.write("Die Passwörter stimmen nicht überein.")
                continue
            try:
                self._validate(password, candidate)
            except CommandError as exc:
                self.stderr.write(str(exc))
                continue
            return password

    def _validate(self, password, candidate):
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
