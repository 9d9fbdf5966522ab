import pytest

from accounts.models import AuditLog
from cases.models import Case, CaseICDCode
from cases.tests.factories import make_case

pytestmark = pytest.mark.django_db


def change_url(case):
    return f"/verwaltung/django/cases/case/{case.pk}/change/"


def form_data(case, **overrides):
    data = {
        "crm_ticket_id": case.crm_ticket_id or "",
        "quelle": case.quelle,
        "datum": case.datum.strftime("%d.%m.%Y"),
        "fallgruppe": case.fallgruppe,
        "nachname": case.nachname,
        "vorname": case.vorname,
        "icd_codes-TOTAL_FORMS": "0",
        "icd_codes-INITIAL_FORMS": "0",
        "icd_codes-MIN_NUM_FORMS": "0",
        "icd_codes-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_the_case_list_shows_cases_with_filters_and_search(admin_client):
    make_case()
    # The search is posted (the term stays out of the URL, test_admin_search.py).
    admin_client.post("/verwaltung/django/cases/case/suche/", {"q": "Muster"})
    response = admin_client.get("/verwaltung/django/cases/case/?jahr=2026&status=offen")
    assert response.status_code == 200
    assert "2026-06-onko-Muster" in response.content.decode()


def test_an_admin_change_is_audited_with_old_and_new_values(admin_client):
    case = make_case()
    response = admin_client.post(change_url(case), form_data(case, vorname="Erna"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.vorname == "Erna"
    entry = AuditLog.objects.filter(entity_id=str(case.pk)).latest("id")
    assert entry.old_values["vorname"] == "Erika"
    assert entry.new_values["vorname"] == "Erna"
    assert "nachname" not in entry.new_values  # only what changed


def test_ta_flags_without_ta_ja_get_a_german_field_error_not_a_crash(admin_client):
    case = make_case(gutachten=True)
    response = admin_client.post(
        change_url(case), form_data(case, gutachten="on", ta_uebertherapie="on")
    )
    assert response.status_code == 200
    assert "nur bei Therapieänderung = Ja zulässig" in response.content.decode()
    case.refresh_from_db()
    assert case.ta_uebertherapie is False


def test_an_invalid_icd_is_refused_and_a_valid_one_updates_the_codes(admin_client):
    case = make_case()
    response = admin_client.post(change_url(case), form_data(case, icd="C50.1, XYZ"))
    assert response.status_code == 200
    assert "XYZ" in response.content.decode()
    response = admin_client.post(change_url(case), form_data(case, icd="c50.1; C79.5"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.icd == "C50.1, C79.5"
    assert sorted(CaseICDCode.objects.filter(case=case).values_list("icd_code", flat=True)) == [
        "C50.1",
        "C79.5",
    ]


def test_jahr_kw_and_fall_id_are_read_only(admin_client):
    case = make_case()
    admin_client.post(
        change_url(case), form_data(case, fall_id="X", jahr="1999", kw="99", vorname="Erika")
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.fall_id, fresh.jahr, fresh.kw) == (case.fall_id, case.jahr, case.kw)


def test_a_dak_user_cannot_open_the_case_admin(dak_client):
    case = make_case()
    response = dak_client.get(change_url(case))
    assert response.status_code in (302, 403)
    assert Case.objects.get(pk=case.pk).vorname == "Erika"
