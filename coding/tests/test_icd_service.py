"""coding.icd: the ICD entry's one saving service (inline entry, queue, workbook upload)."""

import pytest

from accounts.actor import Actor
from accounts.models import AuditLog, Notification, NotificationType, Role, User
from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case
from coding.catalogue import catalogue_load
from coding.icd import ICD_SAVED, ICDRefused, icd_check, icd_save
from coding.tests.catalogue_files import utf8_file

pytestmark = pytest.mark.django_db


def saved_codes(case):
    return sorted(CaseICDCode.objects.filter(case=case).values_list("icd_code", "icd_hauptgruppe"))


def icd_audits(case):
    return list(
        AuditLog.objects.filter(action=ICD_SAVED, entity_id=str(case.pk))
        .order_by("pk")
        .values_list("old_values", "new_values")
    )


def test_save_normalises_and_writes_the_field_the_code_rows_who_and_when_and_one_audit(
    dak_user,
):
    case = make_case(nachname="Bäßler", vorname="Jürgen")
    result = icd_save(case=case, text=" c50.1; C79.5 G  c50.1 ", actor=Actor(user=dak_user))

    assert (result.codes, result.changed) == (["C50.1", "C79.5"], True)
    case.refresh_from_db()
    assert case.icd == "C50.1, C79.5"
    assert case.icd_entered_by == dak_user and case.icd_entered_at is not None
    assert case.updated_by == dak_user
    assert saved_codes(case) == [("C50.1", "C50"), ("C79.5", "C79")]
    assert icd_audits(case) == [({"icd": None}, {"icd": "C50.1, C79.5"})]
    entry = AuditLog.objects.get(action=ICD_SAVED)
    assert (entry.user, entry.entity_type) == (dak_user, "cases.case")


def test_invalid_codes_are_named_in_german_and_nothing_changes(dak_user):
    case = make_case(icd="E11.90")
    case_before = Case.objects.get(pk=case.pk)
    with pytest.raises(ICDRefused) as refused:
        icd_save(case=case.pk, text="C50.1, X1, 123, C79.5", actor=Actor(user=dak_user))

    assert refused.value.invalid_codes == ["X1", "123"]
    assert str(refused.value.message).startswith("Ungültige ICD-Codes: X1, 123")
    case.refresh_from_db()
    assert (case.icd, case.updated_at) == ("E11.90", case_before.updated_at)
    assert case.icd_entered_by is None
    assert icd_audits(case) == []
    assert Notification.objects.count() == 0


def test_a_list_longer_than_the_field_is_refused(dak_user):
    case = make_case()
    text = ", ".join(f"C{n:02d}.{d}" for n in range(10, 60) for d in range(2))
    with pytest.raises(ICDRefused, match="zu lang"):
        icd_save(case=case, text=text, actor=Actor(user=dak_user))
    case.refresh_from_db()
    assert case.icd is None


def test_a_save_by_dak_staff_notifies_the_active_admins_without_patient_data(dak_user, admin_user):
    User.objects.create_user(
        email="alt.admin@anbieter.example",
        password="x-Passwort-2026",
        role=Role.ADMIN,
        is_active=False,
    )
    other_dak = User.objects.create_user(
        email="zweite@dak.de", password="x-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    case = make_case(nachname="Größmann")
    icd_save(case=case, text="C50.1", actor=Actor(user=dak_user))

    notes = list(Notification.objects.filter(type=NotificationType.ICD_ENTERED))
    assert [n.recipient for n in notes] == [admin_user]
    assert notes[0].link == f"/faelle/{case.pk}/"
    text = f"{notes[0].title} {notes[0].message}"
    assert "Größmann" not in text and "C50" not in text and case.fall_id not in text
    assert not Notification.objects.filter(recipient=other_dak).exists()


def test_a_save_by_an_admin_notifies_nobody(admin_user):
    User.objects.create_user(
        email="zweiter.admin@anbieter.example", password="x-Passwort-2026", role=Role.ADMIN
    )
    case = make_case()
    result = icd_save(case=case, text="C50.1", actor=Actor(user=admin_user))
    assert result.changed
    assert Notification.objects.count() == 0


def test_unchanged_codes_write_nothing_audit_nothing_notify_nobody(dak_user, admin_user):
    case = make_case(icd="C50.1, C79.5")
    before = Case.objects.get(pk=case.pk)
    # Same codes in another spelling and order.
    result = icd_save(case=case, text="c79.5 c50.1", actor=Actor(user=dak_user))

    assert result.changed is False
    case.refresh_from_db()
    assert (case.icd, case.updated_at, case.icd_entered_by) == (
        "C50.1, C79.5",
        before.updated_at,
        None,
    )
    assert icd_audits(case) == []
    assert Notification.objects.count() == 0


def test_empty_input_on_a_case_without_codes_writes_nothing(dak_user):
    case = make_case()
    result = icd_save(case=case, text="  ", actor=Actor(user=dak_user))
    assert result.changed is False
    assert icd_audits(case) == []


def test_changing_codes_replaces_the_rows_and_audits_old_to_new(dak_user, admin_user):
    case = make_case()
    icd_save(case=case, text="C50.1, C79.5", actor=Actor(user=admin_user))
    icd_save(case=case, text="C50.1 E11.90", actor=Actor(user=dak_user))

    case.refresh_from_db()
    assert case.icd == "C50.1, E11.90"
    assert case.icd_entered_by == dak_user
    assert saved_codes(case) == [("C50.1", "C50"), ("E11.90", "E11")]
    assert icd_audits(case) == [
        ({"icd": None}, {"icd": "C50.1, C79.5"}),
        ({"icd": "C50.1, C79.5"}, {"icd": "C50.1, E11.90"}),
    ]


def test_clearing_removes_codes_and_rows_and_puts_the_case_back_into_the_queue(
    dak_user, admin_user
):
    case = make_case()
    icd_save(case=case, text="C50.1", actor=Actor(user=dak_user))
    result = icd_save(case=case, text="", actor=Actor(user=dak_user))

    assert (result.changed, result.codes) == (True, [])
    case.refresh_from_db()
    assert case.icd is None
    assert (case.icd_entered_by, case.icd_entered_at) == (None, None)
    assert saved_codes(case) == []
    assert Case.objects.pending_icd().filter(pk=case.pk).exists()
    assert icd_audits(case)[-1] == ({"icd": "C50.1"}, {"icd": None})
    notes = Notification.objects.filter(type=NotificationType.ICD_ENTERED).order_by("pk")
    assert [n.message.endswith("entfernt.") for n in notes] == [False, True]


def test_text_that_is_not_valid_icd_is_replaced_by_a_valid_entry(dak_user):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(icd="Brustkrebs links")
    icd_save(case=case, text="C50.1", actor=Actor(user=dak_user))
    case.refresh_from_db()
    assert case.icd == "C50.1"
    assert icd_audits(case) == [({"icd": "Brustkrebs links"}, {"icd": "C50.1"})]


def test_the_save_locks_the_case_row(dak_user, monkeypatch):
    from django.db.models import QuerySet

    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    icd_save(case=make_case(), text="C50.1", actor=Actor(user=dak_user))
    assert Case in locked


def test_check_writes_nothing_and_names_invalid_codes(django_assert_max_num_queries):
    case = make_case()
    with django_assert_max_num_queries(0):
        check = icd_check(text="C50.1 Brust")
    assert check.error.startswith("Ungültiger ICD-Code: Brust")
    assert check.invalid_codes == ["Brust"]
    check = icd_check(text="c50.1; c79.5")
    assert (check.text, check.codes, check.error) == ("C50.1, C79.5", ["C50.1", "C79.5"], None)
    # Without a catalogue: no titles, no warnings.
    assert [(i.title, i.warning) for i in check.infos] == [(None, None), (None, None)]
    assert check.warnings == []
    case.refresh_from_db()
    assert case.icd is None


def test_with_a_catalogue_check_and_save_give_titles_and_warnings_but_save_all_the_same(
    dak_user,
):
    catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")
    check = icd_check(text="C50.1 E11.9 Z99.9")
    assert [i.title for i in check.infos][:2] == [
        "Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse",
        "Diabetes mellitus, Typ 2: Ohne Komplikationen",
    ]
    assert check.warnings == [
        "E11.9: kein endständiger Code – bitte genauer codieren",
        "Z99.9: nicht im ICD-10-GM-Katalog 2026",
    ]
    case = make_case()
    result = icd_save(case=case, text="C50.1 E11.9 Z99.9", actor=Actor(user=dak_user))
    assert result.warnings == check.warnings
    case.refresh_from_db()
    assert case.icd == "C50.1, E11.9, Z99.9"


def test_the_workbook_upload_sends_its_one_icd_uploaded_and_no_icd_entered(dak_user, admin_user):
    from imports.icd_import import icd_workbook_import
    from imports.tests.test_icd_import import workbook

    cases = [make_case(vorname=name) for name in ("Jörg", "Änne")]
    icd_workbook_import(
        data=workbook([(c.fall_id, "C50.1") for c in cases]),
        file_name="Codiervorlage.xlsx",
        actor=Actor(user=dak_user),
    )
    assert list(Notification.objects.values_list("type", flat=True)) == [
        NotificationType.ICD_UPLOADED
    ]
    # The upload is one audit entry (domain.md §6), not one per case.
    assert not AuditLog.objects.filter(action=ICD_SAVED).exists()
    for case in cases:
        case.refresh_from_db()
        assert (case.icd, case.icd_entered_by) == ("C50.1", dak_user)


def test_the_queue_never_overwrites_codes_someone_entered_meanwhile(dak_user, admin_user):
    case = make_case()
    icd_save(case=case, text="C50.1", actor=Actor(user=admin_user))
    with pytest.raises(ICDRefused, match="inzwischen jemand anderes"):
        icd_save(case=case, text="E11.90", actor=Actor(user=dak_user), only_pending=True)
    case.refresh_from_db()
    assert case.icd == "C50.1"
    assert len(icd_audits(case)) == 1
