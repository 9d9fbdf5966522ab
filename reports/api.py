"""The read-only JSON API under /api/ that the start page's charts read (issue 13 "Dashboard").

- GET /api/dashboard/?jahr=J  the year's figures (`reports.dashboard.dashboard_figures`)
- GET /api/jahre/             the years to choose from
- GET /api/schema/            the OpenAPI schema (drf-spectacular)

Session authentication only (the portal's login: no session → 401 JSON; an unfinished login
step, e.g. an admin's 2FA code → 403 JSON from the login-steps middleware before a view runs),
GET only, the same role rule as the start page (everyone logged in), throttled per user
(settings.REST_FRAMEWORK "user" rate). Aggregates only: no case, no name, no KVNR.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, ParseError, Throttled
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.permissions import LOGGED_IN, user_may
from cases.filters import JAHR_MAX, JAHR_MIN
from reports import dashboard
from reports.figures import VORJAHR_FAELLE, VORJAHR_KEINE, VORJAHR_ZUSAMMENFASSUNG

LOGIN_REQUIRED = "Anmeldung erforderlich."
JAHR_MESSAGE = f"Jahr: bitte eine Jahreszahl von {JAHR_MIN} bis {JAHR_MAX} angeben."


# --- Responses (documentation for the schema; the views return the plain dicts) -------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Die Meldung auf Deutsch.")


class KpiSerializer(serializers.Serializer):
    erstberatungen = serializers.IntegerField(help_text="Erstberatungen (Fälle) des Jahres.")
    gutachten = serializers.IntegerField(help_text="Gutachten des Jahres.")
    icd_offen = serializers.IntegerField(help_text="Fälle ohne ICD-Code (alle Jahre).")
    codierung_offen = serializers.IntegerField(help_text="Gutachten ohne Codierung (alle Jahre).")


class JeKwSerializer(serializers.Serializer):
    erstberatungen = serializers.ListField(
        child=serializers.IntegerField(), help_text="Je KW aus `kws`, in derselben Reihenfolge."
    )
    gutachten = serializers.ListField(
        child=serializers.IntegerField(), help_text="Je KW aus `kws`, in derselben Reihenfolge."
    )


class FallgruppeSerializer(serializers.Serializer):
    code = serializers.CharField()
    bezeichnung = serializers.CharField()
    anzahl = serializers.IntegerField(help_text="Erstberatungen der Fallgruppe im Jahr.")
    gutachten = serializers.IntegerField()
    bestaetigung = serializers.IntegerField(help_text="Gutachten mit Typ Bestätigung.")
    alternative = serializers.IntegerField(help_text="Gutachten mit Typ Alternative.")


class VorjahrSerializer(serializers.Serializer):
    jahr = serializers.IntegerField()
    quelle = serializers.ChoiceField(
        choices=[VORJAHR_FAELLE, VORJAHR_ZUSAMMENFASSUNG, VORJAHR_KEINE],
        help_text=(
            "Woher die Vorjahreszahlen stammen: aus den Fällen des Vorjahres, sonst aus seiner "
            "Jahreszusammenfassung (ohne Werte je KW), sonst keine."
        ),
    )
    quelle_text = serializers.CharField()
    erstberatungen_je_kw = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Je KW aus `kws`; null ohne Vorjahreswert je KW (Zusammenfassung, KW 53).",
    )
    gutachten_je_kw = serializers.ListField(child=serializers.IntegerField(allow_null=True))


class VergleichSerializer(serializers.Serializer):
    kennzahl = serializers.CharField()
    bezeichnung = serializers.CharField()
    wert = serializers.IntegerField(help_text="Das gewählte Jahr (alle KW bis `bis_kw`).")
    vorjahr_zeitraum = serializers.IntegerField(
        allow_null=True, help_text="Das Vorjahr in KW 1 bis `bis_kw` (nur aus Fällen)."
    )
    vorjahr_gesamt = serializers.IntegerField(help_text="Das ganze Vorjahr.")


class DashboardSerializer(serializers.Serializer):
    jahr = serializers.IntegerField()
    bis_kw = serializers.IntegerField(
        help_text="Letzte gezeigte KW: im laufenden Jahr die aktuelle, sonst die letzte des Jahres."
    )
    stand = serializers.DateTimeField(help_text="Wann die Zahlen berechnet wurden.")
    kws = serializers.ListField(child=serializers.IntegerField(), help_text="KW 1 bis `bis_kw`.")
    kpi = KpiSerializer()
    je_kw = JeKwSerializer()
    fallgruppen = FallgruppeSerializer(many=True)
    vorjahr = VorjahrSerializer()
    vergleich = VergleichSerializer(many=True)


class JahreSerializer(serializers.Serializer):
    jahre = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Jahre mit Fällen und das laufende, neueste zuerst.",
    )
    aktuell = serializers.IntegerField(help_text="Das laufende Jahr (Europe/Berlin, ISO-Jahr).")


# --- Access and limits -------------------------------------------------------------------------


class PortalRule(BasePermission):
    """The portal's role rule of the view (`accounts.permissions`)."""

    message = "Keine Berechtigung für diese Daten."

    def has_permission(self, request, view):
        return user_may(request.user, view.portal_rule)


class TooManyRequests(Throttled):
    default_detail = "Zu viele Anfragen."
    extra_detail_singular = "Bitte in {wait} Sekunde erneut versuchen."
    extra_detail_plural = "Bitte in {wait} Sekunden erneut versuchen."


class PortalAPIView(APIView):
    portal_rule = LOGGED_IN
    permission_classes = [PortalRule]
    throttle_classes = [UserRateThrottle]
    http_method_names = ["get", "head"]

    def handle_exception(self, exc):
        # DRF marks its views login_not_required and answers a missing session with 403 (session
        # authentication has no WWW-Authenticate scheme); the portal's API answers 401, in the
        # words of AuthRedirectMiddleware.
        response = super().handle_exception(exc)
        if isinstance(exc, NotAuthenticated):
            response.status_code, response.data = 401, {"detail": LOGIN_REQUIRED}
        # Errors are JSON on every endpoint, the schema's (YAML by default) included.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def throttled(self, request, wait):
        raise TooManyRequests(wait)

    def permission_denied(self, request, message=None, code=None):
        # Unreachable for anonymous users (the middleware answers 401 first); kept German.
        super().permission_denied(request, message=message or PortalRule.message, code=code)


def portal_view(view_class, **initkwargs):
    """as_view() declared with its rule (the URL table, the notification-link check)."""
    view = view_class.as_view(**initkwargs)
    view.permission_rule = view_class.portal_rule
    return view


def _jahr(request) -> int:
    raw = request.query_params.get("jahr")
    if raw is None or raw == "":
        return dashboard.current_year()
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise ParseError(JAHR_MESSAGE)
    jahr = int(raw)
    if not JAHR_MIN <= jahr <= JAHR_MAX:
        raise ParseError(JAHR_MESSAGE)
    return jahr


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer}


class DashboardView(PortalAPIView):
    @extend_schema(
        operation_id="dashboard",
        summary="Kennzahlen und Diagrammdaten eines Jahres",
        parameters=[
            OpenApiParameter(
                "jahr",
                {"type": "integer", "minimum": JAHR_MIN, "maximum": JAHR_MAX},
                description=f"Jahr ({JAHR_MIN}–{JAHR_MAX}); ohne Angabe das laufende.",
                required=False,
            )
        ],
        responses={200: DashboardSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(dashboard.dashboard_figures(_jahr(request)))


class JahreView(PortalAPIView):
    @extend_schema(
        operation_id="jahre",
        summary="Wählbare Jahre",
        responses={200: JahreSerializer, **{k: v for k, v in ERRORS.items() if k != 400}},
    )
    def get(self, request):
        return Response(dashboard.dashboard_years())


class SchemaView(PortalAPIView, SpectacularAPIView):
    """The OpenAPI schema, for logged-in users (as everything of the portal)."""

    permission_classes = [PortalRule]
