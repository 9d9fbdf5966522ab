from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture
def fixture_bytes():
    def load(name):
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def sample_workbook():
    path = SHARED_DATA / "Abrechnung_DAK_sample.xlsx"
    if not path.exists():
        pytest.skip("the large sample workbook lives in ../shared/data/ and is not present")
    return path.read_bytes()
