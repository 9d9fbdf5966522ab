"""Edits at the same moment on real concurrent connections (MariaDB): two edits based on the
same version never both save, and an edit coding a week's last Gutachten while the coding card
codes the other one announces the week exactly once."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.actor import Actor
from accounts.models import Notification, NotificationType, Role, User
from cases.models import Case
from cases.services import CaseConflict, case_update, editable_values
from cases.tests.factories import make_case
from coding.gutachten import gutachten_code

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_a_server():
    if connection.vendor != "mysql":
        pytest.skip("needs a real server with concurrent connections (MariaDB)")


@pytest.fixture
def admins(db):
    return [
        User.objects.create_user(
            email=f"admin{n}@anbieter.example", password="x-Passwort-2026", role=Role.ADMIN
        )
        for n in range(2)
    ]


def run_overlapping(first_work, second_work):
    """first_work runs in a transaction held open while second_work starts; returns
    (results, errors) of both, in that order."""
    started = threading.Event()
    results, errors = [None, None], [None, None]

    def first():
        try:
            with transaction.atomic():
                results[0] = first_work()
                started.set()
                time.sleep(0.5)
        except Exception as exc:  # collected and asserted by the caller
            errors[0] = exc
        finally:
            started.set()
            connections.close_all()

    def second():
        try:
            started.wait(5)
            results[1] = second_work()
        except Exception as exc:  # collected and asserted by the caller
            errors[1] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_edits_based_on_the_same_version_never_both_save(admins):
    case = make_case(nachname="Weiß", telefon="030 1")
    based_on, basis = case.updated_at, editable_values(case)

    def edit(admin, telefon):
        return lambda: case_update(
            case=case.pk,
            values={"telefon": telefon},
            based_on=based_on,
            basis=basis,
            actor=Actor(user=admin),
        )

    _results, errors = run_overlapping(edit(admins[0], "040 2"), edit(admins[1], "089 3"))
    assert errors[0] is None
    assert isinstance(errors[1], CaseConflict)
    assert errors[1].changes == [("telefon", "030 1", "040 2")]
    assert Case.objects.get(pk=case.pk).telefon == "040 2"


def test_an_edit_and_the_coding_card_finishing_one_week_announce_it_once(admins):
    User.objects.create_user(
        email="kuehn@dak.de", password="x-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    first, second = (
        make_case(nachname=name, gutachten=True, datum=dt.date(2026, 2, 2))
        for name in ("Kühn", "Kuhn")
    )

    def on_the_edit_page():
        return case_update(
            case=first.pk,
            values={"gutachten_typ": "Alternative", "therapieaenderung": "Nein"},
            based_on=first.updated_at,
            actor=Actor(user=admins[0]),
        )

    def on_the_card():
        return gutachten_code(
            case=second,
            gutachten_typ="Bestätigung",
            therapieaenderung="Nein",
            actor=Actor(user=admins[1]),
        )

    _results, errors = run_overlapping(on_the_edit_page, on_the_card)
    assert errors == [None, None]
    assert Notification.objects.filter(type=NotificationType.CODING_COMPLETED).count() == 1


def test_two_edits_coding_the_last_two_gutachten_of_a_week_both_save_and_announce_once(admins):
    User.objects.create_user(
        email="weiss@dak.de", password="x-Passwort-2026", role=Role.DAK_MITARBEITER
    )
    cases = [
        make_case(nachname=name, gutachten=True, datum=dt.date(2026, 2, 2))
        for name in ("Weiß", "Weiss")
    ]

    def code(n):
        return lambda: case_update(
            case=cases[n].pk,
            values={"gutachten_typ": "Bestätigung", "therapieaenderung": "Nein"},
            based_on=cases[n].updated_at,
            actor=Actor(user=admins[n]),
        )

    # Without the announcement on the edit path neither edit would send coding_completed.
    _results, errors = run_overlapping(code(1), code(0))
    assert errors == [None, None]
    assert Notification.objects.filter(type=NotificationType.CODING_COMPLETED).count() == 1
    assert not Case.objects.pending_coding().exists()
