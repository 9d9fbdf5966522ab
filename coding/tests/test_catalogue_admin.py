import pytest

from coding.catalogue import catalogue_load
from coding.models import ICDCatalogueEntry
from coding.tests.catalogue_files import utf8_file

pytestmark = pytest.mark.django_db

ENTRIES = "/verwaltung/django/coding/icdcatalogueentry/"
VERSIONS = "/verwaltung/django/coding/icdcatalogueversion/"


@pytest.fixture
def catalogue():
    return catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")


def search(client, term):
    # The admin search is posted and kept in the session (accounts.admin_search).
    client.post(f"{ENTRIES}suche/", {"q": term})
    response = client.get(ENTRIES)
    assert response.status_code == 200
    return response.content.decode()


def test_the_entry_list_shows_codes_titles_and_the_catalogue_version(admin_client, catalogue):
    page = search(admin_client, "")
    assert "C50.1" in page
    assert "Akute Gefäßkrankheiten des Darms" in page
    assert "ICD-10-GM 2026" in page


def test_a_lower_case_code_finds_the_code_and_its_subcodes(admin_client, catalogue):
    page = search(admin_client, " e11.9 ")
    assert "E11.90" in page
    assert "E11.9<" in page  # the four-character code itself
    assert "C50.1" not in page


def test_a_title_word_finds_its_codes_whatever_the_case(admin_client, catalogue):
    page = search(admin_client, "gefäßkrankheiten")
    assert "K55.0" in page
    assert "C50.1" not in page


def test_the_catalogue_is_read_only_in_the_admin(admin_client, catalogue):
    entry = ICDCatalogueEntry.objects.get(code="C50.1")
    assert admin_client.get(f"{ENTRIES}add/").status_code == 403
    assert admin_client.get(f"{ENTRIES}{entry.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"{ENTRIES}{entry.pk}/change/",
        {"code": "C50.1", "title": "Geändert", "level": 4, "terminal": "on"},
    )
    assert response.status_code == 403
    assert ICDCatalogueEntry.objects.get(pk=entry.pk).title.startswith("Bösartige")


def test_the_version_list_shows_year_file_and_counts(admin_client, catalogue):
    page = admin_client.get(VERSIONS).content.decode()
    assert "icd10gm2026syst_kodes.txt" in page
    assert ">2026<" in page
    assert ">7<" in page


def test_dak_staff_cannot_open_the_catalogue_admin(dak_client, catalogue):
    response = dak_client.get(ENTRIES)
    assert response.status_code in (302, 403)
