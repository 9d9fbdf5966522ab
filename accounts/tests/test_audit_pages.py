import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog

pytestmark = pytest.mark.django_db
URL = reverse("accounts:audit_list")


def test_it_lists_entries_with_readable_old_and_new_values(admin_client, dak_user):
    audit.record(
        action=audit.USER_CHANGED,
        entity=dak_user,
        old={"rolle": "dak_mitarbeiter", "aktiv": True},
        new={"rolle": "admin", "aktiv": False},
    )
    content = admin_client.get(URL).content.decode()
    assert "Benutzer geändert" in content
    edit = reverse("accounts:user_edit", args=[dak_user.pk])
    assert f'<a href="{edit}">Benutzer dak.user@dak.de</a>' in content
    assert "dak_mitarbeiter" in content and "admin" in content
    assert "ja" in content and "nein" in content


def test_it_filters_by_user_action_entity_and_date(admin_client, admin_user, dak_user):
    audit.record(action=audit.LOGIN, user=dak_user, entity=dak_user)
    audit.record(action=audit.LOGOUT, user=admin_user, entity=admin_user)
    response = admin_client.get(URL, {"user": dak_user.pk, "action": audit.LOGIN})
    entries = list(response.context["page"].object_list)
    assert [e.action for e in entries] == [audit.LOGIN]
    response = admin_client.get(
        URL, {"entity_type": "accounts.user", "entity_id": str(admin_user.pk)}
    )
    assert response.context["filters"].is_valid()
    assert {e.user for e in response.context["page"].object_list} == {admin_user}
    response = admin_client.get(URL, {"date_from": "2000-01-01", "date_to": "2000-01-02"})
    assert list(response.context["page"].object_list) == []


def test_it_pages_fifty_at_a_time(admin_client):
    AuditLog.objects.bulk_create(AuditLog(action="x") for _ in range(60))
    response = admin_client.get(URL)
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.num_pages >= 2
    assert "Seite 1 von" in response.content.decode()


def test_it_is_for_admins_only(dak_client):
    assert dak_client.get(URL).status_code == 403


def test_it_requires_login(client):
    assert client.get(URL)["Location"].startswith(reverse("account_login"))


def test_the_django_admin_shows_the_log_read_only(admin_client):
    entry = audit.record(action=audit.LOGIN, old={"a": 1}, new={"a": 2})
    changelist = reverse("admin:accounts_auditlog_changelist")
    response = admin_client.get(changelist, {"created_at__date__gte": "2000-01-01"})
    assert response.status_code == 200
    assert "Anmeldung" in response.content.decode()
    detail = admin_client.get(reverse("admin:accounts_auditlog_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:accounts_auditlog_add")).status_code == 403
    delete = admin_client.post(
        reverse("admin:accounts_auditlog_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_the_django_admin_filters_by_date_range(admin_client):
    audit.record(action=audit.LOGIN)
    changelist = reverse("admin:accounts_auditlog_changelist")
    response = admin_client.get(
        changelist, {"created_at__date__gte": "2000-01-01", "created_at__date__lte": "2000-12-31"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


# --- office language: German names, links by primary key, German field names -----------------


def rows_of(response):
    # Logging the test client in writes entries of its own.
    return [r for r in response.context["rows"] if r["entry"].action != audit.LOGIN]


def test_a_case_entry_links_to_the_case_by_primary_key_never_by_fall_id(admin_client):
    from cases.tests.factories import make_case

    case = make_case(nachname="Weiß", vorname="Jürgen")
    audit.record(
        action=audit.ADMIN_CHANGED,
        entity=case,
        old={"nachname": "Weiss", "fallgruppe": "kardio"},
        new={"nachname": "Weiß", "fallgruppe": "onko"},
    )
    response = admin_client.get(URL)
    content = response.content.decode()
    # The case's portal page once the cases app registers one, its admin change page until then.
    page = audit.entity_page("cases.case")
    if page:
        target = reverse(page[0], args=[case.pk])
    else:
        target = reverse("admin:cases_case_change", args=[case.pk])
    assert f'<a href="{target}">Fall #{case.pk}</a>' in content
    assert case.fall_id not in content
    [row] = rows_of(response)
    assert row["action"] == "Geändert (Django-Admin)"
    # German field names from the model, choice codes as their labels.
    assert row["changes"] == [
        ("Nachname", "Weiss", "Weiß"),
        ("Fallgruppe", "Kardiologie", "Onkologie"),
    ]


def test_a_user_change_names_the_fields_and_roles_in_german(admin_client, dak_user):
    audit.record(
        action=audit.USER_CHANGED,
        entity=dak_user,
        old={"role": "dak_mitarbeiter", "is_active": True},
        new={"role": "admin", "is_active": False},
    )
    [row] = rows_of(admin_client.get(URL))
    assert row["changes"] == [
        ("Rolle", "DAK-Mitarbeiter", "Administrator"),
        ("aktiv", "ja", "nein"),
    ]


def test_an_import_log_entry_links_to_the_log_page(admin_client, admin_user):
    from imports.models import ImportLog, ImportType

    log = ImportLog.objects.create(
        file_name="crm.csv", import_type=ImportType.CRM_CSV, sha256="0" * 64, user=admin_user
    )
    audit.record(action="import.crm_csv", entity=log, new={"neu": 6, "fehler": 3})
    audit.record_read(None, log, actor=_actor(admin_user))
    response = admin_client.get(URL)
    content = response.content.decode()
    detail = reverse("imports:log_detail", args=[log.pk])
    assert content.count(f'<a href="{detail}">Importprotokoll #{log.pk}</a>') == 2
    read, imported = rows_of(response)
    assert read["action"] == "Angesehen"
    assert imported["action"] == "Import: CRM-Export (CSV)"
    assert ("neu", "–", "6") in imported["changes"]
    assert ("Fehler", "–", "3") in imported["changes"]


def _actor(user):
    from accounts.actor import Actor

    return Actor.command_line(user)


def test_a_record_without_a_page_of_its_own_links_to_its_django_admin_page(admin_client):
    from accounts.models import OutboxEmail

    mail = OutboxEmail.objects.create(kind="test", to="dora@dak.de", subject="Hallo")
    audit.record(action=audit.ADMIN_CHANGED, entity=mail)
    [row] = rows_of(admin_client.get(URL))
    assert row["object_url"] == reverse("admin:accounts_outboxemail_change", args=[mail.pk])
    assert row["object_label"] == f"E-Mail (Postausgang) #{mail.pk}"


def test_a_deleted_record_is_named_without_a_link(admin_client):
    audit.record(action=audit.ADMIN_DELETED, entity_type="cases.case", entity_id=987654)
    [row] = rows_of(admin_client.get(URL))
    assert row["object_label"] == "Fall #987654 (gelöscht)"
    assert row["object_url"] is None


def test_objekttyp_is_a_choice_of_german_names(admin_client, dak_user):
    from cases.tests.factories import make_case

    audit.record(action=audit.LOGIN, entity=dak_user)
    audit.record(action=audit.ADMIN_CHANGED, entity=make_case())
    response = admin_client.get(URL)
    choices = response.context["filters"].fields["entity_type"].choices
    assert choices == [("", "alle"), ("accounts.user", "Benutzer"), ("cases.case", "Fall")]
    assert '<option value="cases.case">Fall</option>' in response.content.decode()
    filtered = admin_client.get(URL, {"entity_type": "cases.case"})
    assert [r["entry"].entity_type for r in rows_of(filtered)] == ["cases.case"]


def test_an_unknown_objekttyp_gets_a_german_message(admin_client):
    response = admin_client.get(URL, {"entity_type": "gibt.es_nicht"})
    assert "Bitte prüfen Sie die Filter" in response.content.decode()
    assert "Objekttyp:" in response.content.decode()


def test_the_table_scrolls_inside_its_region_and_the_changes_wrap(admin_client):
    audit.record(action=audit.LOGIN, new={"a": "x" * 300})
    content = admin_client.get(URL).content.decode()
    assert 'class="table-scroll" tabindex="0" role="region" aria-label="Audit-Einträge"' in content
    assert '<td class="cell-wide">' in content
