""" "ICD fehlt" is ``icd IS NULL`` (migration 0007): an empty ICD is stored as NULL by every
writer and refused by the table otherwise, old empty values became NULL, and on MariaDB the
list's filter and the ICD-Eingabe queue read their page in date order off the (icd, datum)
index instead of sorting every pending case."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from cases.models import Case
from cases.selectors import case_list
from cases.tests.factories import make_case
from cases.tests.plans import analyze, plans
from cases.tests.test_list_views import bulk_cases

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_an_empty_icd_is_stored_as_null_and_counts_as_missing(empty):
    case = make_case(nachname="Kühn", icd=empty)
    assert Case.objects.filter(pk=case.pk).values_list("icd", flat=True).get() is None
    assert list(Case.objects.pending_icd().values_list("pk", flat=True)) == [case.pk]


def test_the_table_refuses_an_empty_icd_written_past_the_model():
    case = make_case(nachname="Weiß", icd="I10")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(icd="")
    assert Case.objects.get(pk=case.pk).icd == "I10"


def test_a_case_with_codes_is_not_pending():
    coded = make_case(nachname="Groß", icd="C50.1")
    missing = make_case(nachname="Gross")
    assert list(Case.objects.pending_icd().values_list("pk", flat=True)) == [missing.pk]
    assert coded.pk not in Case.objects.pending_icd().values_list("pk", flat=True)


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_stored_empty_icds_into_null():
    executor = MigrationExecutor(connection)
    before = [("cases", "0006_report_cover_index")]
    after = executor.loader.graph.leaf_nodes("cases")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("cases", "Case")
    for pk, icd in ((1, ""), (2, "  "), (3, "I10"), (4, None)):
        old.objects.create(
            pk=pk,
            fall_id=f"2025-13-onko-Fall{pk}",
            quelle="crm_csv",
            datum=dt.date(2025, 3, 24),
            jahr=2025,
            kw=13,
            fallgruppe="onko",
            nachname=f"Fall{pk}",
            duplicate_key=f"{pk:064d}",
            icd=icd,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    assert dict(Case.objects.values_list("pk", "icd")) == {1: None, 2: None, 3: "I10", 4: None}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sort", ["-datum", "datum"])  # the list (newest) and the queue (oldest)
def test_mariadb_reads_a_page_of_pending_cases_off_the_index_without_sorting(sort, dak_user):
    if connection.vendor != "mysql":
        pytest.skip("the plan is MariaDB's")
    for week in range(12):
        datum = dt.date(2025, 1, 6) + dt.timedelta(weeks=week)
        bulk_cases(40, nachname="Müller", datum=datum, icd="I10")
        bulk_cases(10, nachname="Mueller", datum=datum)
    analyze("cases_case")
    page = case_list(user=dak_user, filters={"icd_fehlt": True}, sort=sort)
    [plan] = plans(page.values_list("pk", flat=True)[:51])
    assert plan["key"] == "case_icd_datum_idx", plan
    assert "filesort" not in (plan["Extra"] or ""), plan
    assert len(page[:51]) == 51
