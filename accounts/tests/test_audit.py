import datetime as dt
from decimal import Decimal

import pytest
from django.test import RequestFactory

from accounts import audit
from accounts.models import AllowedDomain, AuditLog

pytestmark = pytest.mark.django_db


def test_changed_fields_keeps_only_what_changed():
    old, new = audit.changed_fields({"a": 1, "b": "x", "c": 3}, {"a": 1, "b": "y", "d": 2})
    assert old == {"b": "x", "c": 3}
    assert new == {"b": "y", "d": 2}


def test_changed_fields_treats_a_missing_key_as_none():
    assert audit.changed_fields({"a": None}, {}) == ({}, {})


def test_changed_fields_compares_json_values():
    old, new = audit.changed_fields(
        {"datum": dt.date(2026, 1, 5), "betrag": Decimal("10.50")},
        {"datum": "2026-01-05", "betrag": "10.50"},
    )
    assert old == new == {}


def test_values_are_made_json_safe(admin_user):
    entry = audit.record(
        action="test",
        new={
            "datum": dt.date(2026, 2, 1),
            "zeit": dt.datetime(2026, 2, 1, 12, 30, tzinfo=dt.UTC),
            "betrag": Decimal("99.90"),
            "wer": admin_user,
            "codes": {"C50", "A00"},
        },
    )
    entry.refresh_from_db()
    assert entry.new_values == {
        "datum": "2026-02-01",
        "zeit": "2026-02-01T12:30:00+00:00",
        "betrag": "99.90",
        "wer": admin_user.pk,
        "codes": ["A00", "C50"],
    }


def test_record_takes_entity_type_and_id_from_an_instance(admin_user):
    domain = AllowedDomain.objects.create(domain="beispiel.de")
    entry = audit.record(action="x", user=admin_user, entity=domain)
    assert entry.entity_type == "accounts.alloweddomain"
    assert entry.entity_id == str(domain.pk)
    assert entry.user == admin_user
    assert entry.user_email == admin_user.email


def test_record_with_old_and_new_stores_only_changes():
    entry = audit.record(
        action="x", old={"rolle": "a", "name": "n"}, new={"rolle": "b", "name": "n"}
    )
    assert entry.old_values == {"rolle": "a"}
    assert entry.new_values == {"rolle": "b"}


def test_record_reads_user_ip_and_browser_from_the_request(dak_user):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Testbrowser/1")
    request.user = dak_user
    entry = audit.record(action="x", request=request)
    assert entry.user == dak_user
    assert entry.ip_address == "10.1.2.3"
    assert entry.user_agent == "Testbrowser/1"


def test_record_read_audits_who_looked_at_what(dak_user):
    domain = AllowedDomain.objects.create(domain="beispiel.de")
    request = RequestFactory().get("/")
    request.user = dak_user
    entry = audit.record_read(request, domain, action=audit.DOWNLOAD, details={"datei": "x.xlsx"})
    assert (entry.action, entry.user, entry.entity_id) == ("download", dak_user, str(domain.pk))
    assert entry.new_values == {"datei": "x.xlsx"}


def test_an_entry_cannot_be_changed():
    entry = audit.record(action="x")
    entry.action = "y"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).update(action="y")
    assert AuditLog.objects.get(pk=entry.pk).action == "x"


def test_an_entry_cannot_be_deleted():
    entry = audit.record(action="x")
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_a_user_with_entries_cannot_be_deleted(dak_user):
    from django.db.models import ProtectedError

    audit.record(action="x", user=dak_user)
    with pytest.raises(ProtectedError):
        dak_user.delete()


def test_other_apps_can_name_their_actions():
    audit.register_action_labels({"import_confirmed": "Import bestätigt"})
    assert audit.action_label("import_confirmed") == "Import bestätigt"
    assert audit.action_label("unbekannt") == "unbekannt"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "–"),
        (True, "ja"),
        (False, "nein"),
        (["C50", "C79.5"], "C50, C79.5"),
        ("2026-02-01", "01.02.2026"),
        ("2026-02-01T12:30:00+00:00", "01.02.2026 13:30"),
        ("2026-02-01 Text", "2026-02-01 Text"),
    ],
)
def test_values_are_shown_as_staff_read_them(value, shown):
    assert audit.display_value(value) == shown


def test_record_read_takes_an_actor_from_the_shell_or_a_command(dak_user):
    from accounts.actor import Actor

    entry = audit.record_read(
        entity_type="cases.case", entity_id=42, actor=Actor.command_line(dak_user)
    )
    assert (entry.action, entry.user, entry.entity_type, entry.entity_id) == (
        "read",
        dak_user,
        "cases.case",
        "42",
    )
    assert entry.new_values == {}


def test_record_read_refuses_to_write_an_entry_without_anyone_reading():
    with pytest.raises(ValueError):
        audit.record_read(entity_type="cases.case", entity_id=42)
