"""The start page's JSON API (/api/): roles, the figures of a small known dataset, bad years,
read-only, throttling, the cache and the OpenAPI schema."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from cases.tests.factories import make_case
from reports.models import SummarySource, YearlySummary
from reports.tests.conftest import DASHBOARD_TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dashboard_today")]

DASHBOARD = "/api/dashboard/"


@pytest.fixture
def known_cases():
    """2026: KW 5 two onko (one Gutachten Bestätigung), KW 6 two kardio (one Gutachten
    Alternative), KW 7 one onko Gutachten not yet coded; 2025: KW 5 one onko, KW 30 one kardio
    Gutachten Bestätigung. ICD missing on the uncoded 2026 Gutachten and the 2025 onko case."""
    make_case(datum=dt.date(2026, 1, 28), nachname="Ahrens", icd="C50.1", gutachten=True,
              gutachten_typ="Bestätigung", therapieaenderung="Nein")  # fmt: skip
    make_case(datum=dt.date(2026, 1, 29), nachname="Brandt", icd="C18.7", unterlagen=True)
    make_case(datum=dt.date(2026, 2, 4), nachname="Claßen", fallgruppe="kardio", icd="I21.0",
              gutachten=True, gutachten_typ="Alternative", therapieaenderung="Ja")  # fmt: skip
    make_case(datum=dt.date(2026, 2, 5), nachname="Dörr", fallgruppe="kardio", icd="I25.1",
              ablehnung=True)  # fmt: skip
    make_case(datum=dt.date(2026, 2, 11), nachname="Eßer", gutachten=True)
    make_case(datum=dt.date(2025, 1, 29), nachname="Fuchs")
    make_case(datum=dt.date(2025, 7, 23), nachname="Groß", fallgruppe="kardio", icd="I50.1",
              gutachten=True, gutachten_typ="Bestätigung", therapieaenderung="Nein")  # fmt: skip


def test_anonymous_get_401_json(client, known_cases):
    for path in (DASHBOARD, "/api/jahre/", "/api/schema/"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Anmeldung erforderlich."}


def test_an_admin_before_the_second_factor_gets_403_json(admin_no_mfa_client, known_cases):
    response = admin_no_mfa_client.get(DASHBOARD)
    assert response.status_code == 403
    assert response.json()["detail"] == "Bitte schließen Sie zuerst die Anmeldung ab."
    assert "kpi" not in response.json()


def test_a_deactivated_user_gets_no_figures(dak_client, dak_user, known_cases):
    dak_user.is_active = False
    dak_user.save()
    assert dak_client.get(DASHBOARD).status_code in (401, 403)


@pytest.mark.parametrize("persona", ["dak_client", "admin_client"])
def test_dak_staff_and_admins_get_the_year_s_figures(persona, request, known_cases):
    client = request.getfixturevalue(persona)
    response = client.get(DASHBOARD, {"jahr": 2026})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["jahr"] == 2026
    assert data["bis_kw"] == 8
    assert data["kws"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert data["kpi"] == {
        "erstberatungen": 5,
        "gutachten": 3,
        "icd_offen": 2,
        "codierung_offen": 1,
    }
    assert data["je_kw"] == {
        "erstberatungen": [0, 0, 0, 0, 2, 2, 1, 0],
        "gutachten": [0, 0, 0, 0, 1, 1, 1, 0],
    }
    groups = {row["code"]: row for row in data["fallgruppen"]}
    assert [row["code"] for row in data["fallgruppen"]][:2] == ["onko", "kardio"]
    assert groups["onko"] == {
        "code": "onko",
        "bezeichnung": "Onkologie",
        "anzahl": 3,
        "gutachten": 2,
        "bestaetigung": 1,
        "alternative": 0,
    }
    assert (groups["kardio"]["anzahl"], groups["kardio"]["alternative"]) == (2, 1)
    assert sum(row["anzahl"] for row in data["fallgruppen"]) == 5
    assert data["vorjahr"]["jahr"] == 2025
    assert data["vorjahr"]["quelle"] == "faelle"
    assert data["vorjahr"]["erstberatungen_je_kw"] == [0, 0, 0, 0, 1, 0, 0, 0]
    assert data["vorjahr"]["gutachten_je_kw"] == [0] * 8
    rows = {row["kennzahl"]: row for row in data["vergleich"]}
    assert rows["erstberatungen"] == {
        "kennzahl": "erstberatungen",
        "bezeichnung": "Erstberatungen",
        "wert": 5,
        "vorjahr_zeitraum": 1,
        "vorjahr_gesamt": 2,
    }
    assert (rows["gutachten"]["wert"], rows["gutachten"]["vorjahr_gesamt"]) == (3, 1)
    assert (rows["unterlagen"]["wert"], rows["ablehnungen"]["wert"]) == (1, 1)
    assert rows["bestaetigung"]["vorjahr_zeitraum"] is None  # no types per KW
    assert (rows["bestaetigung"]["wert"], rows["bestaetigung"]["vorjahr_gesamt"]) == (1, 1)


def test_without_a_year_the_current_one_and_a_past_year_has_all_its_weeks(dak_client, known_cases):
    assert dak_client.get(DASHBOARD).json()["jahr"] == 2026
    past = dak_client.get(DASHBOARD, {"jahr": 2025}).json()
    assert past["bis_kw"] == 52 and len(past["je_kw"]["erstberatungen"]) == 52
    assert past["je_kw"]["gutachten"][29] == 1  # KW 30
    assert past["vorjahr"]["quelle"] == "keine"
    assert past["vorjahr"]["erstberatungen_je_kw"] == [None] * 52


def test_the_comparison_falls_back_to_the_yearly_summary(dak_client, known_cases):
    YearlySummary.objects.create(
        jahr=2024,
        bis_kw=52,
        erstberatungen=200,
        gutachten=80,
        gutachten_typen={"gutachten": 80, "alternative": 20, "bestaetigung": 50},
        source=SummarySource.IMPORTED,
    )
    data = dak_client.get(DASHBOARD, {"jahr": 2025}).json()
    assert data["vorjahr"]["quelle"] == "zusammenfassung"
    rows = {row["kennzahl"]: row for row in data["vergleich"]}
    assert rows["erstberatungen"]["vorjahr_gesamt"] == 200
    assert rows["erstberatungen"]["vorjahr_zeitraum"] is None
    assert rows["alternative"]["vorjahr_gesamt"] == 20


def test_the_response_holds_aggregates_only(dak_client, known_cases):
    text = dak_client.get(DASHBOARD, {"jahr": 2026}).content.decode()
    for name in ("Ahrens", "Brandt", "Claßen", "Dörr", "Eßer", "Erika", "fall_id", "kvnr"):
        assert name not in text


@pytest.mark.parametrize("jahr", ["abc", "1999", "2101", "-1", "20 26", "２０２６", "2026.0", "0"])
def test_a_bad_year_gets_400_in_german(dak_client, jahr):
    response = dak_client.get(DASHBOARD, {"jahr": jahr})
    assert response.status_code == 400
    assert response.json() == {"detail": "Jahr: bitte eine Jahreszahl von 2000 bis 2100 angeben."}


def test_a_year_without_cases_gets_zeros(dak_client):
    data = dak_client.get(DASHBOARD, {"jahr": 2030}).json()
    assert data["kpi"]["erstberatungen"] == 0
    assert data["bis_kw"] == 1
    assert data["vorjahr"]["quelle"] == "keine"


def test_the_years_to_choose_from(dak_client, known_cases):
    make_case(datum=dt.date(2023, 3, 1), nachname="Hahn")
    assert dak_client.get("/api/jahre/").json() == {"jahre": [2026, 2025, 2023], "aktuell": 2026}


def test_the_api_is_read_only(admin_client, known_cases):
    for path in (DASHBOARD, "/api/jahre/", "/api/schema/"):
        for method in ("post", "put", "patch", "delete", "options"):
            response = getattr(admin_client, method)(path)
            assert response.status_code in (403, 405), (method, path)
    # POST without a CSRF token is refused before the view too; with one it is 405.
    response = admin_client.post(DASHBOARD)
    assert response.status_code in (403, 405)


def test_the_figures_are_cached_for_a_minute(dak_client, known_cases):
    first = dak_client.get(DASHBOARD, {"jahr": 2026}).json()
    make_case(datum=dt.date(2026, 2, 12), nachname="Imhof")
    assert dak_client.get(DASHBOARD, {"jahr": 2026}).json() == first
    with time_machine.travel(DASHBOARD_TODAY + dt.timedelta(seconds=61), tick=False):
        later = dak_client.get(DASHBOARD, {"jahr": 2026}).json()
    assert later["kpi"]["erstberatungen"] == 6
    assert later["stand"] != first["stand"]


def test_the_figures_take_two_grouped_queries(
    dak_client, known_cases, django_assert_max_num_queries
):
    dak_client.get("/api/jahre/")  # session and user rows loaded once
    cache.delete("reports.dashboard.v1.jahr.2026")
    # session, user, 2FA device: then the year, the previous year and the two pending counts
    with django_assert_max_num_queries(7):
        assert dak_client.get(DASHBOARD, {"jahr": 2026}).status_code == 200


def test_the_throttle_answers_429_in_german(dak_client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import UserRateThrottle

    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "2/min"}}
    try:
        with override_settings(REST_FRAMEWORK=rest):
            # DRF reads the rates into a class attribute once; set it for this test only.
            api_settings.reload()
            UserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
            assert dak_client.get("/api/jahre/").status_code == 200
            assert dak_client.get(DASHBOARD).status_code == 200
            response = dak_client.get(DASHBOARD)
    finally:
        # Restored after the override ended, so the configured rate is back for later tests.
        api_settings.reload()
        UserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert UserRateThrottle.THROTTLE_RATES["user"] == "600/min"
    assert response.status_code == 429
    assert response["Retry-After"]
    detail = response.json()["detail"]
    assert detail.startswith("Zu viele Anfragen. Bitte in ") and detail.endswith(
        "erneut versuchen."
    )


def test_the_configured_rate_is_per_user_and_generous():
    from django.conf import settings

    from reports.api import DashboardView, JahreView, SchemaView

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] == "600/min"
    for view in (DashboardView, JahreView, SchemaView):
        assert [c.__name__ for c in view.throttle_classes] == ["UserRateThrottle"]


def test_the_schema_documents_both_endpoints(dak_client):
    response = dak_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert sorted(schema["paths"]) == ["/api/dashboard/", "/api/jahre/"]
    dashboard = schema["paths"]["/api/dashboard/"]["get"]
    assert dashboard["parameters"][0]["schema"] == {
        "type": "integer",
        "minimum": 2000,
        "maximum": 2100,
    }
    assert set(dashboard["responses"]) == {"200", "400", "401", "403", "429"}
    fields = schema["components"]["schemas"]["Dashboard"]["properties"]
    assert {"jahr", "bis_kw", "kws", "kpi", "je_kw", "fallgruppen", "vorjahr", "vergleich"} <= set(
        fields
    )
    assert list(schema["components"]["securitySchemes"]) == ["cookieAuth"]


def test_the_api_views_declare_the_start_page_s_rule():
    from django.urls import resolve

    from accounts.permissions import LOGGED_IN

    for name in ("dashboard", "jahre", "schema"):
        assert resolve(reverse(f"api:{name}")).func.permission_rule == LOGGED_IN
