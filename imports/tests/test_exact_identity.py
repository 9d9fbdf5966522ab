"""Look-alike surnames and tickets through the real import services (domain.md §3 "Exact keys").

The same tests run on SQLite and on MariaDB (`DATABASE_URL=mysql://…`). On MariaDB's
utf8mb4_unicode_ci each look-alike import was rolled back completely ("Duplicate entry
'2025-13-onko-Kühn' for key 'fall_id'"), and TK-1a/TK-1á could never be confirmed.
"""

import datetime as dt

import pytest

from accounts.actor import Actor
from cases.models import Case
from imports.models import ImportType
from imports.outcomes import RowOutcome
from imports.services import import_commit, import_prepare
from imports.tests.reader_support import row, xlsx, year_sheet

pytestmark = pytest.mark.django_db

# (surname in the first row, surname in the second row, test id): different people whose
# surnames MariaDB's default collation folds together. Ids name the difference, not the name.
PAIRS = [
    ("Kühn", "Kuhn", "umlaut-u"),
    ("Weiß", "Weiss", "eszett"),
    ("MÜLLER", "Müller", "upper-case"),
    ("Schröder", "Schroder", "umlaut-o"),
    ("Groß", "Gross", "eszett-2"),
]
SURNAME_PAIRS = pytest.mark.parametrize(
    ("first", "second"), [p[:2] for p in PAIRS], ids=[p[2] for p in PAIRS]
)
CRM_HEADER = "Name,Thema,Erstellungsdatum,Modul,Hauptkontakt,Bearbeiter\r\n"


def crm_line(ticket, nachname, vorname, geburt, when="24.03.25, 09:00"):
    # Stray spaces around the surname, as CRM exports have them.
    return (
        f'{ticket},Zweitmeinung,"{when}",Zweitmeinung Onkologie,'
        f" {nachname}  | {vorname} | {geburt} |,S. Adam\r\n"
    )


def crm_import(*lines, name="crm.csv"):
    data = ("\ufeff" + CRM_HEADER + "".join(lines)).encode("utf-8")
    plan = import_prepare(import_type=ImportType.CRM_CSV, data=data, file_name=name)
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    return plan, log


def workbook_import(*people, name="Abrechnung.xlsx"):
    """A year sheet with (nachname, vorname, geburtsdatum) rows, all in 2025-KW13 onko."""
    rows = [
        row(
            KW=13,
            Datum=dt.datetime(2025, 3, 24),
            Fallgruppe="onko",
            Nachname=f"{nachname} ",
            Vorname=vorname,
            Geburtsdatum=dt.datetime.combine(geburt, dt.time()),
        )
        for nachname, vorname, geburt in people
    ]
    data = xlsx({"2025": year_sheet(*rows)})
    plan = import_prepare(import_type=ImportType.HISTORISCH, data=data, file_name=name)
    logs = import_commit(plan=plan, actor=Actor.command_line())
    return plan, logs


def fall_ids():
    return sorted(Case.objects.values_list("fall_id", flat=True))


@SURNAME_PAIRS
def test_crm_one_file_look_alikes_become_two_cases(first, second):
    plan, log = crm_import(
        crm_line("T-1", first, "Eva", "01.02.1960"), crm_line("T-2", second, "Ida", "02.03.1961")
    )
    assert [o.kind for o in plan.outcomes] == [RowOutcome.NEU, RowOutcome.NEU]
    assert log.imported == 2
    assert fall_ids() == sorted([f"2025-13-onko-{first}", f"2025-13-onko-{second}"])
    assert sorted(Case.objects.values_list("nachname", flat=True)) == sorted([first, second])


@SURNAME_PAIRS
def test_crm_two_files_look_alikes_become_two_cases(first, second):
    crm_import(crm_line("T-1", first, "Eva", "01.02.1960"), name="kw13-a.csv")
    plan, log = crm_import(crm_line("T-2", second, "Ida", "02.03.1961"), name="kw13-b.csv")
    assert [o.kind for o in plan.outcomes] == [RowOutcome.NEU]
    assert log.imported == 1
    assert fall_ids() == sorted([f"2025-13-onko-{first}", f"2025-13-onko-{second}"])


@SURNAME_PAIRS
def test_workbook_one_file_look_alikes_become_two_cases(first, second):
    _plan, [log] = workbook_import(
        (first, "Eva", dt.date(1960, 2, 1)), (second, "Ida", dt.date(1961, 3, 2))
    )
    assert log.imported == 2
    assert fall_ids() == sorted([f"2025-13-onko-{first}", f"2025-13-onko-{second}"])


@SURNAME_PAIRS
def test_workbook_two_files_look_alikes_become_two_cases(first, second):
    workbook_import((first, "Eva", dt.date(1960, 2, 1)), name="a.xlsx")
    _plan, [log] = workbook_import((second, "Ida", dt.date(1961, 3, 2)), name="b.xlsx")
    assert log.imported == 1
    assert fall_ids() == sorted([f"2025-13-onko-{first}", f"2025-13-onko-{second}"])


def test_one_surname_several_times_in_a_week_counts_up_and_a_reimport_adds_nothing():
    lines = [
        crm_line("T-1", "Müller", "Eva", "01.02.1960"),
        crm_line("T-2", "Muller", "Eva", "01.02.1960"),
        crm_line("T-3", "Müller", "Ida", "02.03.1961"),
        crm_line("T-4", "Müller", "Uta", "03.04.1962"),
    ]
    crm_import(*lines)
    assert fall_ids() == [
        "2025-13-onko-Muller",
        "2025-13-onko-Müller",
        "2025-13-onko-Müller-2",
        "2025-13-onko-Müller-3",
    ]
    plan, log = crm_import(*lines)
    assert log.imported == 0 and Case.objects.count() == 4
    assert {o.kind for o in plan.outcomes} == {RowOutcome.DUPLIKAT}


def test_a_manual_case_then_an_import_of_the_look_alike():
    from cases.tests.factories import make_case

    make_case(nachname="Kuhn", vorname="Eva", datum=dt.date(2025, 3, 24))
    crm_import(crm_line("T-1", "Kühn", "Ida", "02.03.1961"))
    assert fall_ids() == ["2025-13-onko-Kuhn", "2025-13-onko-Kühn"]


def test_tickets_differing_by_an_accent_are_two_cases():
    plan, log = crm_import(
        crm_line("TK-1a", "Kühn", "Eva", "01.02.1960"),
        crm_line("TK-1á", "Kuhn", "Ida", "02.03.1961"),
    )
    assert [o.kind for o in plan.outcomes] == [RowOutcome.NEU, RowOutcome.NEU]
    assert log.imported == 2
    assert sorted(Case.objects.values_list("crm_ticket_id", flat=True)) == ["TK-1A", "TK-1Á"]


def test_tickets_differing_by_case_are_one_case_and_a_reimport_creates_nothing():
    crm_import(crm_line("TK-1a", "Kühn", "Eva", "01.02.1960"))
    plan, log = crm_import(crm_line(" TK-1A ", "Kühn", "Eva", "01.02.1960", when="25.03.25, 10:00"))
    assert [o.kind for o in plan.outcomes] == [RowOutcome.DUPLIKAT]
    assert log.imported == 0
    assert list(Case.objects.values_list("crm_ticket_id", flat=True)) == ["TK-1A"]


def test_tickets_differing_by_case_in_one_file_are_one_case():
    plan, _log = crm_import(
        crm_line("tk-1a", "Kühn", "Eva", "01.02.1960"),
        crm_line("TK-1A", "Kühn", "Eva", "01.02.1960"),
    )
    assert [o.kind for o in plan.outcomes] == [RowOutcome.NEU, RowOutcome.DUPLIKAT]
    assert Case.objects.get().crm_ticket_id == "TK-1A"


def test_tickets_differing_by_an_accent_in_two_files_are_two_cases():
    crm_import(crm_line("TK-1a", "Kühn", "Eva", "01.02.1960"), name="kw13-a.csv")
    plan, log = crm_import(crm_line("TK-1á", "Kuhn", "Ida", "02.03.1961"), name="kw13-b.csv")
    assert [o.kind for o in plan.outcomes] == [RowOutcome.NEU]
    assert log.imported == 1
    assert sorted(Case.objects.values_list("crm_ticket_id", flat=True)) == ["TK-1A", "TK-1Á"]


# --- A single save: Case.save() and the manual-case service -------------------------------------


@SURNAME_PAIRS
def test_single_saves_of_look_alikes_get_two_fall_ids(first, second):
    from cases.tests.factories import make_case

    one = make_case(nachname=first, vorname="Eva", datum=dt.date(2025, 3, 24))
    two = make_case(nachname=f" {second} ", vorname="Ida", datum=dt.date(2025, 3, 25))
    assert one.fall_id == f"2025-13-onko-{first}"
    assert two.fall_id == f"2025-13-onko-{second}"
    assert fall_ids() == sorted([one.fall_id, two.fall_id])


@SURNAME_PAIRS
def test_case_create_of_a_look_alike_next_to_an_imported_case(first, second, admin_user):
    from cases.services import case_create

    crm_import(crm_line("T-1", first, "Eva", "01.02.1960"))
    result = case_create(
        values={
            "datum": dt.date(2025, 3, 26),
            "fallgruppe": "onko",
            "nachname": second,
            "vorname": "Ida",
            "geburtsdatum": dt.date(1961, 3, 2),
        },
        actor=Actor(user=admin_user, ip="192.0.2.10", user_agent="pytest"),
    )
    assert result.case.fall_id == f"2025-13-onko-{second}"
    assert fall_ids() == sorted([f"2025-13-onko-{first}", f"2025-13-onko-{second}"])
    # The same surname once more in that week and group counts up, exactly.
    again = case_create(
        values={
            "datum": dt.date(2025, 3, 27),
            "fallgruppe": "onko",
            "nachname": second,
            "vorname": "Uta",
            "geburtsdatum": dt.date(1962, 4, 3),
        },
        actor=Actor(user=admin_user, ip="192.0.2.10", user_agent="pytest"),
    )
    assert again.case.fall_id == f"2025-13-onko-{second}-2"
