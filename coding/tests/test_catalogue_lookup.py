import pytest

from cases import rules
from coding.catalogue import CodeInfo, catalogue_load, catalogue_lookup
from coding.tests.catalogue_files import cp1252_file, utf8_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue_2026():
    return catalogue_load(data=utf8_file(), file_name="icd10gm2026syst_kodes.txt")


def test_typed_codes_get_their_titles_and_a_warning_for_unknown_or_not_terminal_codes(
    catalogue_2026, django_assert_num_queries
):
    codes = rules.parse_icd(" c50.1;E11.9  c50.- , Z99.9 E11.90 ")
    assert codes == ["C50.1", "E11.9", "C50", "Z99.9", "E11.90"]

    with django_assert_num_queries(1):
        info = catalogue_lookup(codes=codes)

    assert list(info) == codes
    assert info["C50.1"] == CodeInfo(
        "C50.1", title="Bösartige Neubildung: Zentraler Drüsenkörper der Brustdrüse"
    )
    assert info["E11.90"].warning is None
    assert info["E11.9"] == CodeInfo(
        "E11.9",
        title="Diabetes mellitus, Typ 2: Ohne Komplikationen",
        warning="kein endständiger Code – bitte genauer codieren",
    )
    assert info["C50"].title == "Bösartige Neubildung der Brustdrüse [Mamma]"
    assert info["C50"].warning == "kein endständiger Code – bitte genauer codieren"
    # Z99.9 was in 2025 only: the warning names the loaded catalogue's year.
    assert info["Z99.9"] == CodeInfo("Z99.9", warning="nicht im ICD-10-GM-Katalog 2026")


def test_the_warning_names_the_year_of_the_catalogue_loaded_now():
    catalogue_load(data=cp1252_file(), file_name="icd10gm2025syst_kodes.txt")
    assert catalogue_lookup(codes=["C79.5"])["C79.5"].warning == "nicht im ICD-10-GM-Katalog 2025"


def test_many_codes_still_take_one_query(catalogue_2026, django_assert_num_queries):
    codes = [f"C{n:02d}.{d}" for n in range(40) for d in range(5)]
    with django_assert_num_queries(1):
        info = catalogue_lookup(codes=codes)
    assert len(info) == 200
    assert all(item.warning == "nicht im ICD-10-GM-Katalog 2026" for item in info.values())


def test_without_a_catalogue_there_are_no_titles_and_no_warnings(django_assert_num_queries):
    with django_assert_num_queries(1):
        info = catalogue_lookup(codes=["C50.1", "X99.99"])
    assert info == {"C50.1": CodeInfo("C50.1"), "X99.99": CodeInfo("X99.99")}


def test_no_codes_need_no_query(catalogue_2026, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert catalogue_lookup(codes=[]) == {}


def test_a_code_repeated_in_the_input_is_answered_once(catalogue_2026):
    info = catalogue_lookup(codes=["C50.1", "C50.1"])
    assert list(info) == ["C50.1"]
