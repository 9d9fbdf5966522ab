"""Macro workbooks are refused before anything parses them (issue 11 §2): by name (.xlsm,
.xlsb, .xltm, .xlam) and by content (a VBA project in any spelling, macro sheets, a
macro-enabled content type)."""

import pytest
from django.urls import reverse

from cases.models import Case
from imports.models import ImportLog, ImportPreview, ImportType
from imports.readers.base import FileRejected
from imports.readers.historical import read_historical_workbook
from imports.readers.icd_workbook import read_icd_workbook
from imports.services import import_prepare
from imports.tests.reader_support import read_entry, rewrite_zip, row, xlsx, year_sheet
from imports.tests.test_commands import run
from imports.tests.test_views_csv_upload import upload

NAME_REFUSED = "Arbeitsmappen mit Makros (.xlsm, .xlsb, .xltm, .xlam) werden"
CONTENT_REFUSED = "Die Arbeitsmappe enthält Makros (VBA)"


@pytest.fixture
def workbook():
    return xlsx(
        {"2025": year_sheet(row(KW=6, Datum="03.02.2025", Fallgruppe="onko", Nachname="Kühn"))}
    )


def refused(data, reader=read_historical_workbook):
    with pytest.raises(FileRejected) as info:
        reader(data)
    return info.value.message


@pytest.mark.parametrize(
    "entry", ["xl/vbaProject.bin", "xl/VBAPROJECT.BIN", "xl/vbaproject.bin", "vbaProject.bin"]
)
@pytest.mark.parametrize("reader", [read_historical_workbook, read_icd_workbook])
def test_a_workbook_holding_a_vba_project_is_refused(workbook, entry, reader):
    data = rewrite_zip(workbook, {entry: b"\xd0\xcf\x11\xe0 macro code"})
    assert refused(data, reader).startswith(CONTENT_REFUSED)


@pytest.mark.parametrize(
    "entry",
    ["xl/macrosheets/sheet1.xml", "xl/dialogsheets/sheet1.xml", "xl/vbaProjectSignature.bin"],
)
def test_other_macro_parts_are_refused(workbook, entry):
    data = rewrite_zip(workbook, {entry: b"<worksheet/>"})
    assert refused(data).startswith(CONTENT_REFUSED)


def test_a_macro_enabled_content_type_is_refused_without_a_vba_part(workbook):
    types = read_entry(workbook, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert b"macroEnabled" in types
    assert refused(rewrite_zip(workbook, {"[Content_Types].xml": types})).startswith(
        CONTENT_REFUSED
    )


def test_the_plain_workbook_is_still_read(workbook):
    assert [r.values["nachname"] for r in read_historical_workbook(workbook).rows] == ["Kühn"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Abrechnung.xlsm", "Abrechnung.XLSM", "a.xlsb", "vorlage.xltm"])
def test_the_service_refuses_a_macro_file_name_before_reading(workbook, name):
    with pytest.raises(FileRejected) as info:
        import_prepare(import_type=ImportType.HISTORISCH, data=workbook, file_name=name)
    assert info.value.message.startswith(NAME_REFUSED)


@pytest.mark.django_db
def test_the_upload_page_refuses_a_renamed_xlsx_with_a_german_message(admin_client, workbook):
    response = upload(
        admin_client, "Abrechnung_DAK.xlsm", workbook, url=reverse("imports:historical")
    )
    assert response.status_code == 200
    assert NAME_REFUSED in response.content.decode()
    assert not ImportPreview.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_refuses_a_vba_project_inside_an_xlsx(admin_client, workbook):
    data = rewrite_zip(workbook, {"xl/vbaProject.bin": b"macro"})
    response = upload(admin_client, "Abrechnung_DAK.xlsx", data, url=reverse("imports:historical"))
    assert CONTENT_REFUSED in response.content.decode()
    assert not ImportPreview.objects.exists()


@pytest.mark.django_db
def test_the_icd_upload_refuses_a_macro_workbook(client, dak_user, workbook):
    client.force_login(dak_user)
    response = upload(client, "codierung.xlsm", workbook, url=reverse("imports:icd"))
    assert NAME_REFUSED in response.content.decode()
    assert not ImportLog.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_a_macro_workbook(tmp_path, workbook):
    path = tmp_path / "Abrechnung_DAK.xlsm"
    path.write_bytes(workbook)
    code, out = run("import_historical", str(path))
    assert code == 2
    assert "Makros" in out
    assert not Case.objects.exists()
