"""Small catalogue files in the BfArM format (icd10gm{Jahr}syst_kodes.txt), written by the tests.

28 `;`-separated fields as in the 2025/2026 files; only fields 1, 2, 7 and 9 are read, the
others carry plausible values so that a line looks like the real thing.
"""


def kodes_line(level, terminal, code, title):
    group = code[:3]
    marked = f"{code}.-" if level == 3 else code
    fields = [
        str(level),  # 1 Klassifikationsebene
        "T" if terminal else "N",  # 2 Ort im Baum
        "X" if level != 5 else "S",  # 3 Art der Vier- und Fünfsteller
        "02",  # 4 Kapitel
        group,  # 5 erster Dreisteller der Gruppe
        marked,  # 6 Schlüsselnummer mit Strich
        code,  # 7 Schlüsselnummer ohne Strich, Stern, Ausrufezeichen
        code.replace(".", ""),  # 8 ohne Punkt
        title,  # 9 Klassentitel
        title,  # 10 Dreistellertitel
        "",  # 11 Viersteller
        "",  # 12 Fünfsteller
        "P",  # 13 Verwendung § 295
        "P",  # 14 Verwendung § 301
        "1-002",
        "2-001",
        "3-003",
        "4-002",
        "001",
        "9",
        "9",
        "999",
        "9999",
        "999",
        "9999",
        "9",
        "N",
        "J",
    ]
    assert len(fields) == 28
    return ";".join(fields)


# (level, terminal, code, title)
ROWS_2025 = [
    (3, False, "C50", "Bösartige Neubildung der Brustdrüse [Mamma]"),
    (4, True, "C50.1", "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse"),
    (3, False, "E11", "Diabetes mellitus, Typ 2"),
    (4, False, "E11.9", "Diabetes mellitus, Typ 2: Ohne Komplikationen"),
    (
        5,
        True,
        "E11.90",
        "Diabetes mellitus, Typ 2: Ohne Komplikationen: Nicht als entgleist bezeichnet",
    ),
    (4, True, "K55.0", "Akute Gefäßkrankheiten des Darmes"),
    (4, True, "Z99.9", "Abhängigkeit von einem nicht näher bezeichneten Hilfsmittel"),
]

# The next year: Z99.9 dropped, C79.5 new, one title changed.
ROWS_2026 = [
    (3, False, "C50", "Bösartige Neubildung der Brustdrüse [Mamma]"),
    (4, True, "C50.1", "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse"),
    (4, True, "C79.5", "Sekundäre bösartige Neubildung der Knochen und des Knochenmarkes"),
    (3, False, "E11", "Diabetes mellitus, Typ 2"),
    (4, False, "E11.9", "Diabetes mellitus, Typ 2: Ohne Komplikationen"),
    (
        5,
        True,
        "E11.90",
        "Diabetes mellitus, Typ 2: Ohne Komplikationen: Nicht als entgleist bezeichnet",
    ),
    (4, True, "K55.0", "Akute Gefäßkrankheiten des Darms"),
]


def kodes_text(rows):
    return "\r\n".join(kodes_line(*row) for row in rows) + "\r\n"


def cp1252_file(rows=ROWS_2025):
    """As older BfArM downloads and Windows tools write it."""
    return kodes_text(rows).encode("cp1252")


def utf8_file(rows=ROWS_2026):
    """UTF-8 with a byte-order mark, as Windows editors save it."""
    return b"\xef\xbb\xbf" + kodes_text(rows).encode("utf-8")
