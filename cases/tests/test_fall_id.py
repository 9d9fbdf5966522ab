"""fall_id: one first-free helper, exact about surnames (domain.md §3, "Exact keys").

Runs on SQLite and MariaDB; on MariaDB's utf8mb4_unicode_ci the look-alike saves failed with
"Duplicate entry … for key 'fall_id'" before the column was exact.
"""

import datetime as dt

import pytest
from django.db import connection

from cases import rules
from cases.models import Case, first_free_fall_ids
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db

MONDAY_KW13 = dt.date(2025, 3, 24)
# (first surname, second surname, test id); the ids name the difference, never a surname.
LOOK_ALIKES = [
    ("Kühn", "Kuhn", "umlaut"),
    ("Weiß", "Weiss", "eszett"),
    ("MÜLLER", "Müller", "upper-case"),
    ("Groß", "Gross", "eszett-2"),
    ("Schröder", "Schroder", "umlaut-o"),
]


@pytest.mark.parametrize(
    ("first", "second"), [p[:2] for p in LOOK_ALIKES], ids=[p[2] for p in LOOK_ALIKES]
)
def test_look_alike_surnames_in_one_week_and_group_get_two_fall_ids(first, second):
    a = make_case(datum=MONDAY_KW13, nachname=first, vorname="Eva")
    b = make_case(datum=MONDAY_KW13, nachname=second, vorname="Ida")
    assert (a.fall_id, b.fall_id) == (f"2025-13-onko-{first}", f"2025-13-onko-{second}")
    assert Case.objects.count() == 2
    # The second spelling again takes the next suffix of its own stem, not of the other one.
    c = make_case(datum=MONDAY_KW13, nachname=second, vorname="Uta")
    assert c.fall_id == f"2025-13-onko-{second}-2"


def test_the_helper_counts_one_surname_up_in_item_order():
    stem = (2025, 13, "onko")
    ids = first_free_fall_ids(
        [(*stem, "Kühn"), (*stem, "Kuhn"), (*stem, " Kühn "), (*stem, "Kühn")]
    )
    assert ids == [
        "2025-13-onko-Kühn",
        "2025-13-onko-Kuhn",
        "2025-13-onko-Kühn-2",
        "2025-13-onko-Kühn-3",
    ]


def test_the_helper_fills_the_first_gap_and_skips_reserved_ids():
    for _ in range(3):
        make_case(datum=MONDAY_KW13, nachname="Weiß")
    Case.objects.filter(fall_id="2025-13-onko-Weiß-2").delete()
    reserved = {"2025-13-onko-Weiß-4"}
    ids = first_free_fall_ids([(2025, 13, "onko", "Weiß")] * 3, reserved=reserved)
    assert ids == ["2025-13-onko-Weiß-2", "2025-13-onko-Weiß-5", "2025-13-onko-Weiß-6"]
    assert {"2025-13-onko-Weiß-2", "2025-13-onko-Weiß-6"} <= reserved


def test_the_helper_finds_a_high_suffix_in_a_few_queries(django_assert_max_num_queries):
    existing = [
        Case(
            fall_id=rules.build_fall_id(2025, 13, "onko", "Müller", suffix=s),
            quelle="manuell",
            datum=MONDAY_KW13,
            jahr=2025,
            kw=13,
            fallgruppe="onko",
            nachname="Müller",
            duplicate_key=f"{s:064d}",
        )
        for s in range(1, 41)
    ]
    Case.objects.bulk_create(existing)
    items = [(2025, 13, "onko", "Müller"), (2025, 13, "onko", "Muller")] + [
        (2025, 14, "kardio", f"Name{n}") for n in range(300)
    ]
    with django_assert_max_num_queries(8):
        ids = first_free_fall_ids(items)
    assert ids[:2] == ["2025-13-onko-Müller-41", "2025-13-onko-Muller"]
    assert ids[2] == "2025-14-kardio-Name0"


def test_the_helper_without_database_uses_the_ids_it_is_given(django_assert_num_queries):
    with django_assert_num_queries(0):
        ids = first_free_fall_ids(
            [(2025, 13, "sd", "Kuhn")] * 2, existing={"2025-13-sd-Kuhn", "2025-13-sd-Kuhn-3"}
        )
    assert ids == ["2025-13-sd-Kuhn-2", "2025-13-sd-Kuhn-4"]


def test_long_surnames_cut_alike_never_share_an_id():
    # Two surnames that differ only beyond the cut give the same ids; the second counts on.
    long_a, long_b = "Ä" * 120 + "a", "Ä" * 120 + "b"
    ids = first_free_fall_ids([(2025, 13, "onko", long_a), (2025, 13, "onko", long_b)])
    assert len(set(ids)) == 2 and all(len(i) <= 100 for i in ids)
    assert ids[1].endswith("-2")


@pytest.mark.mariadb
def test_mariadb_compares_the_candidates_exactly():
    if connection.vendor != "mysql":
        pytest.skip("the collation question exists on MariaDB only")
    make_case(datum=MONDAY_KW13, nachname="Kuhn")
    make_case(datum=MONDAY_KW13, nachname="Weiss")
    assert first_free_fall_ids([(2025, 13, "onko", "Kühn"), (2025, 13, "onko", "Weiß")]) == [
        "2025-13-onko-Kühn",
        "2025-13-onko-Weiß",
    ]
