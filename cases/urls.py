from django.urls import path

from cases.views import detail

app_name = "cases"

urlpatterns: list = [
    path("neu/", detail.create, name="create"),
    path("<int:pk>/", detail.detail, name="detail"),
    path("<int:pk>/bearbeiten/", detail.edit, name="edit"),
]
