"""Synthetic import files for the import benchmarks: a CRM CSV and a historical workbook.

Names and numbers are generated (no real person); every row is valid so the benchmark measures
the import, not the error path. The data looks like real exports: surnames at real-world rates
with look-alikes that MariaDB's default collation folds together, stray blanks around names and
tickets, tickets in mixed case.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import openpyxl

from cases import demo, rules

# First names the case generator (cases.demo, bench/generate.py) never uses: no row of a file can
# be a duplicate of a generated case, so every row is new on the first run (the benchmark counts
# them) and a duplicate by its ticket on the second. Surnames come from the same weighted pool as
# the generated cases: repeats and look-alikes (Müller/Muller/MÜLLER, Weiß/Weiss, Kühn/Kuhn) in one
# week and Fallgruppe, in the file and against the database.
VORNAMEN = (  # noqa: SIM905 - a word list reads better as one string
    "Anna-Lena Karl-Heinz Hans-Peter Eva-Maria Marie-Luise Hans-Jürgen Klaus-Dieter Ann-Kathrin "
    "Jörg Björn Sören Käthe Grete Jörn Bärbel Dörte Gerd Sönke Jens Uta Ilse Götz Rüdiger "
    "Hannelore Lüder Maren Frauke Ute Heiko Detlef"
).split()
if set(VORNAMEN) & {*demo.FIRST_NAMES_W, *demo.FIRST_NAMES_M}:
    raise RuntimeError("bench/files.py: first names must differ from the generated cases'")
MODULE = list(rules.MODUL_TEXTS.values())
# Cells with a blank before or after the text, as exports and hand-kept workbooks have them.
P_STRAY_SPACES = 0.05
# Tickets as typed: mostly upper case, some lower or mixed case (the import upper-cases them).
P_TICKET_LOWER = 0.10
P_TICKET_MIXED = 0.05


def _kvnr(rng):
    letter = chr(ord("A") + rng.randrange(26))
    stem = letter + "".join(str(rng.randrange(10)) for _ in range(8))
    return stem + str(rules.kvnr_check_digit(stem))


def _stray_spaces(rng, text):
    if rng.random() >= P_STRAY_SPACES:
        return text
    return rng.choice((f"{text} ", f" {text}", f"  {text} ", f"{text}  "))


def _ticket(rng, ticket):
    draw = rng.random()
    if draw < P_TICKET_LOWER:
        ticket = ticket.lower()
    elif draw < P_TICKET_LOWER + P_TICKET_MIXED:
        ticket = ticket[:1] + ticket[1:].lower()
    return _stray_spaces(rng, ticket)


class _People:
    """Distinct persons: a (surname, first name, birth date) drawn again when the row's
    duplicate key (domain.md §4) was given to an earlier row of the file."""

    def __init__(self, rng):
        self.rng = rng
        self.keys = set()

    def person(self, fallgruppe, datum):
        rng = self.rng
        nachname = demo.surname_for(rng)
        vorname = rng.choice(VORNAMEN)
        while True:
            geburt = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
            key = rules.duplicate_key(
                nachname=nachname,
                vorname=vorname,
                geburtsdatum=geburt,
                fallgruppe=fallgruppe,
                datum=datum,
            )
            if key not in self.keys:
                self.keys.add(key)
                return _stray_spaces(rng, nachname), _stray_spaces(rng, vorname), geburt


def crm_csv(rows: int, *, seed: int = 7, ticket_prefix: str = "BCRM-") -> bytes:
    """A CRM export with `rows` new cases, UTF-8 with BOM, comma-separated."""
    rng = random.Random(seed)
    people = _People(rng)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Thema", "Erstellungsdatum", "Modul", "Hauptkontakt", "Bearbeiter"])
    start = dt.date(2026, 1, 5)
    for i in range(rows):
        datum = start + dt.timedelta(days=rng.randrange(300))
        modul = rng.choice(MODULE)
        nachname, vorname, geburt = people.person(modul, datum)
        writer.writerow(
            [
                _ticket(rng, f"{ticket_prefix}{i:07d}"),
                "Zweitmeinung – Anfrage",
                f"{datum:%d.%m.%y}, {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}",
                modul,
                f"{nachname} | {vorname} | {geburt:%d.%m.%Y} | {_kvnr(rng)}",
                rng.choice(["S. Adam", "M. Celik", "K. Brandt"]),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


HISTORICAL_HEADERS = [
    "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "KVNR", "Geschlecht",
    "Telefon", "E-Mail", "CRM-Ticket", "Thema", "Bearbeiter", "Kontaktkanal", "Kurzbeschreibung",
    "Fragestellung", "Behandelnde Klinik", "Unterlagen", "Unterlagen angefordert",
    "Unterlagen Eingang", "Ablehnung", "Ablehnungsgrund", "Abbruch", "Abbruchgrund", "Abbruch am",
    "Gutachten", "Gutachter", "Gutachten am", "Gutachten-Typ", "Therapieänderung",
    "Diagnosekorrektur", "Unterversorgung", "Übertherapie", "ICD", "Abgerechnet",
    "Abrechnungsdatum", "Rechnungsnummer", "Betrag", "Bemerkung",
]  # fmt: skip


def historical_workbook(rows: int, *, seed: int = 11, year: int = 2024) -> bytes:
    """An `Abrechnung_DAK.xlsx` with one year sheet of `rows` filled cases (all 39 columns)."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(str(year))
    ws.append(HISTORICAL_HEADERS)
    people = _People(rng)
    first = dt.date.fromisocalendar(year, 1, 1)
    for i in range(rows):
        datum = first + dt.timedelta(days=rng.randrange(360))
        _jahr, kw = rules.iso_week(datum)
        fallgruppe = rng.choice(list(rules.FALLGRUPPEN.values()))
        nachname, vorname, geburt = people.person(fallgruppe, datum)
        gutachten = rng.random() < 0.4
        ta = rng.choice(["Ja", "Nein"]) if gutachten else None
        ws.append(
            [
                kw, datum, fallgruppe, nachname, vorname,
                geburt, _kvnr(rng), rng.choice(["w", "m"]), "0151 000000", "",
                _ticket(rng, f"BH-{i:07d}"),
                "Zweitmeinung", "S. Adam", "Telefon", "Kurzbeschreibung", "Fragestellung",
                "Klinikum", "Ja", datum, datum, "Nein", "", "Nein", "", None,
                "Ja" if gutachten else "Nein", "Zentrum" if gutachten else "",
                datum if gutachten else None,
                rng.choice(["Bestätigung", "Alternative"]) if gutachten else "",
                ta or "", "x" if ta == "Ja" else "", "", "", "C50.1, C79.5",
                "Ja", datum, f"R-{i}", "1.234,56 €", "",
            ]
        )  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
