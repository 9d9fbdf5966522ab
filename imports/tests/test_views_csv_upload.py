"""The CRM CSV upload page: a file goes in, a stored preview comes out (or one German message)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from imports.models import ImportPreview, ImportPreviewRow

pytestmark = pytest.mark.django_db

URL = reverse("imports:csv")


def upload(client, name, data, url=URL, **fields):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def test_it_shows_the_upload_form(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "CRM-Export importieren" in page
    assert 'enctype="multipart/form-data"' in page
    assert "hx-post" in page and "<progress" in page
    assert "data-drop-zone" in page


def test_it_stores_a_preview_and_redirects_to_it(admin_client, admin_user, fixture_bytes):
    response = upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    preview = ImportPreview.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:preview", args=[preview.pk])
    assert preview.user == admin_user
    assert preview.file_name == "crm_edge_cases.csv"
    assert len(preview.sha256) == 64
    assert preview.state == "offen"
    assert preview.expires_at > preview.created_at
    assert ImportPreviewRow.objects.filter(preview=preview).count() == 10


def test_the_preview_shows_six_new_one_duplicate_three_errors(admin_client, fixture_bytes):
    response = upload(admin_client, "crm_edge_cases.csv", fixture_bytes("crm_edge_cases.csv"))
    page = admin_client.get(response.url).content.decode()
    assert 'data-testid="count-neu">6<' in page
    assert 'data-testid="count-aktualisierung">0<' in page
    assert 'data-testid="count-duplikat">1<' in page
    assert 'data-testid="count-fehler">3<' in page
    assert 'data-testid="count-warnungen">3<' in page


def test_an_htmx_upload_answers_with_a_client_redirect(admin_client, fixture_bytes):
    response = admin_client.post(
        URL,
        {"file": SimpleUploadedFile("crm.csv", fixture_bytes("crm_edge_cases.csv"))},
        headers={"HX-Request": "true"},
    )
    preview = ImportPreview.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("imports:preview", args=[preview.pk])


def test_an_htmx_upload_of_a_bad_file_swaps_in_the_form_with_the_message(admin_client):
    response = admin_client.post(
        URL,
        {"file": SimpleUploadedFile("leer.csv", b"")},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "Die Datei ist leer." in page
    assert not ImportPreview.objects.exists()


def _xlsx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("zufall.csv", bytes(range(256)) * 8, "Binärdaten"),
        ("leer.csv", b"", "Die Datei ist leer."),
        ("kopf.csv", b"Name,Thema,Erstellungsdatum,Modul,Hauptkontakt\r\n", "keine Datenzeilen"),
        ("export.xlsx", _xlsx_bytes(), "hat eine andere Endung"),
        ("getarnt.csv", _xlsx_bytes(), "Excel-Arbeitsmappe, keine CSV-Datei"),
        (
            "ohne_modul.csv",
            b"Name,Hauptkontakt,Erstellungsdatum\r\nT-1,A | B,01.02.26\r\n",
            "Modul",
        ),
    ],
)
def test_a_bad_file_gets_one_german_message_and_no_preview(admin_client, name, data, message):
    response = upload(admin_client, name, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert page.count('data-testid="upload-error"') == 1
    assert not ImportPreview.objects.exists()
    assert not ImportPreviewRow.objects.exists()


@override_settings(IMPORT_MAX_BYTES=100)
def test_an_oversized_file_is_refused_before_it_is_read(admin_client, fixture_bytes):
    response = upload(admin_client, "crm.csv", fixture_bytes("crm_edge_cases.csv"))
    page = response.content.decode()
    assert "Die Datei ist zu groß" in page
    assert "erlaubt sind höchstens 100 Bytes" in page
    assert not ImportPreview.objects.exists()


def test_a_post_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(URL, {})
    assert "Bitte wählen Sie eine Datei aus." in response.content.decode()
    assert not ImportPreview.objects.exists()


def test_a_new_upload_deletes_previews_long_expired(admin_client, fixture_bytes):
    import datetime as dt

    from django.utils import timezone

    upload(admin_client, "a.csv", fixture_bytes("crm_edge_cases.csv"))
    old = ImportPreview.objects.get()
    ImportPreview.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=2))
    upload(admin_client, "b.csv", fixture_bytes("crm_edge_cases.csv"))
    assert list(ImportPreview.objects.values_list("file_name", flat=True)) == ["b.csv"]
    assert ImportPreviewRow.objects.count() == 10


def test_it_rejects_put(admin_client):
    assert admin_client.put(URL).status_code == 405


def test_it_is_forbidden_for_dak_staff(dak_client, fixture_bytes):
    response = upload(dak_client, "crm.csv", fixture_bytes("crm_edge_cases.csv"))
    assert response.status_code == 403
    assert dak_client.get(URL).status_code == 403
    assert not ImportPreview.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login(client, fixture_bytes):
    response = upload(client, "crm.csv", fixture_bytes("crm_edge_cases.csv"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not ImportPreview.objects.exists()


def test_a_very_long_file_name_is_cut_but_keeps_its_extension(admin_client, fixture_bytes):
    upload(admin_client, "x" * 300 + ".csv", fixture_bytes("crm_edge_cases.csv"))
    name = ImportPreview.objects.get().file_name
    assert len(name) == 255
    assert name.endswith(".csv")
