"""Helpers for tests of look-alike surnames: what MariaDB's default collation would fold."""

import unicodedata
from collections import Counter, defaultdict


def collation_fold(text):
    """Roughly utf8mb4_unicode_ci's equality: accents dropped, case folded (ß = ss), blanks
    trimmed — enough to find names that collation treats as one (Kühn = Kuhn, Weiß = Weiss)."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def lookalike_groups(rows):
    """For (group key, surname) rows: (group, spellings) for each set of different spellings
    in one group that fold together."""
    spellings = defaultdict(lambda: defaultdict(set))
    for group, nachname in rows:
        spellings[group][collation_fold(nachname)].add(nachname.strip())
    return [
        (group, sorted(names))
        for group, folded in spellings.items()
        for names in folded.values()
        if len(names) > 1
    ]


def repeated_surnames(rows):
    """(group key, surname) pairs that occur more than once."""
    return {key for key, count in Counter((g, n.strip()) for g, n in rows).items() if count > 1}
