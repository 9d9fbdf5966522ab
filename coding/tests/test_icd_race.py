"""Two people saving ICD codes on one case at the same moment (MariaDB, real connections): the
second save waits for the first one's row lock, so it reads the first one's codes and its audit
entry says old → new truthfully."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.actor import Actor
from accounts.models import AuditLog, Role, User
from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case
from coding.icd import ICD_SAVED, icd_save


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_case_run_one_after_the_other():
    if connection.vendor != "mysql":
        pytest.skip("needs a real server with concurrent connections (MariaDB)")
    users = [
        User.objects.create_user(email=email, password="x-Passwort-2026", role=role)
        for email, role in (
            ("weiß@dak.de", Role.DAK_MITARBEITER),
            ("admin@anbieter.example", Role.ADMIN),
        )
    ]
    case = make_case(nachname="Müßig", icd="E11.90")
    first_saved = threading.Event()
    errors = []

    def first():
        from django.db import connections

        try:
            # The first save's transaction is still open while the second one starts.
            with transaction.atomic():
                icd_save(case=case.pk, text="C50.1", actor=Actor(user=users[0]))
                first_saved.set()
                time.sleep(0.5)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            first_saved.set()
            connections.close_all()

    def second():
        from django.db import connections

        try:
            first_saved.wait(5)
            icd_save(case=case.pk, text="C79.5", actor=Actor(user=users[1]))
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
    case = Case.objects.get(pk=case.pk)
    assert (case.icd, case.icd_entered_by) == ("C79.5", users[1])
    assert list(CaseICDCode.objects.filter(case=case).values_list("icd_code", flat=True)) == [
        "C79.5"
    ]
    assert list(
        AuditLog.objects.filter(action=ICD_SAVED)
        .order_by("pk")
        .values_list("old_values", "new_values")
    ) == [({"icd": "E11.90"}, {"icd": "C50.1"}), ({"icd": "C50.1"}, {"icd": "C79.5"})]
