"""Synthetic import files for the import benchmarks: a CRM CSV and a historical workbook.

Names and numbers are generated (no real person); every row is valid so the benchmark measures
the import, not the error path.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import openpyxl

from cases import rules

NACHNAMEN = (  # noqa: SIM905 - a word list reads better as one string
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann"
).split()
VORNAMEN = (  # noqa: SIM905 - a word list reads better as one string
    "Anna Maria Emma Sophie Marie Laura Lea Lena Julia Hannah Paul Leon Lukas Jonas Finn Elias "
    "Felix Noah Max Ben Peter Klaus Jürgen Monika Ursula Sabine Petra Thomas Michael Andreas"
).split()
MODULE = list(rules.MODUL_TEXTS.values())


def _kvnr(rng):
    letter = chr(ord("A") + rng.randrange(26))
    stem = letter + "".join(str(rng.randrange(10)) for _ in range(8))
    return stem + str(rules.kvnr_check_digit(stem))


def _person(rng, i):
    # The index in the surname keeps every row a distinct person, so nothing is a duplicate.
    nachname = f"{rng.choice(NACHNAMEN)}-{i:06d}"
    geburt = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
    return nachname, rng.choice(VORNAMEN), geburt


def crm_csv(rows: int, *, seed: int = 7, ticket_prefix: str = "BCRM-") -> bytes:
    """A CRM export with `rows` new cases, UTF-8 with BOM, comma-separated."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Thema", "Erstellungsdatum", "Modul", "Hauptkontakt", "Bearbeiter"])
    start = dt.date(2026, 1, 5)
    for i in range(rows):
        nachname, vorname, geburt = _person(rng, i)
        datum = start + dt.timedelta(days=rng.randrange(300))
        writer.writerow(
            [
                f"{ticket_prefix}{i:07d}",
                "Zweitmeinung – Anfrage",
                f"{datum:%d.%m.%y}, {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}",
                rng.choice(MODULE),
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
    first = dt.date.fromisocalendar(year, 1, 1)
    for i in range(rows):
        nachname, vorname, geburt = _person(rng, i)
        datum = first + dt.timedelta(days=rng.randrange(360))
        _jahr, kw = rules.iso_week(datum)
        gutachten = rng.random() < 0.4
        ta = rng.choice(["Ja", "Nein"]) if gutachten else None
        ws.append(
            [
                kw, datum, rng.choice(list(rules.FALLGRUPPEN.values())), nachname, vorname,
                geburt, _kvnr(rng), rng.choice(["w", "m"]), "0151 000000", "", f"BH-{i:07d}",
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
