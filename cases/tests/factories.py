"""Test data for cases: synthetic people only."""

import datetime as dt

from cases.models import Case, Quelle


def make_case(**overrides):
    values = {
        "datum": dt.date(2026, 2, 2),
        "fallgruppe": "onko",
        "nachname": "Muster",
        "vorname": "Erika",
        "quelle": Quelle.MANUELL,
    }
    values.update(overrides)
    case = Case(**values)
    case.save()
    return case
