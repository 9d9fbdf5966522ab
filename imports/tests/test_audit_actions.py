"""Import actions are named in German on the audit log page and offered by its filter."""

import pytest
from django.urls import reverse

from accounts import audit
from imports import audit_actions
from imports.models import ImportType

pytestmark = pytest.mark.django_db

IMPORT_ACTIONS = [
    audit_actions.PREVIEW_CREATED,
    audit_actions.PREVIEW_CONFIRMED,
    audit_actions.PREVIEW_DISCARDED,
    *(f"import.{kind}" for kind in ImportType.values),
]


def test_the_audit_filter_offers_upload_confirm_discard_and_each_import_type(admin_client):
    response = admin_client.get(reverse("accounts:audit_list"))
    offered = dict(response.context["filters"].fields["action"].choices)
    for action in IMPORT_ACTIONS:
        assert offered[action] == audit_actions.LABELS[action]
    assert offered[audit_actions.PREVIEW_DISCARDED] == "Import-Vorschau verworfen"
    assert offered["import.crm_csv"] == "Import: CRM-Export (CSV)"


def test_an_import_entry_shows_its_german_label(admin_client):
    audit.record(action="import.historisch")
    page = admin_client.get(reverse("accounts:audit_list")).content.decode()
    assert "Import: Abrechnungs-Arbeitsmappe" in page
    assert ">import.historisch<" not in page  # the raw action name is never shown
