"""The database compares identifiers exactly, as Python does (domain.md §3, "Exact keys").

These run on SQLite and on MariaDB; on MariaDB's default utf8mb4_unicode_ci collation each of them
failed before the identifier columns got a binary collation (cases.fields.ExactCharField).
"""

import datetime as dt

import pytest
from django.db import connection

from cases import rules
from cases.fields import exact_collation
from cases.models import Case, CaseICDCode, normalized_values
from imports.models import ImportLock, ImportLog, ImportType

pytestmark = pytest.mark.django_db

LOOK_ALIKES = [("Kühn", "Kuhn"), ("Weiß", "Weiss"), ("MÜLLER", "Müller"), ("Schröder", "Schroder")]
# Test ids name the difference, never the surname.
LOOK_ALIKE_IDS = ["umlaut-u", "eszett", "upper-case", "umlaut-o"]


def _insert_without_save(nachname, **extra):
    """A case row written the way bulk imports write it, fall_id built by the rule alone."""
    values = {
        "datum": dt.date(2025, 3, 24),
        "fallgruppe": "onko",
        "nachname": nachname,
        "vorname": "Eva",
        "quelle": "crm_csv",
        **extra,
    }
    values.update(normalized_values(values))
    values["fall_id"] = rules.build_fall_id(
        values["jahr"], values["kw"], values["fallgruppe"], nachname
    )
    Case.objects.bulk_create([Case(**values)])
    return values["fall_id"]


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES, ids=LOOK_ALIKE_IDS)
def test_the_unique_fall_id_index_keeps_look_alike_surnames_apart(first, second):
    ids = [_insert_without_save(first), _insert_without_save(second)]
    assert Case.objects.count() == 2
    for fall_id in ids:
        assert Case.objects.filter(fall_id=fall_id).count() == 1
        assert list(
            Case.objects.filter(fall_id__in=[fall_id]).values_list("fall_id", flat=True)
        ) == [fall_id]


def test_a_trailing_space_is_a_different_fall_id():
    _insert_without_save("Kuhn")
    assert not Case.objects.filter(fall_id="2025-13-onko-Kuhn ").exists()
    assert Case.objects.filter(fall_id="2025-13-onko-Kuhn").exists()


def test_tickets_differing_by_an_accent_are_two_tickets():
    _insert_without_save("Kuhn", crm_ticket_id="TK-1A")
    _insert_without_save("Kühn", crm_ticket_id="TK-1Á")
    assert Case.objects.filter(crm_ticket_id="TK-1A").count() == 1
    assert Case.objects.get(crm_ticket_id="TK-1Á").nachname == "Kühn"


def test_icd_code_rows_and_hashes_compare_exactly():
    _insert_without_save("Kuhn")
    case = Case.objects.get()
    CaseICDCode.objects.create(case=case, icd_code="C50.1", icd_hauptgruppe="C50")
    assert not CaseICDCode.objects.filter(icd_code="c50.1").exists()
    assert not CaseICDCode.objects.filter(icd_hauptgruppe="c50").exists()
    ImportLog.objects.create(file_name="a.csv", import_type=ImportType.CRM_CSV, sha256="ab" * 32)
    assert not ImportLog.objects.filter(sha256="AB" * 32).exists()
    ImportLock.objects.create(name="sperre-ä")
    ImportLock.objects.create(name="SPERRE-A")  # a different lock name, not a duplicate
    assert ImportLock.objects.filter(name__in=["sperre-ä", "SPERRE-A"]).count() == 2


def test_the_check_constraint_on_fallgruppe_is_exact_too():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_without_save("Kuhn", fallgruppe="ONKO")


@pytest.mark.mariadb
def test_mariadb_columns_carry_the_no_pad_binary_collation():
    if connection.vendor != "mysql":
        pytest.skip("collations exist on MariaDB only")
    assert exact_collation(connection) == "utf8mb4_nopad_bin"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s",
            [Case._meta.db_table, "nachname"],
        )
        # Names keep the German, case-insensitive collation for sorting and search.
        assert cursor.fetchone()[0].endswith("_ci")
    assert Case.objects.filter(nachname="kühn").count() == 0  # nothing stored yet
    _insert_without_save("Kühn")
    assert Case.objects.filter(nachname="KÜHN").count() == 1
