"""`manage.py seed_demo`: fictitious demo cases and demo logins."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from cases import demo, rules
from cases.models import Case, CaseICDCode

# A Friday, so the current week is complete.
FRIDAY = dt.datetime(2026, 3, 13, 12, 0, tzinfo=rules.BERLIN)


def seed(**options):
    out = StringIO()
    with time_machine.travel(FRIDAY, tick=False):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_the_full_period_is_two_years_and_this_year_up_to_the_current_week():
    weeks = demo.demo_weeks(dt.date(2026, 11, 25))
    assert weeks[0] == (2024, 1)
    assert weeks[-1] == (2026, 48)
    assert len(weeks) == 52 + 52 + 48


def test_the_full_period_includes_a_week_53():
    weeks = demo.demo_weeks(dt.date(2027, 1, 15))
    assert weeks[0] == (2025, 1)
    assert (2026, 53) in weeks
    assert weeks[-1] == (2027, 2)


def test_weeks_option_counts_back_over_new_year():
    assert demo.demo_weeks(dt.date(2026, 1, 7), weeks=3) == [(2025, 52), (2026, 1), (2026, 2)]


def test_the_same_week_gives_the_same_cases():
    first = demo.build_week(2025, 10, today=dt.date(2026, 1, 1))
    second = demo.build_week(2025, 10, today=dt.date(2026, 1, 1))
    assert [c.values for c in first] == [c.values for c in second]


@pytest.mark.django_db
def test_it_seeds_about_forty_cases_per_week():
    output = seed(weeks=3)

    per_week = Counter(Case.objects.values_list("jahr", "kw"))
    assert sorted(per_week) == [(2026, 9), (2026, 10), (2026, 11)]
    assert all(34 <= count <= 46 for count in per_week.values())
    assert f"{sum(per_week.values())} neu angelegt" in output
    assert not Case.objects.exclude(crm_ticket_id__startswith="DEMO-").exists()
    assert set(Case.objects.values_list("fallgruppe", flat=True)) == set(rules.FALLGRUPPEN)


@pytest.mark.django_db
def test_recent_weeks_leave_work_in_the_icd_queue():
    seed(weeks=3)
    current_week = Case.objects.filter(jahr=2026, kw=11)
    assert current_week.pending_icd().count() > current_week.count() // 2
    assert not current_week.filter(gutachten=True).exists()


@pytest.mark.django_db
def test_older_weeks_hold_every_outcome_and_most_cases_have_icd_codes():
    seed(weeks=16, per_week=30)

    for status, _label in rules.STATUS_CHOICES:
        assert Case.objects.with_status(status).exists(), status
    older = Case.objects.filter(datum__lt=dt.date(2026, 1, 15))
    assert older.pending_icd().count() < older.count() * 0.15
    gutachten = older.filter(gutachten=True)
    assert gutachten.filter(gutachten_typ__isnull=False).count() > gutachten.count() * 0.8
    assert Case.objects.filter(therapieaenderung="Ja").exists()
    assert Case.objects.filter(therapieaenderung="Nein").exists()
    assert set(Case.objects.values_list("quelle", flat=True)) == {"crm_csv"}


@pytest.mark.django_db
def test_seeded_cases_follow_the_domain_rules():
    seed(weeks=16, per_week=30)

    fall_ids = list(Case.objects.values_list("fall_id", flat=True))
    assert len(fall_ids) == len(set(fall_ids))
    codes = {}
    for row in CaseICDCode.objects.values("case_id", "icd_code", "icd_hauptgruppe"):
        codes.setdefault(row["case_id"], []).append(row["icd_code"])
        assert row["icd_hauptgruppe"] == rules.icd_hauptgruppe(row["icd_code"])
    for case in Case.objects.all():
        assert (case.jahr, case.kw) == rules.iso_week(case.datum)
        assert case.fall_id.startswith(f"{case.jahr}-{case.kw:02d}-{case.fallgruppe}-")
        assert case.duplicate_key == rules.duplicate_key_digest(
            nachname=case.nachname,
            vorname=case.vorname,
            geburtsdatum=case.geburtsdatum,
            fallgruppe=case.fallgruppe,
            datum=case.datum,
        )
        assert case.datum <= FRIDAY.date()
        assert sorted(rules.parse_icd(case.icd)) == sorted(codes.get(case.pk, []))
        if case.gutachten_typ or case.therapieaenderung:
            assert case.gutachten
        flags = (case.ta_diagnosekorrektur, case.ta_unterversorgung, case.ta_uebertherapie)
        if case.therapieaenderung == "Ja":
            assert any(flags)
        else:
            assert not any(flags)
        if case.kvnr:
            assert rules.normalize_kvnr(case.kvnr) == case.kvnr


@pytest.mark.django_db
def test_a_second_run_creates_nothing():
    seed(weeks=3)
    cases = Case.objects.count()
    icd_codes = CaseICDCode.objects.count()
    device = TOTPDevice.objects.get()

    output = seed(weeks=3)

    assert Case.objects.count() == cases
    assert CaseICDCode.objects.count() == icd_codes
    assert User.objects.count() == 2
    assert TOTPDevice.objects.get().pk == device.pk
    assert "0 neu angelegt" in output
    assert f"{cases} waren schon vorhanden" in output


@pytest.mark.django_db
def test_a_longer_period_adds_only_the_missing_weeks():
    seed(weeks=2)
    before = set(Case.objects.values_list("crm_ticket_id", "fall_id"))

    seed(weeks=4)

    after = set(Case.objects.values_list("crm_ticket_id", "fall_id"))
    assert before < after
    assert set(Case.objects.values_list("jahr", "kw")) == {
        (2026, 8),
        (2026, 9),
        (2026, 10),
        (2026, 11),
    }


@pytest.mark.django_db
def test_it_creates_the_demo_logins_and_prints_them():
    output = seed(weeks=1)

    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.role == Role.ADMIN
    assert admin.is_staff
    assert admin.check_password(demo.ADMIN_PASSWORD)
    dak = User.objects.get(email=demo.DAK_EMAIL)
    assert dak.role == Role.DAK_MITARBEITER
    assert dak.check_password(demo.DAK_PASSWORD)
    for user in (admin, dak):
        assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()

    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed
    assert device.key == demo.DEMO_TOTP_KEY
    assert not TOTPDevice.objects.filter(user=dak).exists()
    assert demo.ADMIN_PASSWORD in output
    assert demo.DAK_PASSWORD in output
    assert device.config_url in output
    assert "IRAUWLKEMVWW6LKQN5ZHIYLMFUZEMQJB" in output


@pytest.mark.django_db
def test_the_printed_totp_secret_produces_valid_tokens():
    seed(weeks=1)
    device = TOTPDevice.objects.get()

    token = TOTP(device.bin_key).token()
    assert device.verify_token(f"{token:06d}")


@pytest.mark.django_db
def test_a_changed_demo_password_is_set_back():
    seed(weeks=1)
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    admin.set_password("ein-anderes-Passwort-123")
    admin.save()

    output = seed(weeks=1)

    admin.refresh_from_db()
    assert admin.check_password(demo.ADMIN_PASSWORD)
    assert "zurückgesetzt" in output


@pytest.mark.django_db
def test_it_refuses_to_run_in_production(settings):
    settings.DJANGO_ENV = "production"

    with pytest.raises(CommandError, match="Produktion"):
        seed(weeks=1)

    assert not User.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_force_runs_it_in_production(settings):
    settings.DJANGO_ENV = "production"

    seed(weeks=1, force=True)

    assert Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("weeks", [0, 521])
def test_it_refuses_an_impossible_number_of_weeks(weeks):
    with pytest.raises(CommandError, match="--weeks"):
        seed(weeks=weeks)


# --- Real-world surnames (issue 11 §1) -----------------------------------------------------------


def test_surnames_come_at_real_world_rates_with_look_alike_partners():
    pool = Counter(demo.SURNAME_POOL)
    assert pool.most_common(1)[0][0] == "Müller"
    # Partners that MariaDB's default collation folds together, rarer than the common spelling.
    for common, rare in (("Müller", "Muller"), ("Weiß", "Weiss"), ("Kuhn", "Kühn")):
        assert pool[common] > pool[rare] > 0


@pytest.mark.django_db
def test_seeded_weeks_hold_look_alike_and_repeated_surnames_and_seed_cleanly():
    from cases.tests.lookalikes import lookalike_groups, repeated_surnames

    seed(weeks=16)  # on MariaDB's default collation this crashed on the unique fall_id

    rows = [
        ((jahr, kw, fallgruppe), nachname)
        for jahr, kw, fallgruppe, nachname in Case.objects.values_list(
            "jahr", "kw", "fallgruppe", "nachname"
        )
    ]
    look_alikes = lookalike_groups(rows)
    assert len(look_alikes) >= 2
    repeated = repeated_surnames(rows)
    assert len(repeated) >= 20
    assert any(nachname.isupper() for _group, nachname in rows)
    # Each look-alike and each repeat has a fall_id of its own, built from its exact spelling.
    fall_ids = list(Case.objects.values_list("fall_id", flat=True))
    assert len(fall_ids) == len(set(fall_ids)) == len(rows)
    for (jahr, kw, fallgruppe), names in look_alikes:
        stems = {rules.build_fall_id(jahr, kw, fallgruppe, name) for name in names}
        assert stems <= set(fall_ids)
    for (jahr, kw, fallgruppe), name in repeated:
        assert rules.build_fall_id(jahr, kw, fallgruppe, name, suffix=2) in fall_ids
