import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog, Role, User
from accounts.tests.conftest import PASSWORD, password_login

pytestmark = pytest.mark.django_db


def test_it_creates_an_admin_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    call_command("createadmin", "--email", "Chefin@Anbieter.example", "--noinput")
    user = User.objects.get(email="chefin@anbieter.example")
    assert (user.role, user.is_staff, user.must_change_password) == (Role.ADMIN, True, False)
    assert user.check_password(PASSWORD)
    assert user.emailaddress_set.get().verified
    assert "angelegt" in capsys.readouterr().out
    assert AuditLog.objects.filter(action=audit.USER_CREATED, entity_id=str(user.pk)).exists()


def test_the_new_admin_must_set_up_2fa_at_first_login(monkeypatch, client):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    call_command("createadmin", "--email", "chefin@anbieter.example", "--noinput")
    password_login(client, "chefin@anbieter.example")
    assert client.get(reverse("home"))["Location"] == reverse("konto:mfa_setup")


def test_it_reads_another_variable_when_told(monkeypatch):
    monkeypatch.setenv("MEIN_PASSWORT", PASSWORD)
    call_command(
        "createadmin",
        "--email",
        "a@anbieter.example",
        "--noinput",
        "--password-env",
        "MEIN_PASSWORT",
    )
    assert User.objects.filter(email="a@anbieter.example").exists()


def test_it_refuses_without_password(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="ADMIN_PASSWORD"):
        call_command("createadmin", "--email", "a@anbieter.example", "--noinput")
    assert not User.objects.exists()


def test_it_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "kurz")
    with pytest.raises(CommandError, match="zu kurz"):
        call_command("createadmin", "--email", "a@anbieter.example", "--noinput")


def test_it_refuses_an_existing_address(monkeypatch, admin_user):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="bereits"):
        call_command("createadmin", "--email", admin_user.email.upper(), "--noinput")


def test_it_refuses_an_invalid_address(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="Ungültige"):
        call_command("createadmin", "--email", "kein-at-zeichen", "--noinput")


def test_it_asks_interactively(monkeypatch):
    answers = iter(["frag@anbieter.example", "Fritz", "Frager"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    passwords = iter(["kurz", "kurz", PASSWORD, "anders", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(passwords))
    call_command("createadmin")
    user = User.objects.get(email="frag@anbieter.example")
    assert (user.first_name, user.last_name, user.role) == ("Fritz", "Frager", Role.ADMIN)
    assert user.check_password(PASSWORD)
