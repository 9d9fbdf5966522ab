"""cases.services: a case entered by hand and an edit of a case, with the domain rules, the
duplicate check, optimistic concurrency and one audit entry per write (domain.md §3–4, §6)."""

import datetime as dt
import decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.actor import Actor
from accounts.models import AuditLog
from cases import audit_actions
from cases.models import Case, CaseICDCode, Quelle
from cases.services import (
    CaseConflict,
    DuplicateSuspected,
    case_create,
    case_update,
    editable_values,
)
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db


def values(**overrides):
    base = {
        "datum": dt.date(2026, 3, 2),
        "fallgruppe": "kardio",
        "nachname": "Weiß",
        "vorname": "Jürgen",
        "geburtsdatum": dt.date(1958, 7, 14),
    }
    base.update(overrides)
    return base


def case_entries(case, action):
    return AuditLog.objects.filter(entity_type="cases.case", entity_id=str(case.pk), action=action)


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, ip="192.0.2.10", user_agent="pytest")


# --- case_create -------------------------------------------------------------------------------


def test_a_manual_case_gets_its_fall_id_source_and_one_audit_entry(actor, admin_user):
    result = case_create(
        values=values(nachname=" Weiß ", icd="c50.1; C79.5 R", kvnr="d410126355"), actor=actor
    )
    case = Case.objects.get(pk=result.case.pk)
    assert case.fall_id == "2026-10-kardio-Weiß"
    assert case.quelle == Quelle.MANUELL
    assert (case.jahr, case.kw) == (2026, 10)
    assert case.nachname == "Weiß"
    assert case.icd == "C50.1, C79.5"
    assert sorted(CaseICDCode.objects.filter(case=case).values_list("icd_code", flat=True)) == [
        "C50.1",
        "C79.5",
    ]
    assert case.created_by == admin_user and case.icd_entered_by == admin_user
    assert result.warnings == []
    [entry] = case_entries(case, audit_actions.CASE_CREATED)
    assert entry.user == admin_user and entry.ip_address == "192.0.2.10"
    assert entry.new_values["nachname"] == "Weiß"
    assert entry.new_values["quelle"] == "manuell"
    assert entry.new_values["fall_id"] == case.fall_id


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"icd": "C50.1, X9, C79.5"}, "icd", "Ungültiger ICD-Code: X9"),
        ({"gutachten_typ": "Bestätigung"}, "gutachten_typ", "nur zulässig, wenn ein Gutachten"),
        (
            {"gutachten": True, "therapieaenderung": "Nein", "ta_uebertherapie": True},
            "gutachten_typ",
            "nur bei Therapieänderung = Ja zulässig",
        ),
        ({"datum": dt.date(1999, 6, 1)}, "datum", "außerhalb des erlaubten Zeitraums"),
        ({"geburtsdatum": dt.date(2099, 1, 1)}, "geburtsdatum", "liegt in der Zukunft"),
        ({"nachname": "   "}, "nachname", "Nachname fehlt."),
        ({"fallgruppe": "zahn"}, "fallgruppe", "keine gültige"),
        ({"email": "juergen.weiss(at)beispiel"}, "email", "gültige E-Mail-Adresse"),
        ({"unterlagen_eingang_am": dt.date(1899, 1, 1)}, "unterlagen_eingang_am", "außerhalb"),
    ],
    ids=[
        "invalid-icd",
        "typ-without-gutachten",
        "ta-flag-without-ja",
        "datum-year",
        "birth-in-future",
        "no-surname",
        "unknown-group",
        "email",
        "document-date",
    ],
)
def test_a_broken_rule_is_a_german_field_error_and_saves_nothing(actor, overrides, field, expected):
    with pytest.raises(ValidationError) as caught:
        case_create(values=values(**overrides), actor=actor)
    messages = caught.value.message_dict[field]
    assert any(expected in message for message in messages), messages
    assert not Case.objects.exists()
    assert not AuditLog.objects.filter(action=audit_actions.CASE_CREATED).exists()


def test_a_likely_duplicate_is_refused_until_confirmed(actor):
    existing = make_case(**values(nachname="WEISS", vorname="  jürgen "))
    with pytest.raises(DuplicateSuspected) as caught:
        case_create(values=values(), actor=actor)
    assert [d.case.pk for d in caught.value.duplicates] == [existing.pk]
    assert "gleiche Person" in caught.value.duplicates[0].reason
    assert Case.objects.count() == 1

    result = case_create(values=values(), actor=actor, confirmed_duplicates=[existing.pk])
    assert Case.objects.count() == 2
    assert result.case.fall_id != existing.fall_id


def test_a_confirmation_covers_only_the_duplicates_that_were_shown(actor):
    first = make_case(**values())
    second = make_case(**values())
    with pytest.raises(DuplicateSuspected) as caught:
        case_create(values=values(), actor=actor, confirmed_duplicates=[first.pk])
    assert {d.case.pk for d in caught.value.duplicates} == {first.pk, second.pk}
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("stored", "entered"),
    [("Kuhn", "Kühn"), ("Muller", "Müller")],
    ids=["u-umlaut-pair-1", "u-umlaut-pair-2"],
)
def test_surnames_that_differ_by_an_umlaut_are_two_people(actor, stored, entered):
    make_case(**values(nachname=stored))
    result = case_create(values=values(nachname=entered), actor=actor)
    assert result.case.nachname == entered
    assert Case.objects.count() == 2
    assert Case.objects.filter(nachname=entered).count() >= 1


def test_a_ticket_of_another_case_is_an_error_naming_that_case(actor):
    holder = make_case(**values(nachname="Schröder", crm_ticket_id="TK-1A"))
    with pytest.raises(ValidationError) as caught:
        case_create(values=values(crm_ticket_id=" tk-1a "), actor=actor)
    [message] = caught.value.message_dict["crm_ticket_id"]
    assert f"Fall Nr. {holder.pk}" in message
    assert Case.objects.count() == 1


def test_a_ticket_with_an_accent_is_another_ticket(actor):
    make_case(**values(nachname="Schröder", crm_ticket_id="TK-1A"))
    result = case_create(values=values(crm_ticket_id="TK-1á"), actor=actor)
    assert result.case.crm_ticket_id == "TK-1Á"


def test_an_invalid_kvnr_is_kept_as_entered_with_a_warning(actor):
    result = case_create(values=values(kvnr="d410126356"), actor=actor)
    assert Case.objects.get(pk=result.case.pk).kvnr == "D410126356"
    assert any("Prüfziffer" in warning for warning in result.warnings)


def test_coding_ta_ja_without_a_kind_saves_with_a_warning(actor, admin_user):
    result = case_create(
        values=values(gutachten=True, gutachten_typ="Alternative", therapieaenderung="Ja"),
        actor=actor,
    )
    assert result.case.coding_by == admin_user
    assert any("keine Art angegeben" in warning for warning in result.warnings)


# --- case_update -------------------------------------------------------------------------------


def edit(case, actor, **changes):
    """An edit on the case as stored now, as the edit page would send it."""
    case.refresh_from_db()
    return case_update(
        case=case,
        values={**editable_values_python(case), **changes},
        based_on=case.updated_at,
        basis=editable_values(case),
        actor=actor,
    )


def editable_values_python(case):
    from cases.services import EDITABLE_FIELDS

    return {name: getattr(case, name) for name in EDITABLE_FIELDS}


def test_an_edit_saves_the_changed_fields_and_audits_old_and_new(actor, admin_user):
    case = make_case(**values(telefon="030 123"))
    result = edit(case, actor, telefon="030 999", datum=dt.date(2026, 12, 31), betrag="120.5")
    # 31.12.2026 is in ISO week 53 of 2026: the week moves, the year stays.
    assert sorted(result.changed) == ["betrag", "datum", "kw", "telefon"]
    case.refresh_from_db()
    assert case.telefon == "030 999"
    assert (case.jahr, case.kw) == (2026, 53)
    assert case.betrag == decimal.Decimal("120.50")
    assert case.fall_id == "2026-10-kardio-Weiß"
    assert case.updated_by == admin_user
    [entry] = case_entries(case, audit_actions.CASE_CHANGED)
    assert entry.old_values == {
        "telefon": "030 123",
        "datum": "2026-03-02",
        "kw": 10,
        "betrag": None,
    }
    assert entry.new_values == {
        "telefon": "030 999",
        "datum": "2026-12-31",
        "kw": 53,
        "betrag": "120.50",
    }


def test_an_edit_without_a_change_saves_and_audits_nothing(actor):
    case = make_case(**values(betrag=decimal.Decimal("80.00")))
    stamp = case.updated_at
    result = edit(case, actor, nachname=" Weiß ", betrag="80")
    assert result.changed == []
    case.refresh_from_db()
    assert case.updated_at == stamp
    assert not case_entries(case, audit_actions.CASE_CHANGED).exists()


def test_an_edit_based_on_a_stale_version_is_refused_and_names_the_change(actor):
    case = make_case(**values(telefon="030 123"))
    opened_at, opened = case.updated_at, editable_values(case)
    other = Case.objects.get(pk=case.pk)
    other.telefon = "040 555"
    other.save()

    with pytest.raises(CaseConflict) as caught:
        case_update(
            case=case.pk,
            values={"bemerkung": "Rückruf vereinbart"},
            based_on=opened_at,
            basis=opened,
            actor=actor,
        )
    assert caught.value.changes == [("telefon", "030 123", "040 555")]
    case.refresh_from_db()
    assert (case.telefon, case.bemerkung) == ("040 555", "")
    assert not case_entries(case, audit_actions.CASE_CHANGED).exists()


def test_an_edit_clearing_the_icd_puts_the_case_back_in_the_queue(actor, admin_user):
    case = make_case(**values())
    edit(case, actor, icd="C50.1")
    case.refresh_from_db()
    assert case.icd_entered_by == admin_user
    assert list(case.icd_codes.values_list("icd_code", flat=True)) == ["C50.1"]
    edit(case, actor, icd="")
    case.refresh_from_db()
    assert case.icd is None and case.icd_entered_by is None
    assert not case.icd_codes.exists()
    assert Case.objects.pending_icd().filter(pk=case.pk).exists()


def test_an_invalid_edit_changes_nothing(actor):
    case = make_case(**values(icd="C50.1"))
    with pytest.raises(ValidationError) as caught:
        edit(case, actor, icd="C50.1 X12.345", telefon="030 1")
    assert "X12.345" in caught.value.message_dict["icd"][0]
    case.refresh_from_db()
    assert (case.icd, case.telefon) == ("C50.1", "")


def test_fields_outside_the_editable_ones_are_refused(actor):
    case = make_case(**values())
    with pytest.raises(ValueError, match="fall_id"):
        case_update(
            case=case,
            values={"fall_id": "2026-01-onko-Anders"},
            based_on=case.updated_at,
            actor=actor,
        )
    case.refresh_from_db()
    assert case.fall_id == "2026-10-kardio-Weiß"


def coding_completed():
    from accounts.models import Notification, NotificationType

    return Notification.objects.filter(type=NotificationType.CODING_COMPLETED)


def test_coding_a_weeks_last_gutachten_on_the_edit_page_announces_the_week(actor, dak_user):
    first = make_case(**values(gutachten=True))
    second = make_case(**values(nachname="Schröder", gutachten=True))
    edit(first, actor, gutachten_typ="Bestätigung", therapieaenderung="Nein")
    assert not coding_completed().exists()
    edit(first, actor, telefon="030 1")
    edit(second, actor, gutachten_typ="Alternative", therapieaenderung="Nein")
    [notice] = coding_completed()
    assert notice.recipient == dak_user
    assert "KW 10/2026" in notice.message
    # Recoding a coded case announces nothing again.
    edit(second, actor, gutachten_typ="Bestätigung")
    assert coding_completed().count() == 1
