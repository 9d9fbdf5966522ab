"""Shared output and exit codes of the import commands (0 all fine, 1 rows in error,
2 file unreadable)."""

import sys
from pathlib import Path

from django.core.management.base import CommandError
from rich.console import Console
from rich.table import Table

from accounts.actor import Actor
from accounts.addresses import login_name
from accounts.models import User

EXIT_OK = 0
EXIT_ROW_ERRORS = 1
EXIT_UNREADABLE = 2


def read_bytes(path):
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"Datei nicht gefunden: {path}", returncode=EXIT_UNREADABLE)
    return file.read_bytes()


def command_actor(email, *, required=False):
    """The Actor of a command: the active user named by --user, or the command line itself
    (the import log then shows "Kommandozeile")."""
    if not email:
        if required:
            raise CommandError("--user E-MAIL ist erforderlich.", returncode=EXIT_UNREADABLE)
        return Actor.command_line()
    # Addresses are stored normalised and compared exactly (accounts.addresses).
    user = User.objects.filter(email=login_name(email), is_active=True).first()
    if user is None:
        raise CommandError(f"Kein aktiver Benutzer mit der E-Mail {email}.", returncode=2)
    return Actor.command_line(user)


def console(stdout):
    return Console(file=stdout, highlight=False, soft_wrap=True)


def summary_table(title, columns, rows):
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*[str(v) for v in row])
    return table


def problem_lines(outcomes, limit=50):
    """Row errors and warnings for the terminal; values are not echoed (they may be personal)."""
    lines = []
    for outcome in outcomes:
        row = outcome.row
        where = f"{row.sheet} " if row.sheet else ""
        for p in row.errors:
            lines.append(f"[red]Fehler[/red]   {where}Zeile {p.row}: {p.column or ''} {p.message}")
        for p in row.warnings:
            lines.append(
                f"[yellow]Warnung[/yellow]  {where}Zeile {p.row}: {p.column or ''} {p.message}"
            )
        for note in outcome.notes:
            lines.append(f"[yellow]Hinweis[/yellow]  {where}Zeile {row.row_number}: {note}")
    if len(lines) > limit:
        lines = [
            *lines[:limit],
            f"… und {len(lines) - limit} weitere Meldungen (siehe Importprotokoll)",
        ]
    return lines


def exit_with(code):
    if code:
        sys.exit(code)
