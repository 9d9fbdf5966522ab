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


PROJECT = ACCOUNTS.parent
APPS = ("accounts", "cases", "imports", "coding", "reports", "dak_portal")


def _project_sources():
    for app in APPS:
        for path in (PROJECT / app).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path


def test_notifications_are_sent_with_the_enum_never_a_string():
    literal_calls = []
    for path in _project_sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = node.args[0]
            if name == "notify" and isinstance(first, ast.Constant):
                literal_calls.append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    assert literal_calls == []


def test_the_second_factor_has_one_technical_name():
    from django.urls import get_resolver

    def names(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from names(pattern, pattern.namespace or namespace)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}", str(pattern.pattern)

    others = [
        (name, route)
        for name, route in names(get_resolver())
        if name.startswith(("konto:", "accounts:"))
        and any(word in f"{name} {route}".lower() for word in ("otp", "2fa"))
    ]
    assert others == []
    assert not (PROJECT / "templates" / "otp").exists()
    assert (PROJECT / "templates" / "mfa" / "setup.html").exists()
