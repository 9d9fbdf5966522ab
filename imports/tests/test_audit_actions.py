"""Import actions are named in German on the audit log page and offered by its filter."""

import pytest
from django.urls import reverse

from accounts import audit
from imports import audit_actions

pytestmark = pytest.mark.django_db


def test_the_audit_filter_offers_upload_confirm_discard_and_each_import_type(admin_client):
    response = admin_client.get(reverse("accounts:audit_list"))
    offered = dict(response.context["filters"].fields["action"].choices)
    assert offered[audit_actions.PREVIEW_CREATED] == "Import-Vorschau erstellt (Datei hochgeladen)"
    assert offered[audit_actions.PREVIEW_CONFIRMED] == "Import-Vorschau bestätigt"
    assert offered[audit_actions.PREVIEW_DISCARDED] == "Import-Vorschau verworfen"
    assert offered["import.crm_csv"] == "Import: CRM-Export (CSV)"
    assert offered["import.icd"] == "Import: ICD-Codierung"


def test_an_import_entry_shows_its_german_label(admin_client):
    audit.record(action=audit_actions.IMPORTED["historisch"])
    page = admin_client.get(reverse("accounts:audit_list")).content.decode()
    assert "<td>Import: Abrechnungs-Arbeitsmappe</td>" in page
    assert ">import.historisch<" not in page  # the raw action name is never shown
