import datetime as dt
import itertools
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_jahr_and_kw_are_the_iso_week_of_datum():
    case = make_case(datum=dt.date(2024, 12, 31))
    assert (case.jahr, case.kw) == (2025, 1)


def test_jahr_and_kw_follow_a_changed_datum():
    case = make_case(datum=dt.date(2021, 1, 3))
    assert (case.jahr, case.kw) == (2020, 53)
    case.datum = dt.date(2026, 12, 31)
    case.save()
    case.refresh_from_db()
    assert (case.jahr, case.kw) == (2026, 53)


def test_fall_id_is_year_week_group_and_surname():
    case = make_case(datum=dt.date(2026, 2, 2), fallgruppe="onko", nachname="Muster")
    assert case.fall_id == "2026-06-onko-Muster"


def test_colliding_fall_ids_get_numbered_suffixes():
    ids = [make_case(vorname=f"P{i}").fall_id for i in range(3)]
    assert ids == ["2026-06-onko-Muster", "2026-06-onko-Muster-2", "2026-06-onko-Muster-3"]


def test_fall_id_never_changes_once_given():
    case = make_case()
    case.nachname = "Anders"
    case.datum = dt.date(2025, 5, 5)
    case.save()
    case.refresh_from_db()
    assert case.fall_id == "2026-06-onko-Muster"
    assert (case.jahr, case.kw) == (2025, 19)


def test_a_long_surname_is_cut_so_the_fall_id_fits():
    case = make_case(nachname="X" * 100)
    assert len(case.fall_id) == 100
    second = make_case(nachname="X" * 100, vorname="Zweite")
    assert len(second.fall_id) <= 100
    assert second.fall_id.endswith("-2")


def test_text_is_trimmed_and_kvnr_and_icd_upper_cased():
    case = make_case(nachname="  Muster ", vorname=" Erika  ", kvnr=" d410126355 ", icd=" c50.1 ")
    case.refresh_from_db()
    assert (case.nachname, case.vorname) == ("Muster", "Erika")
    assert case.kvnr == "D410126355"
    assert case.icd == "C50.1"


def test_empty_ticket_is_stored_as_null_so_many_cases_may_lack_one():
    first = make_case(crm_ticket_id="  ")
    second = make_case(crm_ticket_id="", vorname="Zweite")
    assert first.crm_ticket_id is None
    assert second.crm_ticket_id is None


def test_a_ticket_id_is_unique():
    make_case(crm_ticket_id="T-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_case(crm_ticket_id="T-1", vorname="Zweite")


def test_duplicate_key_ignores_case_whitespace_and_sharp_s():
    a = make_case(nachname="Strauß", vorname="Anna  Maria", geburtsdatum=dt.date(1960, 4, 28))
    b = Case(
        nachname=" STRAUSS ",
        vorname="anna maria",
        geburtsdatum=dt.date(1960, 4, 28),
        datum=dt.date(2026, 2, 2),
        fallgruppe="onko",
    )
    b.normalize()
    assert a.duplicate_key == b.duplicate_key


def test_kvnr_validity_is_flagged_not_enforced():
    assert make_case(kvnr="D410126355").kvnr_valid
    invalid = make_case(kvnr="X123", vorname="Zweite")
    invalid.refresh_from_db()
    assert invalid.kvnr == "X123"
    assert not invalid.kvnr_valid


@pytest.mark.parametrize(
    "values",
    [
        {"gutachten": False, "gutachten_typ": "Bestätigung"},
        {"gutachten": False, "therapieaenderung": "Nein"},
        {"gutachten": True, "therapieaenderung": "Nein", "ta_unterversorgung": True},
        {"gutachten": True, "ta_diagnosekorrektur": True},
        {"gutachten": True, "gutachten_typ": "Vielleicht"},
        {"fallgruppe": "ortho"},
    ],
    ids=[
        "typ_without_gutachten",
        "therapieaenderung_without_gutachten",
        "ta_flag_with_ta_nein",
        "ta_flag_without_ta",
        "unknown_typ",
        "unknown_fallgruppe",
    ],
)
def test_the_database_refuses_values_the_rules_forbid(values):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_case(**values)


@pytest.mark.parametrize("field,value", [("kw", 54), ("kw", 0), ("jahr", 1999), ("jahr", 2101)])
def test_the_database_refuses_week_and_year_out_of_range(field, value):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**{field: value})


def test_ablehnung_and_abbruch_together_are_allowed():
    case = make_case(ablehnung=True, abbruch=True)
    assert case.status == "abgebrochen"


def test_ta_flags_with_ta_ja_are_allowed():
    case = make_case(
        gutachten=True, gutachten_typ="Alternative", therapieaenderung="Ja", ta_uebertherapie=True
    )
    assert case.status == "gutachten_codiert"


def test_status_filter_agrees_with_the_status_property_for_every_combination():
    flags = ("abbruch", "ablehnung", "gutachten", "unterlagen")
    for i, combo in enumerate(itertools.product([False, True], repeat=4)):
        values = dict(zip(flags, combo, strict=True))
        for typ in (None, "Bestätigung") if values["gutachten"] else (None,):
            make_case(vorname=f"V{i}{typ}", gutachten_typ=typ, **values)
    statuses = {"offen", "unterlagen", "gutachten", "gutachten_codiert", "abgelehnt", "abgebrochen"}
    seen = set()
    for status in statuses:
        for case in Case.objects.with_status(status):
            assert case.status == status
            seen.add(case.pk)
    assert seen == set(Case.objects.values_list("pk", flat=True))


def test_pending_queues():
    no_icd = make_case(icd=None)
    coded = make_case(icd="C50.1", vorname="Zweite", gutachten=True)
    assert list(Case.objects.pending_icd()) == [no_icd]
    assert list(Case.objects.pending_coding()) == [coded]


def test_icd_codes_are_unique_per_case():
    case = make_case()
    CaseICDCode.objects.create(case=case, icd_code="C50.1", icd_hauptgruppe="C50")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseICDCode.objects.create(case=case, icd_code="C50.1", icd_hauptgruppe="C50")


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_never_share_a_fall_id():
    if connection.vendor != "mysql":
        pytest.skip("needs a real server with concurrent connections (MariaDB)")
    barrier = threading.Barrier(4)
    errors = []

    def worker(n):
        from django.db import connections

        try:
            barrier.wait()
            for j in range(5):
                make_case(vorname=f"T{n}-{j}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = list(Case.objects.values_list("fall_id", flat=True))
    assert len(ids) == 20
    assert len(set(ids)) == 20
