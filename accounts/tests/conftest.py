import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User

PASSWORD = "Sicheres-Testpasswort-2026"


def totp_code(device, steps_ahead=0):
    """The code an authenticator app would show now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def password_login(client, email, password=PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


@pytest.fixture
def other_dak(db):
    return User.objects.create_user(
        email="kollegin@dak.de", password=PASSWORD, role=Role.DAK_MITARBEITER
    )


@pytest.fixture
def admin_device(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
