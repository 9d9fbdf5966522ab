"""Upload of the coded ICD workbook: DAK staff and admins; result with errors by row."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from cases.models import Case
from cases.tests.factories import make_case
from imports.models import ImportLog, ImportType

pytestmark = pytest.mark.django_db

URL = reverse("imports:icd")
HEADERS = ["Fall-ID", "KW", "Datum", "Fallgruppe", "Nachname", "Vorname", "Geburtsdatum", "ICD"]


def workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "ICD-Codierung"
    sheet.append(HEADERS)
    for fall_id, icd in rows:
        sheet.append([fall_id, 6, dt.date(2026, 2, 2), "onko", "Muster", "Erika", None, icd])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def cases():
    return [make_case(nachname=name) for name in ("Alpha", "Beta", "Gamma", "Delta")]


def post(client, data, name="Codiervorlage_2026-02-09.xlsx", headers=None):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, headers=headers)


def test_it_shows_the_upload_form_to_dak_staff(dak_client):
    response = dak_client.get(URL)
    assert response.status_code == 200
    assert "ICD-Codierung hochladen" in response.content.decode()


def test_valid_rows_are_saved_and_counted(dak_client, dak_user, cases):
    alpha, beta, *_ = cases
    response = post(dak_client, workbook([(alpha.fall_id, "c50.1"), (beta.fall_id, "I21.0")]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="icd-updated">2<' in page
    assert 'data-testid="icd-unchanged">0<' in page
    assert 'data-testid="icd-errors">0<' in page
    alpha.refresh_from_db()
    assert alpha.icd == "C50.1"
    assert alpha.icd_entered_by == dak_user
    log = ImportLog.objects.get()
    assert (log.import_type, log.updated, log.user) == (ImportType.ICD, 2, dak_user)
    # DAK staff do not see the import log; admins get a link to it
    assert reverse("imports:log_detail", args=[log.pk]) not in page


def test_errors_are_listed_by_row_and_never_block_the_valid_rows(admin_client, cases):
    alpha, beta, gamma, delta = cases
    gamma.icd = "E04.1"
    gamma.save()
    data = workbook(
        [
            (alpha.fall_id, "C50.1"),  # row 2: saved
            ("2026-06-onko-Unbekannt", "C50.1"),  # row 3: unknown Fall-ID
            (beta.fall_id, "XYZ"),  # row 4: invalid code
            (delta.fall_id, "C50.1"),  # row 5: same Fall-ID twice …
            (delta.fall_id, "I21.0"),  # row 6: … with different codes
            (gamma.fall_id, "E04.1"),  # row 7: the case already has this code
        ]
    )
    response = post(admin_client, data)
    page = response.content.decode()
    assert 'data-testid="icd-updated">1<' in page
    assert 'data-testid="icd-unchanged">1<' in page
    assert 'data-testid="icd-errors">4<' in page
    table = page[page.index('data-testid="icd-error-rows"') :]
    assert "<td>3</td><td>2026-06-onko-Unbekannt</td><td>Unbekannte Fall-ID.</td>" in table
    assert f"<td>4</td><td>{beta.fall_id}</td>" in table and "XYZ" in table
    assert f"<td>5</td><td>{delta.fall_id}</td>" in table
    assert f"<td>6</td><td>{delta.fall_id}</td>" in table
    assert "mehrfach mit verschiedenen ICD-Codes" in table
    assert Case.objects.get(pk=alpha.pk).icd == "C50.1"
    assert Case.objects.get(pk=beta.pk).icd is None
    assert Case.objects.get(pk=delta.pk).icd is None
    log = ImportLog.objects.get()
    assert reverse("imports:log_detail", args=[log.pk]) in page


def test_an_htmx_upload_gets_the_result_fragment(dak_client, cases):
    response = post(
        dak_client, workbook([(cases[0].fall_id, "C50.1")]), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'data-testid="icd-result"' in page
    assert "Weitere Datei hochladen" in page


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leer.xlsx", b"", "Die Datei ist leer."),
        ("vorlage.csv", b"Fall-ID,ICD\r\nX,C50.1\r\n", "hat eine andere Endung"),
        ("kaputt.xlsx", bytes(range(256)) * 4, ""),
    ],
)
def test_a_bad_file_gets_one_message_and_changes_nothing(dak_client, name, data, message):
    response = post(dak_client, data, name=name)
    page = response.content.decode()
    assert message in page
    assert page.count('data-testid="upload-error"') == 1
    assert not ImportLog.objects.exists()


def test_a_workbook_without_the_icd_column_is_refused(dak_client):
    book = Workbook()
    book.active.append(["Fall-ID", "Bemerkung"])
    buffer = io.BytesIO()
    book.save(buffer)
    page = post(dak_client, buffer.getvalue()).content.decode()
    assert "ICD" in page
    assert page.count('data-testid="upload-error"') == 1
    assert not ImportLog.objects.exists()


def test_it_rejects_put(dak_client):
    assert dak_client.put(URL).status_code == 405


def test_it_sends_anonymous_visitors_to_the_login(client, cases):
    response = post(client, workbook([(cases[0].fall_id, "C50.1")]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert Case.objects.get(pk=cases[0].pk).icd is None
