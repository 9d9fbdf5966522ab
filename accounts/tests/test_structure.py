"""Structure rules of the accounts app that the next apps will copy (issue 11 §5)."""

import ast
from pathlib import Path

ACCOUNTS = Path(__file__).resolve().parent.parent


def imported_modules(path):
    """Every module a file imports, at module level or inside a function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_models_do_not_import_the_audit_write_path():
    # accounts.audit imports the models; an import back (even inside a function) is a cycle.
    assert "accounts.audit" not in imported_modules(ACCOUNTS / "models.py")
