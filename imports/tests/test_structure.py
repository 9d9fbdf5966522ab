"""Structure rules of the imports app that the next apps will copy (issue 11 §5)."""

import ast
from pathlib import Path

from imports.outcomes import RowOutcome

IMPORTS = Path(__file__).resolve().parent.parent


def imported_modules(path):
    """Every module a file imports, at module level or inside a function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_models_import_no_service():
    # The services import the models; an import back (even inside a function) is a cycle.
    imported = imported_modules(IMPORTS / "models.py")
    assert not imported & {"imports.services", "imports.previews", "imports.icd_import"}


def test_no_module_spells_the_row_outcomes_again():
    # One vocabulary: the outcome values live in imports/outcomes.py only.
    spelled = {f'"{value}"' for value in RowOutcome.values} - {'"neu"', '"fehler"'}
    for path in [
        *IMPORTS.glob("*.py"),
        *IMPORTS.glob("views/*.py"),
        *IMPORTS.glob("management/commands/*.py"),
    ]:
        if path.name == "outcomes.py":
            continue
        text = path.read_text()
        assert not [s for s in spelled if s in text], path.name


def test_the_import_log_names_its_counters_like_the_outcomes():
    from imports.models import ImportLog
    from imports.outcomes import LOG_COUNTERS

    for outcome, counter in LOG_COUNTERS.items():
        assert ImportLog._meta.get_field(counter).verbose_name == outcome.label
