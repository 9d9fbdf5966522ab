"""/healthz answered before the session and the user are loaded.

Sessions live in the database. Behind SessionMiddleware every middleware that asks who the user
is (idle timeout, login steps, django-otp, allauth's session list) would query it and turn a
database outage into a 500 HTML page for any request with a session cookie — exactly the answer
monitoring must not get. So this middleware sits in front of the session middleware and hands
the health path straight to the view, which reports 503 JSON when the database is down.
"""

from django.urls import reverse

from dak_portal import views


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = None

    def __call__(self, request):
        if self.path is None:
            self.path = reverse("healthz")
        if request.path == self.path:
            return views.healthz(request)
        return self.get_response(request)
