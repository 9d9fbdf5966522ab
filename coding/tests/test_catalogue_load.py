import hashlib

import pytest
from django.db import connection

from accounts.actor import Actor
from accounts.models import AuditLog
from coding.catalogue import CATALOGUE_LOADED, catalogue_load
from coding.models import ICDCatalogueEntry, ICDCatalogueVersion
from coding.tests.catalogue_files import (
    ROWS_2025,
    cp1252_file,
    kodes_line,
    kodes_text,
    utf8_file,
)
from imports.readers.base import FileRejected

pytestmark = pytest.mark.django_db

NAME_2025 = "icd10gm2025syst_kodes.txt"
NAME_2026 = "icd10gm2026syst_kodes.txt"


def entries():
    return {
        e.code: (e.level, e.terminal, e.title)
        for e in ICDCatalogueEntry.objects.select_related("version")
    }


def test_a_windows_1252_file_loads_every_code_with_level_terminal_flag_and_german_title(
    admin_user,
):
    data = cp1252_file()
    version = catalogue_load(data=data, file_name=NAME_2025, actor=Actor.command_line(admin_user))

    loaded = entries()
    assert len(loaded) == 7
    assert loaded["C50"] == (3, False, "Bösartige Neubildung der Brustdrüse [Mamma]")
    assert loaded["C50.1"] == (
        4,
        True,
        "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse",
    )
    assert loaded["E11.90"][:2] == (5, True)
    assert loaded["K55.0"][2] == "Akute Gefäßkrankheiten des Darmes"
    assert (version.year, version.code_count, version.terminal_count) == (2025, 7, 4)
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.file_name == NAME_2025
    assert version.loaded_by == admin_user
    entry = AuditLog.objects.get(action=CATALOGUE_LOADED)
    assert entry.user == admin_user
    assert entry.new_values["jahr"] == 2025
    assert entry.new_values["codes"] == 7


def test_reloading_replaces_the_catalogue_with_the_new_file():
    catalogue_load(data=cp1252_file(), file_name=NAME_2025)
    version = catalogue_load(data=utf8_file(), file_name=NAME_2026)

    loaded = entries()
    assert "Z99.9" not in loaded  # only in 2025
    assert loaded["C79.5"] == (
        4,
        True,
        "Sekundäre bösartige Neubildung der Knochen und des Knochenmarkes",
    )
    assert loaded["K55.0"][2] == "Akute Gefäßkrankheiten des Darms"  # UTF-8 with BOM
    assert len(loaded) == 7
    assert list(ICDCatalogueVersion.objects.values_list("year", flat=True)) == [2026]
    assert set(ICDCatalogueEntry.objects.values_list("version", flat=True)) == {version.pk}
    second = AuditLog.objects.filter(action=CATALOGUE_LOADED).order_by("-pk").first()
    assert second.old_values["jahr"] == 2025
    assert second.new_values["jahr"] == 2026


def test_the_year_option_names_a_file_saved_under_another_name():
    version = catalogue_load(data=utf8_file(), file_name="katalog.txt", year=2026)
    assert version.year == 2026


def _bad_line(text):
    """The 2025 file with one line replaced by text at line 4."""
    lines = kodes_text(ROWS_2025).split("\r\n")
    lines[3] = text
    return "\r\n".join(lines).encode("cp1252")


BAD_FILES = {
    "leer": (b"", NAME_2026, ["Die Datei ist leer."]),
    "nur Leerzeilen": (b"\r\n  \r\n", NAME_2026, ["keine Zeilen"]),
    "binär": (b"\x00\x01\x02\x03" * 200, NAME_2026, ["Binärdaten"]),
    "ZIP-Archiv": (b"PK\x03\x04" + b"\x00" * 100, NAME_2026, ["ZIP-Archiv", "entpacken"]),
    "CRM-Export statt Katalog": (
        (
            "Hauptkontakt;Erstellungsdatum;Modul\n"
            "Müller, Jürgen;03.02.2026;Zweitmeinung Onkologie\n"
        ).encode(),
        NAME_2026,
        ["keine gültige ICD-10-GM-Kodedatei", "Zeile 1: 3 Felder", "mindestens 9"],
    ),
    "Zeile mit falscher Feldzahl": (
        _bad_line("4;T;X;02;C50;C50.2;C50.2;C502;Oberer innerer Quadrant"),
        NAME_2026,
        ["Zeile 4: 9 Felder statt 28 wie in Zeile 1"],
    ),
    "Ebene 6": (
        _bad_line(kodes_line(4, True, "C50.2", "Oberer innerer Quadrant").replace("4;", "6;", 1)),
        NAME_2026,
        ["Zeile 4: Feld 1 (Ebene) ist „6“ statt 3, 4 oder 5."],
    ),
    "Endständigkeit weder T noch N": (
        _bad_line(kodes_line(4, True, "C50.2", "Oberer innerer Quadrant").replace(";T;", ";J;")),
        NAME_2026,
        ["Zeile 4: Feld 2 (endständig) ist „J“ statt T oder N."],
    ),
    "Code mit O statt Null": (
        _bad_line(kodes_line(4, True, "C5O.2", "Oberer innerer Quadrant")),
        NAME_2026,
        ["Zeile 4: Feld 7 (Code) „C5O.2“ ist kein ICD-Code"],
    ),
    "Code klein geschrieben": (
        _bad_line(kodes_line(4, True, "c50.2", "Oberer innerer Quadrant")),
        NAME_2026,
        ["Zeile 4: Feld 7 (Code) „c50.2“ ist kein ICD-Code"],
    ),
    "Code mit Ausrufezeichen": (
        _bad_line(kodes_line(4, True, "U69.10!", "Sekundäre Codierung")),
        NAME_2026,
        ["Zeile 4: Feld 7 (Code) „U69.10!“ ist kein ICD-Code"],
    ),
    "Code passt nicht zur Ebene": (
        _bad_line(kodes_line(5, True, "C50.2", "Oberer innerer Quadrant")),
        NAME_2026,
        ["Zeile 4: Feld 7 (Code) „C50.2“ passt nicht zur Ebene 5 in Feld 1."],
    ),
    "Titel leer": (
        _bad_line(kodes_line(4, True, "C50.2", "  ")),
        NAME_2026,
        ["Zeile 4: Feld 9 (Titel) ist leer für Code „C50.2“."],
    ),
    "Code doppelt": (
        _bad_line(kodes_line(4, True, "C50.1", "Noch einmal")),
        NAME_2026,
        ["Zeile 4: Code „C50.1“ steht schon in Zeile 2."],
    ),
    "Jahr nicht im Dateinamen": (cp1252_file(), "katalog.txt", ["bitte mit --year angeben"]),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_in_german_and_leaves_the_loaded_catalogue_untouched(kind):
    before_version = catalogue_load(data=utf8_file(), file_name=NAME_2026)
    before = entries()
    data, file_name, expected = BAD_FILES[kind]

    with pytest.raises(FileRejected) as refused:
        catalogue_load(data=data, file_name=file_name)

    for text in expected:
        assert text in refused.value.message
    assert entries() == before
    assert list(ICDCatalogueVersion.objects.all()) == [before_version]
    assert ICDCatalogueVersion.objects.get().sha256 == before_version.sha256
    assert AuditLog.objects.filter(action=CATALOGUE_LOADED).count() == 1


def test_a_year_option_contradicting_the_file_name_is_refused():
    with pytest.raises(FileRejected) as refused:
        catalogue_load(data=cp1252_file(), file_name=NAME_2025, year=2026)
    assert "passt nicht zum Dateinamen (2025)" in refused.value.message
    assert not ICDCatalogueVersion.objects.exists()


def test_every_bad_line_up_to_ten_is_named_and_the_rest_counted():
    lines = [kodes_line(4, True, f"C50.{n}", "Titel").replace(";T;", ";?;") for n in range(12)]
    with pytest.raises(FileRejected) as refused:
        catalogue_load(data="\n".join(lines).encode(), file_name=NAME_2026)
    message = refused.value.message
    assert "Zeile 1:" in message
    assert "Zeile 10:" in message
    assert "Zeile 11:" not in message
    assert "… und 2 weitere fehlerhafte Zeilen." in message
    assert not ICDCatalogueEntry.objects.exists()


@pytest.mark.mariadb
def test_mariadb_compares_catalogue_codes_exactly():
    if connection.vendor != "mysql":
        pytest.skip("collations exist on MariaDB only")
    catalogue_load(data=utf8_file(), file_name=NAME_2026)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = 'code'",
            [ICDCatalogueEntry._meta.db_table],
        )
        assert cursor.fetchone()[0] == "utf8mb4_nopad_bin"
    assert ICDCatalogueEntry.objects.filter(code="C50.1").count() == 1
    assert ICDCatalogueEntry.objects.filter(code="c50.1").count() == 0
    assert ICDCatalogueEntry.objects.filter(code="C50.1 ").count() == 0
