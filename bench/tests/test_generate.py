"""bench/generate.py: many synthetic cases that the database and the domain rules accept."""

import datetime as dt

import pytest
from django.db import connection

from bench.generate import generate_cases
from cases import rules
from cases.models import Case, CaseICDCode

END = dt.date(2026, 11, 25)


def assert_rows_follow_the_rules():
    codes = {}
    for case_id, code, hauptgruppe in CaseICDCode.objects.values_list(
        "case_id", "icd_code", "icd_hauptgruppe"
    ):
        codes.setdefault(case_id, set()).add(code)
        assert hauptgruppe == rules.icd_hauptgruppe(code)
    tickets = []
    for case in Case.objects.all():
        assert (case.jahr, case.kw) == rules.iso_week(case.datum)
        assert case.fallgruppe in rules.FALLGRUPPEN
        assert case.fall_id.startswith(f"{case.jahr}-{case.kw:02d}-{case.fallgruppe}-")
        assert case.duplicate_key == rules.duplicate_key_digest(
            nachname=case.nachname,
            vorname=case.vorname,
            geburtsdatum=case.geburtsdatum,
            fallgruppe=case.fallgruppe,
            datum=case.datum,
        )
        assert set(rules.parse_icd(case.icd)) == codes.get(case.pk, set())
        if case.gutachten_typ or case.therapieaenderung:
            assert case.gutachten
        flags = (case.ta_diagnosekorrektur, case.ta_unterversorgung, case.ta_uebertherapie)
        assert any(flags) == (case.therapieaenderung == "Ja")
        assert case.kvnr is None or rules.kvnr_is_valid(case.kvnr)
        assert case.quelle == ("crm_csv" if case.crm_ticket_id else "historisch")
        assert case.created_at is not None
        assert case.telefon == "" and case.bemerkung == ""
        if case.crm_ticket_id:
            tickets.append(case.crm_ticket_id)
    fall_ids = list(Case.objects.values_list("fall_id", flat=True))
    assert len(fall_ids) == len(set(fall_ids))
    assert len(tickets) == len(set(tickets))


@pytest.mark.django_db
def test_it_inserts_valid_cases_with_unique_fall_ids():
    result = generate_cases(2_000, end=END, chunk_size=700)

    assert result.cases == 2_000
    assert Case.objects.count() == 2_000
    assert CaseICDCode.objects.count() == result.icd_codes > 1_500
    assert_rows_follow_the_rules()


@pytest.mark.django_db
def test_cases_spread_over_the_period_and_all_outcomes():
    generate_cases(2_000, end=END)

    assert Case.objects.order_by("datum").first().datum == dt.date(2020, 1, 1)
    assert Case.objects.order_by("datum").last().datum <= END
    assert set(Case.objects.values_list("jahr", flat=True)) == set(range(2020, 2027))
    for status, _label in rules.STATUS_CHOICES:
        assert Case.objects.with_status(status).exists(), status
    assert Case.objects.pending_icd().exists()
    assert set(Case.objects.values_list("fallgruppe", flat=True)) == set(rules.FALLGRUPPEN)


@pytest.mark.django_db
def test_a_second_run_adds_cases_without_colliding():
    generate_cases(600, end=END)
    generate_cases(600, end=END)

    assert Case.objects.count() == 1_200
    assert_rows_follow_the_rules()
    # The same seed draws the same surnames, so fall_ids of the second run needed suffixes.
    assert Case.objects.filter(fall_id__regex=r"-[0-9]+$").count() >= 600


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_cases():
    columns = ("fall_id", "nachname", "datum", "icd", "gutachten_typ", "duplicate_key")
    generate_cases(300, seed=7, end=END)
    first = list(Case.objects.order_by("id").values_list(*columns))
    Case.objects.all().delete()

    generate_cases(300, seed=7, end=END)

    assert list(Case.objects.order_by("id").values_list(*columns)) == first


@pytest.mark.django_db
def test_it_refuses_load_data_elsewhere_than_mariadb():
    if connection.vendor == "mysql":
        pytest.skip("MariaDB supports load_data")
    with pytest.raises(ValueError, match="MariaDB"):
        generate_cases(10, method="load_data")


def _index_names(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW INDEX FROM `{table}`")
        return {row[2] for row in cursor.fetchall()}


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rebuild_indexes", [False, True])
def test_load_data_inserts_valid_cases_and_keeps_the_indexes(rebuild_indexes):
    if connection.vendor != "mysql":
        pytest.skip("LOAD DATA needs MariaDB")
    indexes = {t: _index_names(t) for t in ("cases_case", "cases_caseicdcode")}
    loaded = []

    result = generate_cases(
        3_000, end=END, chunk_size=1_000, rebuild_indexes=rebuild_indexes, progress=loaded.append
    )

    assert result.method == "load_data"
    assert loaded == [1_000, 2_000, 3_000]
    assert Case.objects.count() == 3_000
    assert CaseICDCode.objects.count() == result.icd_codes
    assert_rows_follow_the_rules()
    assert {t: _index_names(t) for t in indexes} == indexes


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_rebuild_indexes_needs_empty_tables():
    if connection.vendor != "mysql":
        pytest.skip("LOAD DATA needs MariaDB")
    generate_cases(10, end=END)

    with pytest.raises(ValueError, match="empty"):
        generate_cases(10, end=END, rebuild_indexes=True)


@pytest.mark.django_db
def test_surnames_repeat_and_look_alikes_meet_in_one_week_and_group():
    from cases.tests.lookalikes import lookalike_groups, repeated_surnames

    # On MariaDB's default collation the look-alikes' fall_ids collided in the unique index.
    # Half a year, so a week holds about as many cases as at the benchmarks' million.
    generate_cases(3_000, start=END - dt.timedelta(weeks=26), end=END, chunk_size=1_000)

    rows = [
        ((jahr, kw, fallgruppe), nachname)
        for jahr, kw, fallgruppe, nachname in Case.objects.values_list(
            "jahr", "kw", "fallgruppe", "nachname"
        )
    ]
    assert len(lookalike_groups(rows)) >= 10
    assert len(repeated_surnames(rows)) >= 200
    assert any(nachname.isupper() for _group, nachname in rows)
    assert_rows_follow_the_rules()
