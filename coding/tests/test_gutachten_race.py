"""Two admins finishing the same week at the same moment: coding_completed is sent exactly once
(MariaDB, real concurrent connections)."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from accounts.actor import Actor
from accounts.models import Notification, NotificationType, Role, User
from cases.tests.factories import make_case
from coding.gutachten import gutachten_code


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_admins_coding_the_last_two_cases_of_a_week_notify_once():
    if connection.vendor != "mysql":
        pytest.skip("needs a real server with concurrent connections (MariaDB)")
    User.objects.create_user(
        email="weiss@dak.de", password="x-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    admins = [
        User.objects.create_user(
            email=f"admin{n}@anbieter.example", password="x-Passwort-2026", role=Role.ADMIN
        )
        for n in range(2)
    ]
    cases = [
        make_case(nachname=name, gutachten=True, datum=dt.date(2026, 2, 2))
        for name in ("Müller", "Muller")
    ]
    first_coded = threading.Event()
    errors = []

    def code(n):
        gutachten_code(
            case=cases[n],
            gutachten_typ="Bestätigung",
            therapieaenderung="Nein",
            actor=Actor(user=admins[n]),
        )

    def first():
        from django.db import connections

        try:
            # The first admin's save is still open while the second one codes the other case.
            with transaction.atomic():
                code(0)
                first_coded.set()
                time.sleep(0.5)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            first_coded.set()
            connections.close_all()

    def second():
        from django.db import connections

        try:
            first_coded.wait(5)
            code(1)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Notification.objects.filter(type=NotificationType.CODING_COMPLETED).count() == 1
