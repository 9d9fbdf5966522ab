"""The coding service: rules, who/when, audit and the coding_completed notification."""

import datetime as dt

import pytest

from accounts.actor import Actor
from accounts.models import AuditLog, Notification, NotificationType, Role, User
from cases.tests.factories import make_case
from coding.gutachten import GUTACHTEN_CODED, CodingError, gutachten_code, gutachten_code_batch

pytestmark = pytest.mark.django_db

# KW 6/2026 and KW 7/2026
MONTAG_KW6 = dt.date(2026, 2, 2)
MONTAG_KW7 = dt.date(2026, 2, 9)


@pytest.fixture
def admin():
    return User.objects.create_user(
        email="codierung.admin@anbieter.example", password="x-Passwort-2026", role=Role.ADMIN
    )


@pytest.fixture
def dak_staff():
    active = User.objects.create_user(
        email="weiss@dak.de", password="x-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    User.objects.create_user(
        email="kuehn@dak.de",
        password="x-Passwort-2026",
        role=Role.DAK_MITARBEITER,
        is_active=False,
    )
    return active


def gutachten_case(**fields):
    values = {"gutachten": True, "gutachter": "Zentrum Süd", "datum": MONTAG_KW6}
    values.update(fields)
    return make_case(**values)


def code(case, admin, **overrides):
    values = {
        "gutachten_typ": "Bestätigung",
        "therapieaenderung": "Nein",
        "ta_diagnosekorrektur": False,
        "ta_unterversorgung": False,
        "ta_uebertherapie": False,
    }
    values.update(overrides)
    return gutachten_code(case=case, actor=Actor(user=admin), **values)


def test_coding_saves_the_values_who_and_when(admin):
    case = gutachten_case(nachname="Müller")
    result = code(
        case, admin, gutachten_typ="Alternative", therapieaenderung="Ja", ta_uebertherapie=True
    )
    case.refresh_from_db()
    assert (case.gutachten_typ, case.therapieaenderung) == ("Alternative", "Ja")
    assert (case.ta_diagnosekorrektur, case.ta_unterversorgung, case.ta_uebertherapie) == (
        False,
        False,
        True,
    )
    assert case.coding_by == admin
    assert case.coding_at is not None
    assert case.status == "gutachten_codiert"
    assert result.warnings == []


def test_unknown_type_is_refused_in_german_and_nothing_changes(admin):
    case = gutachten_case()
    with pytest.raises(CodingError) as caught:
        code(case, admin, gutachten_typ="Bestaetigt")
    assert "Unbekannter Gutachten-Typ" in caught.value.errors[0]
    case.refresh_from_db()
    assert case.gutachten_typ is None
    assert case.coding_by is None
    assert not AuditLog.objects.filter(action=GUTACHTEN_CODED).exists()


def test_missing_choices_are_refused(admin):
    case = gutachten_case()
    with pytest.raises(CodingError) as caught:
        code(case, admin, gutachten_typ="", therapieaenderung=None)
    assert caught.value.errors == [
        "Bitte den Gutachten-Typ wählen (Bestätigung oder Alternative).",
        "Bitte Therapieänderung wählen (Ja oder Nein).",
    ]


def test_ta_flags_without_ja_are_refused(admin):
    case = gutachten_case()
    with pytest.raises(CodingError) as caught:
        code(case, admin, therapieaenderung="Nein", ta_diagnosekorrektur=True)
    assert "nur bei Therapieänderung = Ja zulässig" in caught.value.errors[0]
    case.refresh_from_db()
    assert case.therapieaenderung is None
    assert case.ta_diagnosekorrektur is False


def test_ja_without_a_flag_is_saved_with_a_warning(admin):
    case = gutachten_case()
    result = code(case, admin, therapieaenderung="Ja")
    case.refresh_from_db()
    assert case.therapieaenderung == "Ja"
    assert result.warnings == [
        "Therapieänderung = Ja, aber keine Art angegeben "
        "(Diagnosekorrektur, Unterversorgung oder Übertherapie)."
    ]


def test_a_case_without_gutachten_is_refused(admin):
    case = make_case(gutachten=False)
    with pytest.raises(CodingError) as caught:
        code(case, admin)
    assert caught.value.errors == [
        f"Fall {case.pk} hat kein Gutachten und kann nicht codiert werden."
    ]
    case.refresh_from_db()
    assert case.gutachten_typ is None


def test_dak_staff_cannot_code_even_through_the_service(dak_staff):
    case = gutachten_case()
    with pytest.raises(CodingError):
        code(case, dak_staff)
    case.refresh_from_db()
    assert case.gutachten_typ is None


def test_recoding_audits_old_and_new_values(admin):
    case = gutachten_case()
    code(case, admin, gutachten_typ="Bestätigung", therapieaenderung="Nein")
    code(case, admin, gutachten_typ="Alternative", therapieaenderung="Ja", ta_unterversorgung=True)
    entries = AuditLog.objects.filter(action=GUTACHTEN_CODED, entity_id=str(case.pk)).order_by("pk")
    assert entries.count() == 2
    second = entries[1]
    assert second.user == admin
    assert second.old_values == {
        "gutachten_typ": "Bestätigung",
        "therapieaenderung": "Nein",
        "ta_unterversorgung": False,
    }
    assert second.new_values == {
        "gutachten_typ": "Alternative",
        "therapieaenderung": "Ja",
        "ta_unterversorgung": True,
    }


def test_batch_codes_every_case_with_one_entry_each(admin):
    cases = [gutachten_case(nachname=name) for name in ("Weiß", "Weiss", "Kühn")]
    result = gutachten_code_batch(
        cases=cases,
        gutachten_typ="Bestätigung",
        therapieaenderung="Nein",
        actor=Actor(user=admin),
    )
    assert len(result.cases) == 3
    for case in cases:
        case.refresh_from_db()
        assert case.gutachten_typ == "Bestätigung"
        assert AuditLog.objects.filter(action=GUTACHTEN_CODED, entity_id=str(case.pk)).count() == 1


def test_batch_with_one_case_without_gutachten_changes_none(admin):
    good = gutachten_case()
    bad = make_case(gutachten=False, nachname="Kuhn")
    with pytest.raises(CodingError):
        gutachten_code_batch(
            cases=[good, bad],
            gutachten_typ="Alternative",
            therapieaenderung="Nein",
            actor=Actor(user=admin),
        )
    good.refresh_from_db()
    assert good.gutachten_typ is None
    assert not AuditLog.objects.filter(action=GUTACHTEN_CODED).exists()


def completed():
    return Notification.objects.filter(type=NotificationType.CODING_COMPLETED)


def test_coding_completed_goes_to_active_dak_staff_once_per_week(admin, dak_staff):
    first = gutachten_case(nachname="Müller")
    second = gutachten_case(nachname="Muller")
    other_week = gutachten_case(datum=MONTAG_KW7)
    make_case(gutachten=False, nachname="Weiß")  # no Gutachten: not part of the queue

    code(first, admin)
    assert not completed().exists()

    code(second, admin)
    notes = list(completed())
    assert [n.recipient for n in notes] == [dak_staff]
    assert notes[0].title == "Codierung abgeschlossen: 2026 KW 06"
    assert "kw=6" in notes[0].link and "jahr=2026" in notes[0].link

    # Coding a case of the finished week again does not announce the week again.
    code(second, admin, gutachten_typ="Alternative")
    assert completed().count() == 1

    # The other week is announced on its own.
    code(other_week, admin)
    assert completed().count() == 2


def test_batch_finishing_two_weeks_sends_one_each(admin, dak_staff):
    cases = [gutachten_case(), gutachten_case(datum=MONTAG_KW7)]
    result = gutachten_code_batch(
        cases=cases, gutachten_typ="Alternative", therapieaenderung="Nein", actor=Actor(user=admin)
    )
    assert result.completed_weeks == [(2026, 6), (2026, 7)]
    assert completed().count() == 2
