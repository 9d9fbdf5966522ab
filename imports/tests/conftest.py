from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_bytes():
    def load(name):
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def sample_workbook():
    """The 1,742-case sample of ../shared/data/, carried as a fixture (181 KB)."""
    return (FIXTURES / "Abrechnung_DAK_sample.xlsx").read_bytes()
