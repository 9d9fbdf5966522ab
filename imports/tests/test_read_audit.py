"""Reads of patient data are audited (domain.md §6): opening the import preview, an import log,
the ICD upload result, and a case, a preview row or an import log in the Django admin each
write one `read` entry naming the record by type and primary key, with no patient values."""

import json

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog
from cases.tests.factories import make_case
from imports.models import ImportLog, ImportPreview
from imports.tests.test_views_csv_upload import upload
from imports.tests.test_views_icd_upload import post as icd_post
from imports.tests.test_views_icd_upload import workbook as icd_workbook

pytestmark = pytest.mark.django_db

# Values of crm_edge_cases.csv a read entry must never carry.
PATIENT_VALUES = ["Tonn", "Regina", "1960-04-28", "28.04.1960", "D410126355", "T-9001"]


def reads():
    return list(AuditLog.objects.filter(action__in=[audit.READ, audit.DOWNLOAD]))


def assert_no_patient_values(entry, values=PATIENT_VALUES):
    stored = json.dumps([entry.entity_id, entry.old_values, entry.new_values], ensure_ascii=False)
    for value in values:
        assert value not in stored


@pytest.fixture
def preview(admin_client, fixture_bytes):
    upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    return ImportPreview.objects.get()


def test_opening_the_preview_writes_a_read_entry(admin_client, admin_user, preview):
    before = len(reads())
    admin_client.get(reverse("imports:preview", args=[preview.pk]))
    [entry] = reads()[: len(reads()) - before]
    assert (entry.action, entry.user, entry.entity_type, entry.entity_id) == (
        "read",
        admin_user,
        "imports.importpreview",
        str(preview.pk),
    )
    assert entry.new_values == {"ansicht": "neu", "seite": 1}
    assert_no_patient_values(entry)


def test_each_tab_shown_by_htmx_is_a_read_of_its_own(admin_client, preview):
    url = reverse("imports:preview", args=[preview.pk]) + "?art=fehler"
    admin_client.get(url, headers={"HX-Request": "true"})
    entry = reads()[0]
    assert (entry.entity_id, entry.new_values["ansicht"]) == (str(preview.pk), "fehler")


def test_opening_an_import_log_writes_a_read_entry(admin_client, admin_user, preview):
    admin_client.post(reverse("imports:preview_confirm", args=[preview.pk]))
    log = ImportLog.objects.get()
    admin_client.get(reverse("imports:log_detail", args=[log.pk]))
    entry = reads()[0]
    assert (entry.action, entry.user, entry.entity_type, entry.entity_id) == (
        "read",
        admin_user,
        "imports.importlog",
        str(log.pk),
    )
    assert_no_patient_values(entry)


def test_the_icd_upload_result_is_audited_as_a_read_of_its_log(dak_client, dak_user):
    case = make_case(nachname="Weiß", vorname="Jürgen")
    icd_post(dak_client, icd_workbook([(case.fall_id, "C50.1")]))
    log = ImportLog.objects.get()
    [entry] = reads()
    assert (entry.action, entry.user, entry.entity_type, entry.entity_id) == (
        "read",
        dak_user,
        "imports.importlog",
        str(log.pk),
    )
    assert_no_patient_values(entry, ["Weiß", "Jürgen", case.fall_id, "C50.1"])


def test_a_rejected_icd_upload_shows_no_result_and_audits_no_read(dak_client):
    icd_post(dak_client, b"kein Excel")
    assert reads() == []


def test_opening_a_case_in_the_django_admin_writes_a_read_entry(admin_client, admin_user):
    case = make_case(nachname="Kühn", vorname="Jörg", kvnr="A123456780")
    response = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    [entry] = reads()
    assert (entry.action, entry.user, entry.entity_type, entry.entity_id) == (
        "read",
        admin_user,
        "cases.case",
        str(case.pk),
    )
    assert_no_patient_values(entry, ["Kühn", "Jörg", "A123456780", case.fall_id])


def test_the_case_list_of_the_django_admin_is_not_a_read_of_each_case(admin_client):
    make_case(nachname="Kühn")
    admin_client.get(reverse("admin:cases_case_changelist"))
    assert reads() == []


def test_opening_a_preview_row_or_an_import_log_in_the_django_admin_is_audited(
    admin_client, preview
):
    row = preview.rows.first()
    admin_client.get(reverse("admin:imports_importpreviewrow_change", args=[row.pk]))
    admin_client.post(reverse("imports:preview_confirm", args=[preview.pk]))
    log = ImportLog.objects.get()
    before = AuditLog.objects.count()
    admin_client.get(reverse("admin:imports_importlog_change", args=[log.pk]))
    assert AuditLog.objects.count() == before + 1
    types = [(e.entity_type, e.entity_id) for e in reads()]
    assert ("imports.importpreviewrow", str(row.pk)) in types
    assert ("imports.importlog", str(log.pk)) in types


def test_a_missing_case_in_the_django_admin_audits_nothing(admin_client):
    admin_client.get(reverse("admin:cases_case_change", args=[999999]))
    assert reads() == []
